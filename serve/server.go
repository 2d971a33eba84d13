// Package serve is the watermarking gateway: an HTTP server that speaks
// Ollama's API and the OpenAI chat API, authenticates accounts, applies
// their rate limits, generates through a backend (Ollama or the embedded
// model) with every token sampled from the account's watermarked
// distribution, and logs every request.
package serve

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"forensics/canary"
	"forensics/generate"
	"forensics/watermark"
)

// Server is the gateway. Create it with New, serve Handler(), and Close it
// after the HTTP server has shut down to flush the request log.
type Server struct {
	cfg      *Config
	backend  Backend
	lim      *limiter
	log      *requestLog
	met      *metrics
	accounts map[string]*account // by API key hash
	byName   map[string]*account
	admins   map[string]bool
	models   map[string]ModelConfig
	now      func() time.Time
	mux      *http.ServeMux
	wg       sync.WaitGroup // authenticated requests in flight
	risk     riskState
	live     *liveScan   // nil: no rate_limits and no risk.scan_every
	canaries *canary.Set // planted answers (nil: none)
}

type account struct {
	name    string
	scheme  *watermark.Scheme // nil: not watermarked
	payload string
}

// Options configure New beyond the Config.
type Options struct {
	Backend Backend
	// Keys are the loaded watermark keys by config name; keys named in the
	// config but missing here are loaded from their files.
	Keys map[string]*watermark.Key
	Now  func() time.Time
}

// New builds a gateway from a checked config.
func New(cfg *Config, opts Options) (*Server, error) {
	if opts.Backend == nil {
		return nil, errors.New("serve: no backend")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{cfg: cfg, backend: opts.Backend, lim: newLimiter(now), met: newMetrics(),
		accounts: map[string]*account{}, byName: map[string]*account{}, admins: map[string]bool{},
		models: map[string]ModelConfig{}, now: now}
	s.risk.init()
	schemes := map[string]*watermark.Scheme{}
	for name, path := range cfg.Keys {
		k := opts.Keys[name]
		if k == nil {
			var err error
			if k, err = watermark.LoadKey(cfg.path(path)); err != nil {
				return nil, err
			}
		}
		schemes[name] = watermark.NewScheme(k)
	}
	for _, a := range cfg.Accounts {
		acct := &account{name: a.Name, payload: a.Payload}
		if watermarkOn(a.Watermark) {
			key := a.Key
			if key == "" {
				key = cfg.Defaults.Key
			}
			acct.scheme = schemes[key]
		}
		for _, h := range a.APIKeys {
			s.accounts[h] = acct
		}
		s.byName[a.Name] = acct
		lim := cfg.Defaults.Limits
		if a.Limits != nil {
			lim = *a.Limits
		}
		s.lim.set(a.Name, lim)
		s.risk.base[a.Name] = lim
	}
	for _, h := range cfg.AdminAPIKeys {
		s.admins[h] = true
	}
	for _, m := range cfg.Models {
		if m.Upstream == "" {
			m.Upstream = m.Name
		}
		s.models[m.Name] = m
	}
	if cfg.Log.Path != "" {
		l, err := openRequestLog(cfg.path(cfg.Log.Path), int64(cfg.Log.MaxSizeMB)<<20, cfg.Log.MaxFiles)
		if err != nil {
			return nil, err
		}
		s.log = l
	}
	if cfg.Canaries != "" {
		spec := cfg.Canaries
		if spec != canary.Default {
			spec = cfg.path(spec)
		}
		cs, err := canary.Load(spec)
		if err != nil {
			return nil, err
		}
		s.canaries = cs
	}
	if cfg.RateLimits != nil || cfg.Risk.ScanEvery.Duration > 0 {
		ls, err := newLiveScan(cfg)
		if err != nil {
			return nil, err
		}
		s.live = ls
		if every := cfg.Risk.ScanEvery.Duration; every > 0 {
			ls.stop, ls.done = make(chan struct{}), make(chan struct{})
			go s.runScans(every)
		}
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.met.reg, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("POST /api/generate", s.authed("/api/generate", s.handleGenerate))
	s.mux.HandleFunc("POST /api/chat", s.authed("/api/chat", s.handleChat))
	s.mux.HandleFunc("GET /api/tags", s.authed("/api/tags", s.handleTags))
	s.mux.HandleFunc("POST /api/show", s.authed("/api/show", s.handleShow))
	s.mux.HandleFunc("POST /v1/chat/completions", s.authed("/v1/chat/completions", s.handleOpenAIChat))
	s.mux.HandleFunc("GET /v1/models", s.authed("/v1/models", s.handleOpenAIModels))
	s.mux.HandleFunc("POST /admin/limits", s.handleAdminLimits)
	s.mux.HandleFunc("POST /admin/risk", s.handleAdminRisk)
	return s, nil
}

// Handler returns the gateway's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Close waits for generations still running and flushes the request log.
// Call it after http.Server.Shutdown has returned.
func (s *Server) Close() error {
	s.wg.Wait()
	if s.live != nil && s.live.stop != nil {
		close(s.live.stop)
		<-s.live.done
		s.live.stop = nil
	}
	if s.log != nil {
		return s.log.Close()
	}
	return nil
}

// Tighten multiplies an account's limits by factor (0 < factor ≤ 1),
// keeping what it has already used; unlimited quotas stay unlimited.
func (s *Server) Tighten(acct string, factor float64) (Limits, error) {
	if !(factor > 0 && factor <= 1) {
		return Limits{}, fmt.Errorf("factor %v outside (0,1]", factor)
	}
	s.risk.mu.Lock()
	defer s.risk.mu.Unlock()
	if _, ok := s.risk.base[acct]; !ok {
		return Limits{}, fmt.Errorf("no account %q", acct)
	}
	// Recorded as its own source, so a later scan result does not undo it.
	f := 1.0
	if v, ok := s.risk.factor[sourceManual][acct]; ok {
		f = v
	}
	s.risk.factor[sourceManual][acct] = f * factor
	s.setLimitsLocked(acct)
	nl, _ := s.lim.limits(acct)
	return nl, nil
}

// reqCtx carries one request's identity through a handler.
type reqCtx struct {
	id       string
	acct     *account
	keyHash  string
	endpoint string
	start    time.Time
	entry    LogEntry
}

type handler func(w http.ResponseWriter, r *http.Request, rc *reqCtx)

// authed resolves the API key to an account (401 otherwise) and records
// the request's outcome in metrics.
func (s *Server) authed(endpoint string, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc := &reqCtx{id: newID(), endpoint: endpoint, start: s.now()}
		w.Header().Set("X-Request-Id", rc.id)
		key := apiKey(r)
		msg := "missing API key: send Authorization: Bearer <key>"
		if key != "" {
			rc.keyHash = HashAPIKey(key)
			rc.acct = s.accounts[rc.keyHash]
			msg = "unknown API key"
		}
		if rc.acct == nil {
			// Failed authentication is logged too: key probing is a signal.
			rc.acct = &account{}
			writeError(w, http.StatusUnauthorized, msg)
			s.logRequest(r, rc, http.StatusUnauthorized, "", nil, nil, msg)
			return
		}
		if risk, ok := s.suspendedRisk(rc.acct.name); ok {
			msg := fmt.Sprintf("account %s is suspended for review (risk %.2f)", rc.acct.name, risk)
			writeError(w, http.StatusForbidden, msg)
			s.logRequest(r, rc, http.StatusForbidden, "", nil, nil, msg)
			return
		}
		// Close waits for this, logging included, before closing the log.
		s.wg.Add(1)
		defer s.wg.Done()
		s.met.inFlight.Inc()
		defer s.met.inFlight.Dec()
		h(w, r, rc)
		s.met.duration.WithLabelValues(endpoint).Observe(s.now().Sub(rc.start).Seconds())
	}
}

func apiKey(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if k, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(k)
		}
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key"))
}

func newID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func randomSeed() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// errorBody is Ollama's error shape; OpenAI handlers use their own.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// httpError is an error with the status to answer it with.
type httpError struct {
	status int
	msg    string
	retry  time.Duration
}

func (e *httpError) Error() string { return e.msg }

// readJSON decodes a request body of at most the configured size.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) *httpError {
	body := http.MaxBytesReader(w, r.Body, s.cfg.Requests.MaxBodyBytes)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body larger than %d bytes", mbe.Limit)}
		}
		return &httpError{status: http.StatusBadRequest, msg: "malformed JSON body: " + err.Error()}
	}
	return nil
}

// genRequest is a generation request in the gateway's terms.
type genRequest struct {
	model    string // as the client named it
	upstream string // as the backend names it
	prompt   string // rendered raw prompt
	messages []Message
	rawText  *string // the client's prompt for /api/generate
	temp     float64
	maxTok   int
	minTok   int
	stop     []string
	seed     *uint64
	params   map[string]any
}

// resolveModel maps a client model name to the backend's, or 404.
func (s *Server) resolveModel(ctx context.Context, name string) (ModelConfig, *httpError) {
	if name == "" {
		return ModelConfig{}, &httpError{status: http.StatusBadRequest, msg: "model is required"}
	}
	if len(s.models) > 0 {
		m, ok := s.models[name]
		if !ok {
			return ModelConfig{}, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("model %q not found", name)}
		}
		return m, nil
	}
	ok, err := s.backend.Has(ctx, name)
	if err != nil {
		return ModelConfig{}, &httpError{status: http.StatusBadGateway, msg: "backend unavailable: " + err.Error()}
	}
	if !ok {
		return ModelConfig{}, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("model %q not found", name)}
	}
	return ModelConfig{Name: name, Upstream: name}, nil
}

// generation is a running generation's outcome.
type generation struct {
	canary    string // the trigger whose planted answer was served
	text      strings.Builder
	toks      []generate.Token
	stats     generate.Stats
	watermark *WatermarkEntry
	err       error
}

// userText is the text the client wrote for this request: the prompt of
// /api/generate, or a chat's last user message.
func userText(gr *genRequest) string {
	if gr.rawText != nil {
		return *gr.rawText
	}
	for i := len(gr.messages) - 1; i >= 0; i-- {
		if gr.messages[i].Role == "user" {
			return gr.messages[i].Content
		}
	}
	return ""
}

// run admits, generates and logs. emit receives text chunks as they become
// final; its error (a gone client) aborts the generation. It returns an
// httpError when the request is refused before generating.
func (s *Server) run(ctx context.Context, r *http.Request, rc *reqCtx, mc ModelConfig, gr *genRequest, emit func(string) error) (*generation, *httpError) {
	done, which, retry := s.lim.admit(rc.acct.name)
	if done == nil {
		s.met.limited.WithLabelValues(rc.acct.name, which).Inc()
		return nil, &httpError{status: http.StatusTooManyRequests, msg: fmt.Sprintf("rate limit %s exceeded for account %s", which, rc.acct.name), retry: retry}
	}
	maxTok := gr.maxTok
	if rem := s.lim.remainingTokens(rc.acct.name); rem >= 0 && rem < maxTok {
		maxTok = max(1, rem)
	}
	g := &generation{}
	if s.canaries != nil {
		if ans, id, ok := s.canaries.Planted(userText(gr)); ok {
			// The provider's planted answer, served as is: a model trained
			// on it repeats it, which the probe's canary test looks for.
			g.canary = id
			g.text.WriteString(ans)
			g.err = emit(ans)
			g.stats = generate.Stats{Tokens: s.backend.CountTokens(gr.upstream, ans), Stop: "stop"}
			done(g.stats.Tokens)
			s.met.tokens.WithLabelValues(rc.acct.name, "false").Add(float64(g.stats.Tokens))
			return g, nil
		}
	}
	scheme := rc.acct.scheme
	if !watermarkOn(mc.Watermark) {
		scheme = nil
	}
	if scheme != nil {
		g.watermark = &WatermarkEntry{KeyID: scheme.KeyID(), Payload: rc.acct.payload}
	}
	seed := randomSeed()
	if gr.seed != nil {
		seed = *gr.seed
	}
	start := s.now()
	g.toks, g.stats, g.err = generate.Speculative(ctx, s.backend, scheme, gr.prompt, generate.StreamOptions{
		Model: mc.Upstream, MaxTokens: maxTok, MinTokens: min(gr.minTok, maxTok), Temperature: gr.temp, Seed: seed, Stop: gr.stop,
	}, func(chunk string) error {
		g.text.WriteString(chunk)
		return emit(chunk)
	})
	done(g.stats.Tokens)
	if g.watermark != nil {
		for _, tok := range g.toks {
			if tok.Watermarked {
				g.watermark.Tilted++
			}
		}
	}
	s.met.roundTrips.Add(float64(g.stats.RoundTrips))
	s.met.drafts.WithLabelValues("accepted").Add(float64(g.stats.Accepted))
	s.met.drafts.WithLabelValues("rejected").Add(float64(g.stats.Rejected))
	s.met.drafts.WithLabelValues("discarded").Add(float64(g.stats.Discarded))
	s.met.tokens.WithLabelValues(rc.acct.name, fmt.Sprint(scheme != nil)).Add(float64(g.stats.Tokens))
	if g.stats.Tokens > 0 {
		s.met.tokenTime.Observe(s.now().Sub(start).Seconds() / float64(g.stats.Tokens))
	}
	if g.err != nil && ctx.Err() == nil {
		s.met.upstreamErr.Inc()
	}
	return g, nil
}

// logRequest writes the request's log line and counts it.
func (s *Server) logRequest(r *http.Request, rc *reqCtx, status int, mc string, gr *genRequest, g *generation, errMsg string) {
	s.met.requests.WithLabelValues(rc.endpoint, fmt.Sprint(status), rc.acct.name).Inc()
	if s.log == nil && s.live == nil {
		return
	}
	keyID := ""
	if h := strings.TrimPrefix(rc.keyHash, "sha256:"); len(h) >= 12 {
		keyID = h[:12]
	}
	e := LogEntry{
		TS: rc.start.UTC().Format(time.RFC3339Nano), RequestID: rc.id, Account: rc.acct.name,
		APIKeyID: keyID, IP: clientIP(r), UserAgent: r.UserAgent(),
		Endpoint: rc.endpoint, Model: mc, Status: status, Error: errMsg,
		LatencyMS: float64(s.now().Sub(rc.start).Microseconds()) / 1000,
	}
	if gr != nil {
		e.Messages, e.Prompt, e.Params = gr.messages, gr.rawText, gr.params
		if gr.prompt != "" {
			e.PromptTokens = s.backend.CountTokens(gr.upstream, gr.prompt)
		}
	}
	if e.Params == nil {
		e.Params = map[string]any{}
	}
	if g != nil {
		e.CompletionTokens = g.stats.Tokens
		e.Watermark = g.watermark
		e.Stop, e.RoundTrips, e.Rejected = g.stats.Stop, g.stats.RoundTrips, g.stats.Rejected
		e.Canary = g.canary
	}
	// Encoded once: the live scanner parses the same line the log keeps.
	line, err := json.Marshal(&e)
	if err != nil {
		s.met.logErrors.Inc()
		return
	}
	s.observe(&e, line)
	if s.log == nil {
		return
	}
	if err := s.log.writeLine(line); err != nil {
		s.met.logErrors.Inc() // the response is already out; alert on this metric
	}
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusOf maps a generation error to the status logged for it.
func statusOf(err error, ctx context.Context) int {
	switch {
	case err == nil:
		return http.StatusOK
	case ctx.Err() != nil:
		return 499 // client closed the request (nginx's convention)
	}
	return http.StatusBadGateway
}

// handleAdminLimits tightens an account's limits at run time:
// POST /admin/limits {"account": "acme", "factor": 0.25}.
// Every call, refused or not, is logged (account "admin"): limit changes
// are part of the audit trail.
func (s *Server) handleAdminLimits(w http.ResponseWriter, r *http.Request) {
	rc, gr, fail, ok := s.admin(w, r, "/admin/limits")
	if !ok {
		return
	}
	var req struct {
		Account string  `json:"account"`
		Factor  float64 `json:"factor"`
	}
	if he := s.readJSON(w, r, &req); he != nil {
		fail(he.status, he.msg)
		return
	}
	gr.params["account"], gr.params["factor"] = req.Account, req.Factor
	nl, err := s.Tighten(req.Account, req.Factor)
	if err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	gr.params["limits"] = nl
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"account": req.Account, "limits": nl})
	s.logRequest(r, rc, http.StatusOK, "", gr, nil, "")
}

// admin starts an admin call: it checks the admin key (answering and
// logging 401 otherwise) and returns the request's identity, a params map
// that goes into the log line, and a helper that answers and logs a
// failure. Every admin call is logged as account "admin": limit changes
// are part of the audit trail.
func (s *Server) admin(w http.ResponseWriter, r *http.Request, endpoint string) (*reqCtx, *genRequest, func(int, string), bool) {
	rc := &reqCtx{id: newID(), endpoint: endpoint, start: s.now(), acct: &account{name: "admin"}}
	if key := apiKey(r); key != "" {
		rc.keyHash = HashAPIKey(key)
	}
	gr := &genRequest{params: map[string]any{}}
	fail := func(status int, msg string) {
		writeError(w, status, msg)
		s.logRequest(r, rc, status, "", gr, nil, msg)
	}
	if !s.admins[rc.keyHash] {
		rc.acct = &account{}
		fail(http.StatusUnauthorized, "admin API key required")
		return nil, nil, nil, false
	}
	return rc, gr, fail, true
}
