package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"

	"forensics/caseledger"
	"forensics/serve/state"
)

// Assessment is what the log scanner concluded about an account; the
// gateway accepts the "accounts" list of `forensics scan-logs --json`.
type Assessment struct {
	Account  string  `json:"account"`
	Risk     float64 `json:"risk"`
	Action   string  `json:"action"`   // none, alert, throttle, suspend
	Throttle float64 `json:"throttle"` // limit factor for throttle
	// Cluster is the id of the account's cluster in the scan (0: none);
	// with cases, a flagged cluster's accounts go into one case.
	Cluster int `json:"cluster,omitempty"`
}

// ClusterAssessment is a cluster of a scan-logs result, as /admin/risk
// reads it for cases.
type ClusterAssessment struct {
	ID       int      `json:"id"`
	Accounts []string `json:"accounts"`
	Action   string   `json:"action"`
}

// Sources of risk decisions. Each keeps its own factors and suspensions,
// so that one never undoes another: the built-in scan finding nothing
// does not lift an operator's suspension, and an operator's restore does
// not lift a live pattern. The tightest factor applies; any suspension
// suspends.
const (
	sourceAdmin   = iota // POST /admin/risk (scan-logs results)
	sourceScan           // the built-in scanner (risk.scan_every)
	sourcePattern        // rate_limits patterns, request by request
	sourceManual         // POST /admin/limits (Tighten), multiplicative
	numSources
)

// sharedSource names the sources whose decisions live in the state store
// (Redis: every replica applies them): the operator's. The built-in
// scanner and the patterns judge this replica's own traffic, so their
// decisions stay in it (docs/replicas.md).
var sharedSource = map[int]string{sourceAdmin: "admin", sourceManual: "manual"}

// riskState is the gateway's view of each account's risk: the configured
// limits and this replica's own decisions; the shared ones are in the
// state store.
type riskState struct {
	mu        sync.Mutex
	base      map[string]Limits // the configured limits
	factor    [numSources]map[string]float64
	suspended [numSources]map[string]float64 // risk of each suspension
	logged    map[string]float64             // factor last logged per account (logDecisionLocked)
}

func (r *riskState) init() {
	r.base = map[string]Limits{}
	for i := range numSources {
		r.factor[i], r.suspended[i] = map[string]float64{}, map[string]float64{}
	}
}

// riskOf is an account's tightest factor over every source and whether
// any suspends it, read from the store at each call, so that a decision
// made through one replica holds on all at once.
func (s *Server) riskOf(ctx context.Context, acct string) (factor float64, suspended bool, err error) {
	ds, err := s.lim.st.Decisions(ctx, acct)
	if err != nil {
		return 0, false, err
	}
	factor = 1.0
	for _, d := range ds {
		if d.Factor > 0 {
			factor = min(factor, d.Factor)
		}
		suspended = suspended || d.Suspended
	}
	s.risk.mu.Lock()
	defer s.risk.mu.Unlock()
	for i := range numSources {
		if v, ok := s.risk.factor[i][acct]; ok {
			factor = min(factor, v)
		}
		if _, ok := s.risk.suspended[i][acct]; ok {
			suspended = true
		}
	}
	return factor, suspended, nil
}

// setLimitsLocked updates an account's throttle gauge after a decision of
// this replica (limits are computed at each request from the decisions).
// Call with s.risk.mu held.
func (s *Server) setLimitsLocked(acct string) float64 {
	f := 1.0
	suspended := false
	for i := range numSources {
		if v, ok := s.risk.factor[i][acct]; ok {
			f = min(f, v)
		}
		if _, ok := s.risk.suspended[i][acct]; ok {
			suspended = true
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	if ds, err := s.lim.st.Decisions(ctx, acct); err == nil {
		for _, d := range ds {
			if d.Factor > 0 {
				f = min(f, d.Factor)
			}
			suspended = suspended || d.Suspended
		}
	}
	if suspended {
		f = 0
	}
	s.met.throttle.WithLabelValues(acct).Set(f)
	return f
}

// ApplyRisk adjusts accounts' limits from scan results (POST /admin/risk):
// "throttle" sets the configured limits times the factor (not compounding:
// applying the same result twice changes nothing), "suspend" refuses the
// account's requests with 403 until a later result says otherwise, and
// "none" or "alert" lifts what an earlier result set. Unknown accounts
// are skipped and reported. A failure of the state store is a
// *StateError.
func (s *Server) ApplyRisk(as []Assessment) (applied int, unknown []string, err error) {
	return s.applyRisk(sourceAdmin, as)
}

// StateError is a failure of the state store behind a risk decision.
type StateError struct{ Err error }

func (e *StateError) Error() string { return "state store: " + e.Err.Error() }
func (e *StateError) Unwrap() error { return e.Err }

func (s *Server) applyRisk(src int, as []Assessment) (applied int, unknown []string, err error) {
	s.risk.mu.Lock()
	defer s.risk.mu.Unlock()
	for _, a := range as {
		if _, ok := s.risk.base[a.Account]; !ok {
			unknown = append(unknown, a.Account)
			continue
		}
		var d *state.Decision
		switch a.Action {
		case "suspend":
			d = &state.Decision{Suspended: true, Risk: a.Risk}
		case "throttle":
			if !(a.Throttle > 0 && a.Throttle <= 1) {
				return applied, unknown, fmt.Errorf("account %s: throttle factor %v outside (0,1]", a.Account, a.Throttle)
			}
			d = &state.Decision{Factor: a.Throttle, Risk: a.Risk}
		case "none", "alert", "":
		default:
			return applied, unknown, fmt.Errorf("account %s: unknown action %q", a.Account, a.Action)
		}
		if err := s.decideLocked(src, a.Account, d); err != nil {
			return applied, unknown, err
		}
		s.logDecisionLocked(src, a, s.setLimitsLocked(a.Account))
		s.met.risk.WithLabelValues(a.Account).Set(a.Risk)
		applied++
	}
	return applied, unknown, nil
}

// decideLocked records one source's decision (nil lifts it): in the store
// for a shared source, in this replica otherwise. Call with s.risk.mu held.
func (s *Server) decideLocked(src int, acct string, d *state.Decision) error {
	if name, ok := sharedSource[src]; ok {
		ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
		defer cancel()
		if err := s.lim.st.SetDecision(ctx, acct, name, d); err != nil {
			s.lim.errs.Inc()
			s.slog.Error("recording a risk decision", "account", acct, "source", name, "err", err)
			return &StateError{Err: err}
		}
		return nil
	}
	delete(s.risk.suspended[src], acct)
	delete(s.risk.factor[src], acct)
	switch {
	case d == nil:
	case d.Suspended:
		s.risk.suspended[src][acct] = d.Risk
	case d.Factor > 0:
		s.risk.factor[src][acct] = d.Factor
	}
	return nil
}

// maxLoggedDecisions bounds the decisions an /admin/risk line lists (the
// body's SHA-256 covers them all).
const maxLoggedDecisions = 2000

// decisionsOf is the first maxLoggedDecisions decisions of a scan result,
// as "account action [throttle]", for the request log.
func decisionsOf(as []Assessment) []string {
	out := make([]string, 0, min(len(as), maxLoggedDecisions))
	for _, a := range as[:min(len(as), maxLoggedDecisions)] {
		d := a.Account + " " + a.Action
		if a.Action == "throttle" {
			d += fmt.Sprintf(" %g", a.Throttle)
		}
		out = append(out, d)
	}
	return out
}

// Untighten lifts the operator's tightenings of an account (POST
// /admin/limits with reset): what Tighten multiplied goes back to 1. The
// other sources' decisions stay.
func (s *Server) Untighten(acct string) (Limits, error) {
	return s.manualDecision(acct, func(ctx context.Context) error {
		return s.lim.st.SetDecision(ctx, acct, sharedSource[sourceManual], nil)
	})
}

// Tighten multiplies an account's hourly and daily limits by factor
// (0 < factor ≤ 1; concurrency is not throttled: scaleLimits),
// keeping what it has already used; unlimited quotas stay unlimited. It
// is recorded as its own source (shared), so a later scan result does not
// undo it.
func (s *Server) Tighten(acct string, factor float64) (Limits, error) {
	if !(factor > 0 && factor <= 1) {
		return Limits{}, fmt.Errorf("factor %v outside (0,1]", factor)
	}
	return s.manualDecision(acct, func(ctx context.Context) error {
		_, err := s.lim.st.MulFactor(ctx, acct, sharedSource[sourceManual], factor)
		return err
	})
}

// manualDecision records an operator's change of an account's limits
// (change, in the store) and returns the limits in force after it.
func (s *Server) manualDecision(acct string, change func(context.Context) error) (Limits, error) {
	s.risk.mu.Lock()
	_, ok := s.risk.base[acct]
	s.risk.mu.Unlock()
	if !ok {
		return Limits{}, fmt.Errorf("no account %q", acct)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	if err := change(ctx); err != nil {
		s.lim.errs.Inc()
		return Limits{}, &StateError{Err: err}
	}
	s.risk.mu.Lock()
	s.setLimitsLocked(acct)
	s.risk.mu.Unlock()
	_, eff, _, err := s.accountLimits(ctx, acct)
	if err != nil {
		return Limits{}, &StateError{Err: err}
	}
	return eff, nil
}

// scaleLimits multiplies the hourly and daily limits by factor; unlimited
// (0) stays unlimited and no limit drops below 1. Concurrency is not
// throttled: a refused concurrent request costs nothing, so a throttled
// concurrency limit would tell an account its factor at once.
func scaleLimits(l Limits, factor float64) Limits {
	scale := func(v int) int {
		if v == 0 {
			return 0
		}
		return max(1, int(math.Floor(float64(v)*factor)))
	}
	return Limits{RequestsPerHour: scale(l.RequestsPerHour), TokensPerDay: scale(l.TokensPerDay), Concurrent: l.Concurrent}
}

// handleAdminRisk applies scan results: POST /admin/risk with the JSON of
// `forensics scan-logs --json` (or {"accounts": [{account, risk, action,
// throttle}, …]}). Admin key required; logged like every admin call.
func (s *Server) handleAdminRisk(w http.ResponseWriter, r *http.Request) {
	rc, gr, fail, ok := s.admin(w, r, "/admin/risk")
	if !ok {
		return
	}
	var req struct {
		Accounts []Assessment        `json:"accounts"`
		Clusters []ClusterAssessment `json:"clusters"`
	}
	body, he := s.readBody(w, r)
	if he == nil {
		if err := json.Unmarshal(body, &req); err != nil {
			he = &httpError{status: http.StatusBadRequest, msg: "malformed JSON body: " + err.Error()}
		}
	}
	if he != nil {
		fail(he.status, he.msg)
		return
	}
	// The audit trail says who was decided what, not only how many.
	sum := sha256.Sum256(body)
	gr.params["sha256"] = hex.EncodeToString(sum[:])
	gr.params["decisions"], gr.params["decisions_logged"] = decisionsOf(req.Accounts), min(len(req.Accounts), maxLoggedDecisions)
	applied, unknown, err := s.ApplyRisk(req.Accounts)
	gr.params["applied"], gr.params["unknown"] = applied, len(unknown)
	if err != nil {
		fail(statusOfRiskError(err), err.Error())
		return
	}
	cases, err := s.casesFromScan(verdictsOf(req.Accounts, req.Clusters), caseledger.Trigger{Source: caseledger.SourceAdminRisk, SHA256: hex.EncodeToString(sum[:])})
	gr.params["cases"] = cases
	if err != nil {
		logCaseError(s.slog, "from /admin/risk", err)
		fail(http.StatusInternalServerError, "risk applied; case ledger: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"applied": applied, "unknown_accounts": unknown, "cases": cases})
	s.logRequest(r, rc, http.StatusOK, "", gr, nil, "")
}

// verdictsOf joins a result's accounts to their clusters' actions.
func verdictsOf(as []Assessment, cs []ClusterAssessment) []scanVerdict {
	action := map[int]string{}
	for _, c := range cs {
		action[c.ID] = c.Action
	}
	vs := make([]scanVerdict, len(as))
	for i, a := range as {
		vs[i] = scanVerdict{account: a.Account, action: a.Action, cluster: a.Cluster, clusterAction: action[a.Cluster]}
	}
	return vs
}

// statusOfRiskError is 503 for a failing store, 400 for a bad request.
func statusOfRiskError(err error) int {
	var se *StateError
	if errors.As(err, &se) {
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// sourceNames name the sources in the gateway's own log.
var sourceNames = [numSources]string{"admin", "scan", "pattern", "manual"}

// logDecisionLocked writes a slog line when a decision changed an
// account's limit factor (f; 0: suspended): scans that confirm what is
// in force every few minutes add nothing. Call with s.risk.mu held.
func (s *Server) logDecisionLocked(src int, a Assessment, f float64) {
	if s.risk.logged == nil {
		s.risk.logged = map[string]float64{}
	}
	before, ok := s.risk.logged[a.Account]
	if !ok {
		before = 1
	}
	s.risk.logged[a.Account] = f
	if f != before {
		s.slog.Info("risk decision: limit factor changed", "account", a.Account, "source", sourceNames[src], "action", a.Action, "factor", f, "risk", a.Risk)
	}
}
