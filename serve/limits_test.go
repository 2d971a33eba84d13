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
