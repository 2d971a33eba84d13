package serve

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"time"

	"forensics/canary"
	"forensics/generate"
	"forensics/internal/buildinfo"
	"forensics/reqlog"
	"forensics/watermark"
)

// Building a gateway: keys, canaries, accounts, the request log and the
// background work, from a checked config.

// Options configure New beyond the Config.
type Options struct {
	Backend Backend
	// Keys are the loaded watermark keys by config name; keys named in the
	// config but missing here are loaded from their files.
	Keys map[string]*watermark.Key
	// LogSigner signs the request log's checkpoints (the config's
	// log.signing_key, loaded by the caller).
	LogSigner ed25519.PrivateKey
	// Logger receives the gateway's own events (nil: discard).
	Logger *slog.Logger
	// ConfigPath is the file the config was loaded from: a reload
	// (SIGHUP, POST /admin/reload) reads it again. Empty: no reloads.
	ConfigPath string
	// Adjust, if set, is applied to every config read from ConfigPath on
	// a reload, as the caller applied it to the first (command-line
	// overrides such as --listen).
	Adjust func(*Config)
	// Version goes into the request log's "opened" event.
	Version string
	// Build goes into the request log's "opened" event and every
	// checkpoint, and names the gateway in the case ledger's events
	// (nil: the running build, buildinfo.Current(), which is the one
	// serving).
	Build *buildinfo.Info
	Now   func() time.Time
	// CaseFeed carries case decisions between replicas (nil: this
	// replica is the only one, unless the config's shared state has one).
	CaseFeed CaseFeed
	// Trace, if set, is given every generation's pieces with their green
	// bits, for measuring side channels in tests. Never expose it.
	Trace func(requestID string, toks []generate.Token)
}

// New builds a gateway from a checked config.
func New(cfg *Config, opts Options) (*Server, error) {
	if opts.Backend == nil {
		return nil, errors.New("serve: no backend")
	}
	if opts.Build == nil {
		opts.Build = buildinfo.Current()
	}
	s := newServer(cfg, opts)
	if err := s.loadCanaries(); err != nil {
		return nil, err
	}
	sn, err := s.buildSnapshot(cfg, nil, opts.Keys)
	if err != nil {
		return nil, err
	}
	s.installSnapshot(sn)
	if cfg.RateLimits != nil || cfg.Risk.ScanEvery.Duration > 0 {
		ls, err := newLiveScan(cfg)
		if err != nil {
			return nil, err
		}
		s.live = ls
	}
	if err := s.openState(); err != nil {
		return nil, err
	}
	opts.CaseFeed = s.caseFeed(opts.CaseFeed)
	if err := s.openCases(sn.keys, opts); err != nil {
		s.lim.st.Close()
		return nil, err
	}
	if err := s.openLog(opts); err != nil {
		if s.cases != nil {
			s.cases.close()
		}
		s.lim.st.Close()
		return nil, err
	}
	s.logStartConfig()
	s.startBackground()
	s.addBuiltinChecks()
	s.routes()
	return s, nil
}

// newServer is a Server with its maps made and the options' defaults.
func newServer(cfg *Config, opts Options) *Server {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	met := newMetrics()
	s := &Server{cfg: cfg, backend: opts.Backend, lim: newLimiter(defaultStore(now), met.reg), met: met, slog: logger,
		now: now, reload: reloader{path: opts.ConfigPath, adjust: opts.Adjust, loaded: opts.Keys}, unauth: newAddrLimiter(cfg.HTTP.UnauthenticatedPerMinute, cfg.HTTP.UnauthenticatedTotalPerMinute),
		calib: newPaceCalibration(), trace: opts.Trace, window: repeatWindow(cfg.Watermarking.RepeatWindow.Duration)}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	s.risk.init()
	return s
}

// loadCanaries loads the shared canary set the config names, if any
// (secret sets are per key: loadSchemes).
func (s *Server) loadCanaries() error {
	switch s.cfg.Canaries {
	case "", canary.Secret:
	case canary.Default:
		s.slog.Warn("planting the PUBLIC DEMO canary set: every copy of forensics ships its answers, so a model that gives them proves nothing about your outputs; plant canaries: secret")
		fallthrough
	default:
		spec := s.cfg.Canaries
		if spec != canary.Default {
			spec = s.cfg.path(spec)
		}
		cs, err := canary.Load(spec)
		if err != nil {
			return err
		}
		s.canaries = cs
	}
	return nil
}

// openLog opens the request log, if the config has one.
func (s *Server) openLog(opts Options) error {
	cfg := s.cfg
	if cfg.Log.Path == "" {
		return nil
	}
	opened, checkpoint := map[string]any{"tool": "forensics serve", "version": opts.Version}, map[string]any{}
	if opts.Build != nil {
		opened["build"], checkpoint["build"] = opts.Build, opts.Build
	}
	l, err := reqlog.Open(reqlog.Options{Path: cfg.path(cfg.Log.Path), MaxBytes: int64(cfg.Log.MaxSizeMB) << 20,
		Compress: *cfg.Log.Compress, RetentionDays: cfg.Log.RetentionDays, CheckpointEvery: cfg.Log.CheckpointEvery.Duration,
		Signer: opts.LogSigner, Logger: s.slog, Now: s.now, Opened: opened, Checkpoint: checkpoint})
	if err != nil {
		return err
	}
	s.log = l
	return nil
}

// startBackground starts the periodic risk scans, the summaries of
// unauthenticated traffic and the pacing calibrations of the models known
// now.
func (s *Server) startBackground() {
	if s.live != nil {
		if every := s.cfg.Risk.ScanEvery.Duration; every > 0 {
			s.live.stop, s.live.done = make(chan struct{}), make(chan struct{})
			go s.runScans(every)
		}
	}
	s.sumStop, s.sumDone = make(chan struct{}), make(chan struct{})
	go s.summariseUnauthenticated()
	if *s.cfg.Watermarking.Pacing {
		// Short prompts of the models known now are calibrated at start;
		// other models and prompt sizes on first use.
		s.calib.mu.Lock()
		for _, m := range s.knownModels() {
			k := paceKeyOf(m, 0)
			e := &calibEntry{}
			s.calib.entries[k] = e
			s.startCalibration(k, e)
		}
		s.calib.mu.Unlock()
	}
}

// knownModels are the backend names of the models the config serves (the
// embedded model's, for the embedded backend without a models list).
func (s *Server) knownModels() []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range s.current().models {
		if !seen[m.Upstream] {
			seen[m.Upstream] = true
			out = append(out, m.Upstream)
		}
	}
	if len(out) == 0 && s.cfg.Backend.Kind == "embedded" {
		out = append(out, EmbeddedModelName)
	}
	return out
}
