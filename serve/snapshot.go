package serve

import (
	"fmt"
	"sync/atomic"
	"time"

	"forensics/canary"
	"forensics/watermark"
)

// snapshot is the part of the configuration a reload replaces at once:
// who may call, with which API keys, under which watermark key, for which
// models, and the admin keys. A request takes one when it is
// authenticated and uses it throughout (its account carries the models of
// the same snapshot), so it never sees half of a reload.
type snapshot struct {
	// cfg is the config the snapshot was made from, with the fields a
	// reload cannot change kept from the running one (mergeReloadable).
	cfg      *Config
	accounts map[string]*account // by API key hash
	byName   map[string]*account
	admins   map[string]bool // admin API key hashes
	models   map[string]ModelConfig
	// origins are the CORS origin patterns: Ollama's defaults and
	// http.allowed_origins.
	origins []string
	// schemes and keyCanaries are by key name; a reload loads only the
	// names it adds.
	schemes     map[string]*watermark.Scheme
	keyCanaries map[string]*canary.Set
	keys        map[string]*watermark.Key
}

// current is the configuration requests are served under now.
func (s *Server) current() *snapshot { return s.snap.Load() }

// buildSnapshot makes the snapshot of a checked config. Accounts that
// were in prev keep what belongs to the account rather than the config:
// the answers it was served (repeat detection) and its case timeline.
func (s *Server) buildSnapshot(cfg *Config, prev *snapshot, loaded map[string]*watermark.Key) (*snapshot, error) {
	sn := &snapshot{cfg: cfg, accounts: map[string]*account{}, byName: map[string]*account{}, admins: map[string]bool{},
		models: map[string]ModelConfig{}, origins: append(append([]string{}, defaultOrigins...), cfg.HTTP.AllowedOrigins...)}
	if err := sn.loadSchemes(cfg, prev, loaded); err != nil {
		return nil, err
	}
	for _, m := range cfg.Models {
		if m.Upstream == "" {
			m.Upstream = m.Name
		}
		sn.models[m.Name] = m
	}
	for _, h := range cfg.AdminAPIKeys {
		sn.admins[h] = true
	}
	for _, a := range cfg.Accounts {
		acct, err := s.newAccount(sn, a, prev)
		if err != nil {
			return nil, err
		}
		for _, h := range a.APIKeys {
			sn.accounts[h] = acct
		}
		sn.byName[a.Name] = acct
	}
	if prev != nil {
		for name, old := range prev.byName {
			// An account added back later would start on a fresh
			// timeline, served under the master key while the ledger
			// says it is in its case.
			if sn.byName[name] == nil && old.inCase != nil && old.inCase.Load().activeAt(s.now()) {
				return nil, fmt.Errorf("account %q is in a case (or has one pending): it cannot be removed until the case is closed (forensics case close)", name)
			}
		}
	}
	return sn, nil
}

// loadSchemes takes the keys prev has loaded and loads the others the
// config names (from loaded, or else from their files), with their
// watermark schemes and, with secret canaries, their secret canary sets.
func (sn *snapshot) loadSchemes(cfg *Config, prev *snapshot, loaded map[string]*watermark.Key) error {
	sn.keys, sn.schemes, sn.keyCanaries = map[string]*watermark.Key{}, map[string]*watermark.Scheme{}, map[string]*canary.Set{}
	for name, path := range cfg.Keys {
		if prev != nil && prev.keys[name] != nil {
			sn.keys[name], sn.schemes[name] = prev.keys[name], prev.schemes[name]
			if cs := prev.keyCanaries[name]; cs != nil {
				sn.keyCanaries[name] = cs
			}
			continue
		}
		k := loaded[name]
		if k == nil {
			var err error
			if k, err = watermark.LoadKey(cfg.path(path)); err != nil {
				return err
			}
		}
		sn.keys[name] = k
		sn.schemes[name] = watermark.NewScheme(k)
		if cfg.Canaries == canary.Secret {
			cs, err := canary.NewSecret(k.CanarySeed(), k.ID)
			if err != nil {
				return fmt.Errorf("secret canary set of key %s: %w", name, err)
			}
			sn.keyCanaries[name] = cs
		}
	}
	return nil
}

// newAccount is one configured account of a snapshot.
func (s *Server) newAccount(sn *snapshot, a AccountConfig, prev *snapshot) (*account, error) {
	acct := &account{name: a.Name, payload: a.Payload, served: &servedAnswers{}, canaries: s.canaries, catalog: sn.models}
	key := sn.cfg.accountKeyName(a)
	if watermarkOn(a.Watermark) {
		acct.scheme = sn.schemes[key]
	}
	if cs := sn.keyCanaries[key]; cs != nil {
		// An account plants the secret set of its key, so that a probe
		// with that key asks the triggers it planted.
		acct.canaries = cs
	}
	if a.Models != nil {
		acct.models = map[string]bool{}
		for _, m := range a.Models {
			acct.models[m] = true
		}
	}
	var old *account
	if prev != nil {
		old = prev.byName[a.Name]
	}
	if old != nil {
		acct.served = old.served
	}
	if s.cases == nil {
		return acct, nil // openCases gives accounts their timelines at start
	}
	eligible := acct.scheme != nil && key == s.cfg.Cases.MasterKey
	switch {
	case eligible && old != nil && old.inCase != nil:
		acct.inCase = old.inCase // decisions made during the reload land here too
	case eligible:
		acct.inCase = &atomic.Pointer[caseTimeline]{}
		if prev != nil {
			// Added by a reload: the ledger may still have it in a case.
			tl, err := s.ledgerTimeline(a.Name)
			if err != nil {
				return nil, err
			}
			acct.inCase.Store(tl)
		}
	case old != nil && old.inCase != nil && old.inCase.Load().activeAt(s.now()):
		return nil, fmt.Errorf("account %q is in a case (or has one pending) under the master key %s: its watermark key cannot change until the case is closed", a.Name, s.cfg.Cases.MasterKey)
	}
	return acct, nil
}

// activeAt reports whether a timeline serves a case at now or will
// serve one later.
func (tl *caseTimeline) activeAt(now time.Time) bool {
	if tl == nil {
		return false
	}
	if tl.at(now) != nil {
		return true
	}
	for _, sw := range tl.pending {
		if sw.from.After(now) && sw.serving != nil {
			return true
		}
	}
	return false
}

// accountKeyName is the config name of an account's watermark key.
func (c *Config) accountKeyName(a AccountConfig) string {
	if a.Key != "" {
		return a.Key
	}
	return c.Defaults.Key
}

// installSnapshot makes sn the current snapshot: configured limits first
// (a request of a new account must not find it without its limits, which
// would be none), then the snapshot, then the limits of removed accounts
// go. Used quota is kept: it is in the state store, by account, and the
// limits apply to it from the next request on.
func (s *Server) installSnapshot(sn *snapshot) {
	s.risk.mu.Lock()
	defer s.risk.mu.Unlock()
	for _, a := range sn.cfg.Accounts {
		lim := sn.cfg.Defaults.Limits
		if a.Limits != nil {
			lim = *a.Limits
		}
		s.risk.base[a.Name] = lim
	}
	s.snap.Store(sn)
	for name := range s.risk.base {
		if sn.byName[name] == nil {
			delete(s.risk.base, name)
		}
	}
}
