package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"forensics/caseledger"
	"forensics/logline"
	"forensics/logscan"
)

// liveScan runs the log scanner on the gateway's own traffic, in memory:
// every logged request is fed to it, the rate_limits patterns are checked
// on the spot, and (with risk.scan_every) the full judgement is applied
// periodically. State is per account, like scan-logs.
type liveScan struct {
	mu      sync.Mutex
	scanner *logscan.Scanner
	layout  logscan.Layout
	rules   *RateLimits
	tripped map[string]string // account → why its pattern multiplier is on
	stop    chan struct{}
	done    chan struct{}
}

func newLiveScan(cfg *Config) (*liveScan, error) {
	mc := logscan.DefaultConfig()
	if cfg.Risk.Rules != "" {
		var err error
		if mc, err = logscan.LoadConfig(cfg.path(cfg.Risk.Rules)); err != nil {
			return nil, err
		}
	}
	sc, err := logscan.NewScanner(mc)
	if err != nil {
		return nil, err
	}
	return &liveScan{scanner: sc, layout: logscan.DefaultLayout(), rules: cfg.RateLimits, tripped: map[string]string{}}, nil
}

// observe feeds one log entry to the scanner and re-checks the account's
// rate_limits patterns.
func (s *Server) observe(e *logline.Entry, line []byte) {
	ls := s.live
	if ls == nil || e.Account == "" || e.Status >= 400 {
		return
	}
	// The entry's log line goes through the same parser scan-logs uses on
	// the log file, so the gateway and scan-logs judge alike.
	rec, err := ls.layout.Parse(line)
	if err != nil {
		return
	}
	ls.mu.Lock()
	ls.scanner.Add(rec)
	why := ""
	if rl := ls.rules; rl != nil {
		now := ls.scanner.Now(e.Account)
		switch {
		case rl.UniqueTopicsPerDay > 0 && now.DayTopics > rl.UniqueTopicsPerDay:
			why = fmt.Sprintf("%d topics in 24 h > unique_topics_per_day %d", now.DayTopics, rl.UniqueTopicsPerDay)
		case rl.SystematicCoverageThreshold > 0 && now.Prompts >= rl.MinPrompts && now.Coverage >= rl.SystematicCoverageThreshold:
			why = fmt.Sprintf("topic coverage %.2f ≥ systematic_coverage_threshold %.2f", now.Coverage, rl.SystematicCoverageThreshold)
		}
	}
	was := ls.tripped[e.Account]
	if why != "" {
		ls.tripped[e.Account] = why
	} else {
		delete(ls.tripped, e.Account)
	}
	// The limits change under live.mu too, so that two requests of one
	// account cannot apply their decisions in the wrong order. (Lock
	// order: live.mu, then risk.mu; nothing takes them the other way.)
	defer ls.mu.Unlock()
	if (why == "") == (was == "") || ls.rules == nil {
		return
	}
	s.risk.mu.Lock()
	defer s.risk.mu.Unlock()
	if _, known := s.risk.base[e.Account]; !known {
		return
	}
	if why != "" {
		s.risk.factor[sourcePattern][e.Account] = ls.rules.SuspiciousPatternMultiplier
	} else {
		delete(s.risk.factor[sourcePattern], e.Account)
	}
	f := s.setLimitsLocked(e.Account)
	s.slog.Info("risk decision: rate_limits pattern", "account", e.Account, "tripped", why != "", "why", why, "factor", f)
}

// PatternTrips lists the accounts whose rate_limits multiplier is on, and
// why (for /admin and tests).
func (s *Server) PatternTrips() map[string]string {
	out := map[string]string{}
	if s.live == nil {
		return out
	}
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	for k, v := range s.live.tripped {
		out[k] = v
	}
	return out
}

// ScanNow runs the full scanner judgement on the traffic seen so far and
// applies it: each account's own action, or its cluster's when that is
// more severe (a hydra's heads are throttled together).
func (s *Server) ScanNow() (applied int, err error) {
	if s.live == nil {
		return 0, nil
	}
	s.live.mu.Lock()
	rep := s.live.scanner.Report()
	s.live.mu.Unlock()
	clusters := map[int]logscan.ClusterReport{}
	for _, c := range rep.Clusters {
		clusters[c.ID] = c
	}
	var as []Assessment
	var vs []scanVerdict
	for _, a := range rep.Accounts {
		x := Assessment{Account: a.Account, Risk: a.Risk, Action: a.Action, Throttle: a.Throttle}
		c, ok := clusters[a.Cluster]
		if ok && actionSeverity[c.Action] > actionSeverity[x.Action] {
			x = Assessment{Account: a.Account, Risk: c.Risk, Action: c.Action, Throttle: c.Throttle}
		}
		as = append(as, x)
		vs = append(vs, scanVerdict{account: a.Account, action: a.Action, cluster: a.Cluster, clusterAction: c.Action})
	}
	if applied, _, err = s.applyRisk(sourceScan, as); err != nil {
		return applied, err
	}
	if s.cases != nil {
		result, err := json.Marshal(rep)
		if err != nil {
			return applied, err
		}
		sum := sha256.Sum256(result)
		if _, err := s.casesFromScan(vs, caseledger.Trigger{Source: caseledger.SourceScan, SHA256: hex.EncodeToString(sum[:])}); err != nil {
			logCaseError(s.slog, "from the built-in scan", err)
			return applied, err
		}
	}
	return applied, nil
}

// runScans applies ScanNow every interval until stopped.
func (s *Server) runScans(every time.Duration) {
	defer close(s.live.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.live.stop:
			return
		case <-t.C:
			if _, err := s.ScanNow(); err != nil {
				s.met.logErrors.Inc()
				s.logThrottled(slog.LevelError, "risk_scan", "risk scan failed", "err", err)
			}
		}
	}
}
