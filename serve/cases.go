package serve

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"forensics/canary"
	"forensics/caseledger"
	"forensics/logline"
	"forensics/watermark"
)

// Cases (docs/cases.md). A flagged account is moved, without being told,
// onto a key derived from the master key and a case id, with the case's
// own secret canaries; every opening, extension and closing goes into the
// signed custody ledger first, with the repeat-window boundary it takes
// effect at, and the accounts switch at that boundary (cases_timeline.go),
// where every account's repeatable answers change anyway. A request takes
// its account's serving state once, when it is authenticated
// (account.current): a generation in flight keeps the key it started
// with, and its log line names the case it was served under.

// caseServing is how an account in a case is served.
type caseServing struct {
	id       string
	key      *watermark.Key
	scheme   *watermark.Scheme
	canaries *canary.Set // nil: the account keeps the canaries it had
}

// caseManager opens, extends and closes cases. mu serialises decisions:
// one ledger append and the switch of its accounts happen together. Of
// several replicas, one holds the ledger and decides (ledger); the others
// follow it (mirror), serving the cases it decided, read from the feed
// (cases_feed.go).
type caseManager struct {
	mu     sync.Mutex
	ledger *caseledger.Ledger // nil on a follower
	mirror *caseledger.Mirror // a follower's copy of the ledger
	feed   CaseFeed           // nil: no other replicas
	// published is how many of the ledger's events the feed has (holder).
	published int
	feedErr   atomic.Pointer[error] // the last exchange with the feed (nil: fine)
	master    *watermark.Key
	secret    bool // plant each case's secret canary set
	openAt    int  // actionSeverity of cases.open_at
	tool      string
	serving   map[string]*caseServing // by case id, made once
}

// openCases opens the case ledger, if the config has one, and puts the
// accounts of its open cases back on their case keys.
func (s *Server) openCases(keys map[string]*watermark.Key, opts Options) error {
	cc := s.cfg.Cases
	if cc.Ledger == "" && !cc.Follow {
		return nil
	}
	if len(opts.LogSigner) != ed25519.PrivateKeySize {
		return errors.New("cases: the case ledger is signed with log.signing_key, and no signing key was loaded")
	}
	master := keys[cc.MasterKey]
	s.cases = &caseManager{master: master, secret: s.cfg.Canaries == canary.Secret, feed: opts.CaseFeed,
		openAt: actionSeverity[cc.OpenAt], tool: ledgerTool(opts), serving: map[string]*caseServing{}}
	if cc.Follow {
		return s.followCases(opts)
	}
	l, err := caseledger.Open(s.cfg.path(cc.Ledger), opts.LogSigner, s.now)
	if err != nil {
		return err
	}
	l.SetEffectiveRule(s.window.switchAt)
	s.cases.ledger = l
	s.markCaseAccounts()
	if err := s.restoreCases(); err != nil {
		l.Close()
		return err
	}
	if err := s.publishLedger(); err != nil {
		l.Close()
		return err
	}
	return nil
}

// markCaseAccounts gives every account that can join a case (watermarked
// under the master key) its case timeline.
func (s *Server) markCaseAccounts() {
	for name, acct := range s.current().byName {
		if acct.scheme != nil && s.accountKey(name) == s.cfg.Cases.MasterKey {
			acct.inCase = &atomic.Pointer[caseTimeline]{}
		}
	}
}

// accountKey is the config name of an account's watermark key.
func (s *Server) accountKey(name string) string {
	cfg := s.current().cfg
	for _, a := range cfg.Accounts {
		if a.Name == name {
			return cfg.accountKeyName(a)
		}
	}
	return ""
}

// restoreCases puts every account back on its case timeline: the case it
// is served under now and the switches still pending, from the ledger's
// events, after checking that the ledger's commitments of every case in
// use are those of the configured master key.
func (s *Server) restoreCases() error {
	cm := s.cases
	now := s.now()
	open := 0
	for _, c := range cm.list() {
		if c.Open() {
			open++
		}
	}
	for name, plan := range switchesOf(cm.events()) {
		tl, err := s.timelineOf(plan, now)
		if err != nil {
			return err
		}
		if tl.base == nil && len(tl.pending) == 0 {
			continue // no case now, none to come
		}
		if acct := s.current().byName[name]; acct != nil && acct.inCase != nil {
			acct.inCase.Store(tl)
		} else {
			s.slog.Warn("case account is no longer a watermarked account on the master key: served as configured", "account", name)
		}
	}
	s.met.casesOpen.Set(float64(open))
	return nil
}

// timelineOf is the case timeline of an account's switches in the ledger,
// as of now.
func (s *Server) timelineOf(plan []plannedSwitch, now time.Time) (*caseTimeline, error) {
	byID := map[string]caseledger.Case{}
	for _, c := range s.cases.list() {
		byID[c.ID] = c
	}
	var tl *caseTimeline
	for _, p := range plan {
		var cs *caseServing
		if p.caseID != "" {
			var err error
			if cs, err = s.restoredServing(byID[p.caseID], now); err != nil {
				return nil, err
			}
		}
		tl = tl.then(now, caseSwitch{from: p.from, serving: cs})
	}
	return tl, nil
}

// ledgerTimeline is an account's case timeline from the ledger: for an
// account a reload adds, which may be one the ledger still has in a case
// (removed by an edit and a restart, and now back).
func (s *Server) ledgerTimeline(name string) (*caseTimeline, error) {
	return s.timelineOf(switchesOf(s.cases.events())[name], s.now())
}

// plannedSwitch is a ledger event's switch for one account: from on, the
// case (or none).
type plannedSwitch struct {
	from   time.Time
	caseID string // "": the master key
}

// switchesOf is every account's switches in the ledger, in ledger order.
func switchesOf(events []caseledger.Event) map[string][]plannedSwitch {
	plans := map[string][]plannedSwitch{}
	members := map[string][]string{}
	for _, e := range events {
		if e.Kind == caseledger.KindClosed {
			for _, a := range members[e.Case] {
				plans[a] = append(plans[a], plannedSwitch{from: e.Effective})
			}
			continue
		}
		members[e.Case] = append(members[e.Case], e.Accounts...)
		for _, a := range e.Accounts {
			plans[a] = append(plans[a], plannedSwitch{from: e.Effective, caseID: e.Case})
		}
	}
	return plans
}

// restoredServing is the serving state of a case restored from the
// ledger, checked against the configured master key when it is in use at
// now or later (a case closed before now needs no key: its switches fold
// away).
func (s *Server) restoredServing(c caseledger.Case, now time.Time) (*caseServing, error) {
	cm := s.cases
	if !c.Open() && !c.Closed.After(now) {
		return nil, nil // folded away before it is served
	}
	if c.MasterKey != cm.master.ID || c.MasterCommitment != cm.master.Commitment() {
		return nil, fmt.Errorf("cases: case %s, still served, derives from master key %s (commitment %.12s…), not the configured %s", c.ID, c.MasterKey, c.MasterCommitment, cm.master.ID)
	}
	if k, _ := cm.master.DeriveCase(c.Ledger, c.ID, c.Nonce); k == nil || k.Commitment() != c.KeyCommitment {
		return nil, fmt.Errorf("cases: case %s's key commitment in the ledger is not the derived key's", c.ID)
	}
	return cm.servingOf(c.ID, c.Nonce)
}

// servingOf is the serving state of a case, derived once (nonce: the
// case's, from its opening).
func (cm *caseManager) servingOf(id, nonce string) (*caseServing, error) {
	if cs := cm.serving[id]; cs != nil {
		return cs, nil
	}
	k, err := cm.master.DeriveCase(cm.id(), id, nonce)
	if err != nil {
		return nil, err
	}
	cs := &caseServing{id: id, key: k, scheme: watermark.NewScheme(k)}
	if cm.secret {
		if cs.canaries, err = canary.NewSecret(k.CanarySeed(), k.ID); err != nil {
			return nil, fmt.Errorf("secret canary set of case %s: %w", id, err)
		}
	}
	cm.serving[id] = cs
	return cs, nil
}

// caseRequest is one decision to record: open (Case "" or new) or extend
// a case with accounts, or close one.
type caseRequest struct {
	kind     string // caseledger.KindOpened, KindExtended or KindClosed
	id       string
	accounts []string
	trigger  caseledger.Trigger
}

// maxEventAccountBytes bounds the account names of one ledger event, well
// inside caseledger.MaxLine: a larger group is recorded as an opening (or
// extension) and further extensions.
const maxEventAccountBytes = 256 << 10

// decide records a decision, its accounts split over several events when
// they would not fit in one line of the ledger. Call with cm.mu held.
func (s *Server) decide(req caseRequest) (caseledger.Case, error) {
	var c caseledger.Case
	chunks := splitAccounts(req.accounts, maxEventAccountBytes)
	if len(chunks) == 0 {
		chunks = [][]string{nil}
	}
	for i, accts := range chunks {
		r := req
		r.accounts = accts
		if i > 0 {
			r.kind = caseledger.KindExtended
		}
		var err error
		if c, err = s.decideOne(r); err != nil {
			return c, err
		}
	}
	return c, nil
}

// splitAccounts cuts names into groups of at most limit bytes of JSON
// (each name counted with its quotes, comma and escaping margin).
func splitAccounts(names []string, limit int) [][]string {
	var out [][]string
	var cur []string
	size := 0
	for _, n := range names {
		w := 6*len(n) + 3 // worst case: every byte escaped as \u00XX
		if len(cur) > 0 && size+w > limit {
			out, cur, size = append(out, cur), nil, 0
		}
		cur, size = append(cur, n), size+w
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// decideOne appends a decision to the ledger and, once it is on disk,
// schedules the accounts' switch at the event's effective time. Call with
// cm.mu held.
func (s *Server) decideOne(req caseRequest) (caseledger.Case, error) {
	cm := s.cases
	e := caseledger.Event{Kind: req.kind, Case: req.id, Accounts: req.accounts, Trigger: req.trigger, Tool: cm.tool}
	nonce := s.caseByID(req.id).Nonce
	if req.kind == caseledger.KindOpened {
		var err error
		if nonce, err = caseledger.NewNonce(); err != nil {
			return caseledger.Case{}, err
		}
		// A fresh key for the fresh nonce, whatever an opening that failed
		// to reach the ledger left cached under this id.
		delete(cm.serving, req.id)
	}
	cs, err := cm.servingOf(req.id, nonce)
	if err != nil {
		return caseledger.Case{}, err
	}
	if req.kind == caseledger.KindOpened {
		k := cs.key
		e.MasterKey, e.MasterCommitment, e.KeyID, e.KeyCommitment, e.Nonce = cm.master.ID, cm.master.Commitment(), k.ID, k.Commitment(), nonce
		if cs.canaries != nil {
			e.CanaryCommitment = cs.canaries.SHA256
		}
	}
	e, err = cm.ledger.Append(e)
	if err != nil {
		return caseledger.Case{}, err
	}
	s.applyEvent(e, cs)
	s.publishEvent(e)
	return s.caseByID(req.id), nil
}

// applyEvent switches a decision's accounts at its effective time, once
// it is in the ledger (on disk, or, on a follower, verified in the
// mirror), and records it in the request log. Call with cm.mu held.
func (s *Server) applyEvent(e caseledger.Event, cs *caseServing) {
	s.logCaseEvent(e)
	c := s.caseByID(e.Case)
	now := s.now()
	sw := caseSwitch{from: e.Effective, serving: cs}
	accounts := e.Accounts
	if e.Kind == caseledger.KindClosed {
		sw.serving, accounts = nil, c.Accounts()
	}
	for _, a := range accounts {
		if acct := s.current().byName[a]; acct != nil && acct.inCase != nil {
			acct.inCase.Store(acct.inCase.Load().then(now, sw))
		}
	}
	s.countOpenCases()
	s.slog.Info("case "+e.Kind, "case", e.Case, "key_id", c.KeyID, "accounts", e.Accounts, "effective", e.Effective,
		"trigger", e.Trigger.Source, "seq", e.Seq, "hash", e.Hash)
	if !now.Before(e.Effective) {
		// The write (or, on a follower, the news) outlasted the margin
		// before the boundary: requests since the boundary were served as
		// before, and the switch shows.
		s.slog.Error("case ledger: the event was in effect before this replica had it", "case", e.Case, "effective", e.Effective, "had", now)
	}
}

// logCaseEvent writes the ledger event's hash into the request log, whose
// hash chain and signed checkpoints then vouch for the ledger up to it: a
// ledger cut after its last line (a dropped closing, say) no longer
// matches the log's last "case" line.
func (s *Server) logCaseEvent(e caseledger.Event) {
	s.writeLog(&logline.Entry{TS: s.now().UTC().Format(time.RFC3339Nano), Event: "case", Case: e.Case,
		Params: map[string]any{"ledger": e.Ledger, "seq": e.Seq, "event": e.Kind, "hash": e.Hash, "effective": e.Effective.Format(time.RFC3339Nano), "accounts": len(e.Accounts)}})
}

// caseByID is a case's current state (zero if none).
func (s *Server) caseByID(id string) caseledger.Case {
	for _, c := range s.cases.list() {
		if c.ID == id {
			return c
		}
	}
	return caseledger.Case{}
}

func (s *Server) countOpenCases() {
	n := 0
	for _, c := range s.cases.list() {
		if c.Open() {
			n++
		}
	}
	s.met.casesOpen.Set(float64(n))
}

// caseEligible reports why an account cannot join a case (nil: it can):
// only watermarked accounts on the master key can be served under a case
// key, and a case must name only accounts whose text carries its key.
func (s *Server) caseEligible(name string) error {
	acct := s.current().byName[name]
	switch {
	case acct == nil:
		return fmt.Errorf("no account %q", name)
	case acct.inCase == nil:
		return fmt.Errorf("account %s is not watermarked under the master key %s: its text could not carry a case key", name, s.cfg.Cases.MasterKey)
	}
	return nil
}

// openCaseOf is the open case an account is in ("" if none).
func openCaseOf(cases []caseledger.Case) map[string]string {
	in := map[string]string{}
	for _, c := range cases {
		if c.Open() {
			for _, m := range c.Members {
				in[m.Account] = c.ID
			}
		}
	}
	return in
}

// logCase is the slog attribute of a case decision's error.
func logCaseError(l *slog.Logger, what string, err error) {
	l.Error("case ledger: "+what, "err", err)
}

// ledgerTool names the gateway in the case ledger's events: its full
// build when known.
func ledgerTool(opts Options) string {
	if opts.Build != nil {
		return opts.Build.Tool("serve")
	}
	return "forensics serve " + opts.Version
}
