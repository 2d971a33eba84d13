package serve

import (
	"context"
	"testing"

	"forensics/serve/state"
)

// tokensLeft is an account's daily token level, read without charging.
func (s *Server) tokensLeft(t testing.TB, acct string) float64 {
	t.Helper()
	ctx := context.Background()
	_, eff, _, err := s.accountLimits(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.lim.st.Take(ctx, state.Take{Key: "tok:" + acct, Bucket: perDay(eff.TokensPerDay), Force: true})
	if err != nil {
		t.Fatal(err)
	}
	return got.Level
}

// effectiveLimits are an account's limits in force .
func (s *Server) effectiveLimits(acct string) (Limits, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	_, eff, _, err := s.accountLimits(ctx, acct)
	return eff, err == nil
}

// suspendedRisk reports whether an account is suspended (its risk is not
// kept for shared decisions: 0).
func (s *Server) suspendedRisk(acct string) (float64, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	_, suspended, err := s.riskOf(ctx, acct)
	return 0, suspended || err != nil
}
