package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sync"

	"forensics/caseledger"
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
// sourceNames name the sources in the gateway's log.
var sourceNames = [numSources]string{"admin", "scan", "pattern", "manual"}

const (
	sourceAdmin   = iota // POST /admin/risk (scan-logs results)
	sourceScan           // the built-in scanner (risk.scan_every)
	sourcePattern        // rate_limits patterns, request by request
	sourceManual         // POST /admin/limits (Tighten), multiplicative
	numSources
)

// riskState is the gateway's current view of each account's risk.
type riskState struct {
	mu        sync.Mutex
	base      map[string]Limits // the configured limits
	factor    [numSources]map[string]float64
	suspended [numSources]map[string]float64 // risk of each suspension
}

func (r *riskState) init() {
	r.base = map[string]Limits{}
	for i := range numSources {
		r.factor[i], r.suspended[i] = map[string]float64{}, map[string]float64{}
	}
}

// setLimitsLocked applies an account's configured limits times the
// tightest of its factors. Call with s.risk.mu held.
func (s *Server) setLimitsLocked(acct string) float64 {
	f, suspended := s.tightestLocked(acct)
	if f == 1 {
		s.lim.set(acct, s.risk.base[acct])
	} else {
		s.lim.set(acct, scaleLimits(s.risk.base[acct], f))
	}
	if suspended {
		f = 0
	}
	s.met.throttle.WithLabelValues(acct).Set(f)
	return f
}

// factorLocked is the account's limit factor now (0: suspended).
func (s *Server) factorLocked(acct string) float64 {
	if f, suspended := s.tightestLocked(acct); !suspended {
		return f
	}
	return 0
}

// tightestLocked is the tightest factor of an account's sources and
// whether one suspends it.
func (s *Server) tightestLocked(acct string) (float64, bool) {
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
	return f, suspended
}

// ApplyRisk adjusts accounts' limits from scan results (POST /admin/risk):
// "throttle" sets the configured limits times the factor (not compounding:
// applying the same result twice changes nothing), "suspend" refuses the
// account's requests with 403 until a later result says otherwise, and
// "none" or "alert" lifts what an earlier result set. Unknown accounts
// are skipped and reported.
func (s *Server) ApplyRisk(as []Assessment) (applied int, unknown []string, err error) {
	return s.applyRisk(sourceAdmin, as)
}

func (s *Server) applyRisk(src int, as []Assessment) (applied int, unknown []string, err error) {
	s.risk.mu.Lock()
	defer s.risk.mu.Unlock()
	for _, a := range as {
		if _, ok := s.risk.base[a.Account]; !ok {
			unknown = append(unknown, a.Account)
			continue
		}
		before := s.factorLocked(a.Account)
		switch a.Action {
		case "suspend":
			s.risk.suspended[src][a.Account] = a.Risk
			delete(s.risk.factor[src], a.Account)
		case "throttle":
			if !(a.Throttle > 0 && a.Throttle <= 1) {
				return applied, unknown, fmt.Errorf("account %s: throttle factor %v outside (0,1]", a.Account, a.Throttle)
			}
			delete(s.risk.suspended[src], a.Account)
			s.risk.factor[src][a.Account] = a.Throttle
		case "none", "alert", "":
			delete(s.risk.suspended[src], a.Account)
			delete(s.risk.factor[src], a.Account)
		default:
			return applied, unknown, fmt.Errorf("account %s: unknown action %q", a.Account, a.Action)
		}
		if f := s.setLimitsLocked(a.Account); f != before {
			s.slog.Info("risk decision: limit factor changed", "account", a.Account, "source", sourceNames[src], "action", a.Action, "factor", f, "risk", a.Risk)
		}
		s.met.risk.WithLabelValues(a.Account).Set(a.Risk)
		applied++
	}
	return applied, unknown, nil
}

// suspendedRisk reports whether an account is suspended, and its risk.
func (s *Server) suspendedRisk(acct string) (float64, bool) {
	s.risk.mu.Lock()
	defer s.risk.mu.Unlock()
	for i := range numSources {
		if r, ok := s.risk.suspended[i][acct]; ok {
			return r, true
		}
	}
	return 0, false
}

// scaleLimits multiplies limits by factor; unlimited (0) stays unlimited
// and no limit drops below 1.
func scaleLimits(l Limits, factor float64) Limits {
	scale := func(v int) int {
		if v == 0 {
			return 0
		}
		return max(1, int(math.Floor(float64(v)*factor)))
	}
	return Limits{RequestsPerHour: scale(l.RequestsPerHour), TokensPerDay: scale(l.TokensPerDay), Concurrent: scale(l.Concurrent)}
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
	applied, unknown, err := s.ApplyRisk(req.Accounts)
	gr.params["applied"], gr.params["unknown"] = applied, len(unknown)
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	sum := sha256.Sum256(body)
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
