// Package serve is the watermarking gateway: an HTTP server that speaks
// Ollama's API and the OpenAI chat API, authenticates accounts, applies
// their rate limits, generates through a backend (Ollama or the embedded
// model) with every token sampled from the account's watermarked
// distribution, and logs every request.
//
// Its clients may be the adversary the watermark is for: a lab harvesting
// answers to distil the model, which knows this code, controls every
// request field and times every byte. So the randomness of watermarked
// sampling is keyed (seed.go), watermarked text is paced so that its
// timing does not show where drafts were rejected (pace.go), temperatures
// below a floor are not honoured for watermarked accounts, models served
// without a watermark exist only for the accounts allowed them, everything
// the model saw is logged (bounded), the log is a hash chain with signed
// checkpoints that failed requests cannot flood (package reqlog, guard.go),
// and /metrics is for the admin only.
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
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"forensics/canary"
	"forensics/generate"
	"forensics/logline"
	"forensics/reqlog"
	"forensics/watermark"
)

// Server is the gateway. Create it with New, serve Handler(), and Close it
// after the HTTP server has shut down to flush the request log.
type Server struct {
	cfg     *Config
	backend Backend
	lim     *limiter
	log     *reqlog.Writer // nil: no log file
	slog    *slog.Logger
	met     *metrics
	// snap is what a reload replaces: accounts, their API keys, admin
	// keys, models (snapshot.go, reload.go).
	snap     atomic.Pointer[snapshot]
	reload   reloader
	throttle throttledLog // the gateway's own error lines (slogthrottle.go)
	ready    readiness
	now      func() time.Time
	window   repeatWindow // watermarking.repeat_window
	mux      *http.ServeMux
	adminMux *http.ServeMux
	wg       sync.WaitGroup // authenticated requests in flight
	risk     riskState
	live     *liveScan    // nil: no rate_limits and no risk.scan_every
	canaries *canary.Set  // planted answers of a shared set (nil: none, or secret sets per key)
	cases    *caseManager // nil: no cases.ledger
	unauth   *addrLimiter
	version  versionCache // /api/version's answer
	calib    *paceCalibration
	bg       sync.WaitGroup // calibrations
	bgCtx    context.Context
	bgCancel context.CancelFunc
	trace    func(requestID string, toks []generate.Token)
	stopping atomic.Bool // Shutdown has begun
	sumStop  chan struct{}
	sumDone  chan struct{}
}

type account struct {
	name    string
	scheme  *watermark.Scheme // nil: not watermarked
	payload string
	models  map[string]bool // nil: every watermarked model
	// catalog is the models of the account's snapshot: a request resolves
	// its model in the config it was authenticated under.
	catalog map[string]ModelConfig
	served  *servedAnswers // nil for unknown callers
	// canaries are the planted answers the account is served: its key's
	// secret set, or the config's shared set (nil: none).
	canaries *canary.Set
	// caseCanaries are the secret canaries of the account's case, planted
	// besides canaries while it is in one (nil: none).
	caseCanaries *canary.Set
	// inCase is the account's case timeline (cases_timeline.go; nil
	// inside: never in a case); nil for accounts that cannot join cases
	// (not watermarked under the master key). A request reads it once,
	// through current.
	inCase *atomic.Pointer[caseTimeline]
	// caseID is the case of a request's snapshot of the account (current).
	caseID string
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.HandleFunc("GET /readyz", s.handleReady(false))
	s.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if !s.current().admins[keyHash(r)] {
			writeError(w, http.StatusUnauthorized, "admin API key required")
			return
		}
		s.metricsHandler().ServeHTTP(w, r)
	})
	s.mux.HandleFunc("POST /api/generate", s.authed("/api/generate", s.handleGenerate))
	s.mux.HandleFunc("POST /api/chat", s.authed("/api/chat", s.handleChat))
	s.mux.HandleFunc("GET /api/tags", s.authed("/api/tags", s.handleTags))
	s.mux.HandleFunc("POST /api/show", s.authed("/api/show", s.handleShow))
	s.mux.HandleFunc("POST /v1/chat/completions", s.authed("/v1/chat/completions", s.handleOpenAIChat))
	s.mux.HandleFunc("GET /v1/models", s.authed("/v1/models", s.handleOpenAIModels))
	s.mux.HandleFunc("POST /admin/limits", s.handleAdminLimits)
	s.mux.HandleFunc("POST /admin/risk", s.handleAdminRisk)
	s.mux.HandleFunc("POST /admin/reload", s.handleAdminReload)
	s.caseRoutes(s.mux)
	s.keyRoutes(s.mux)
	s.protocolRoutes(s.mux)

	s.adminMux = http.NewServeMux()
	s.adminMux.HandleFunc("GET /healthz", s.handleHealth)
	s.adminMux.HandleFunc("GET /readyz", s.handleReady(true))
	s.adminMux.HandleFunc("POST /admin/reload", s.handleAdminReload)
	s.adminMux.Handle("GET /metrics", s.metricsHandler())
	s.adminMux.HandleFunc("POST /admin/limits", s.handleAdminLimits)
	s.adminMux.HandleFunc("POST /admin/risk", s.handleAdminRisk)
	s.caseRoutes(s.adminMux)
	s.keyRoutes(s.adminMux)
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.met.reg, promhttp.HandlerOpts{})
}

// Handler returns the gateway's public HTTP handler. Serve it with
// LimitListener and the http.Server settings of HTTPServer.
func (s *Server) Handler() http.Handler {
	return withBodyDeadline(s.cfg.HTTP.BodyTimeout.Duration, s.withCORS(withPathKey(s.withFallback(s.mux))))
}

// AdminHandler serves /metrics without a key, /healthz and /admin/*, for
// the admin_listen address.
func (s *Server) AdminHandler() http.Handler {
	return withBodyDeadline(s.cfg.HTTP.BodyTimeout.Duration, s.adminMux)
}

// HTTPServer is an http.Server for h with the config's header limits; with
// a LimitedListener it reports connection states to it (idle connections
// make room when the listener is full).
func (s *Server) HTTPServer(h http.Handler, l *LimitedListener) *http.Server {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: s.cfg.HTTP.MaxHeaderBytes}
	if l != nil {
		hs.ConnState = l.Track
	}
	return hs
}

// BeginShutdown marks the gateway as stopping: /healthz and /readyz turn 503 and
// generations cut by the shutdown are logged as such.
func (s *Server) BeginShutdown() { s.stopping.Store(true) }

// Close waits for generations still running and flushes the request log.
// Call it after http.Server.Shutdown has returned. Its error names lines
// the log lost.
func (s *Server) Close() error {
	s.wg.Wait()
	s.bgCancel()
	s.bg.Wait()
	s.ready.probes.Wait()
	if s.live != nil && s.live.stop != nil {
		close(s.live.stop)
		<-s.live.done
		s.live.stop = nil
	}
	if s.sumStop != nil {
		close(s.sumStop)
		<-s.sumDone
		s.sumStop = nil
		s.flushSuppressed(s.now().Add(time.Minute))
	}
	cerr := s.lim.st.Close()
	if s.cases != nil {
		cerr = errors.Join(cerr, s.cases.close())
	}
	if s.log != nil {
		return errors.Join(s.log.Close(), cerr)
	}
	return cerr
}

// reqCtx carries one request's identity through a handler.
type reqCtx struct {
	id       string
	acct     *account
	keyHash  string
	endpoint string
	start    time.Time
	// at is the time the request is served as: its account's case state
	// and its repeat window are those at this time (account.current).
	at time.Time
	// header is the response's header, for the rate-limit headers set
	// when a generation is admitted.
	header http.Header
}

type handler func(w http.ResponseWriter, r *http.Request, rc *reqCtx)

// authed resolves the API key to an account and admits the request
// against its hourly limit before anything else is done for it. Failed
// authentication answers 401 and is logged, within the address's
// unauthenticated_per_minute; beyond it, 429 and a count.
func (s *Server) authed(endpoint string, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// Close waits for this, logging included (refusals too), before
		// closing the log.
		s.wg.Add(1)
		defer s.wg.Done()
		rc := &reqCtx{id: newID(), endpoint: endpoint, start: s.now(), header: w.Header()}
		w.Header().Set("X-Request-Id", rc.id)
		key, err := credentials(r)
		msg := "missing API key: send Authorization: Bearer <key>"
		switch {
		case errors.Is(err, errQueryKey):
			msg = err.Error()
		case err != nil:
			msg = "unknown API key"
		case key != "":
			rc.keyHash = HashAPIKey(key)
			var he *httpError
			if rc.acct, he = s.keyAccount(r.Context(), rc.keyHash, s.current().accounts[rc.keyHash]); he != nil {
				rc.acct = &account{}
				s.refuse(w, r, rc, "", nil, he, writeErrorFor(endpoint))
				return
			}
			msg = "unknown API key"
		}
		if rc.acct == nil {
			rc.acct = &account{}
			s.refuseUnauthenticated(w, r, rc, msg)
			return
		}
		// The key and canaries the whole request is served under.
		rc.acct, rc.at = rc.acct.current(s.now)
		if he := s.chargeRequest(r.Context(), w.Header(), rc); he != nil {
			s.refuse(w, r, rc, "", nil, he, writeErrorFor(endpoint))
			return
		}
		s.met.inFlight.Inc()
		defer s.met.inFlight.Dec()
		h(w, r, rc)
		s.met.duration.WithLabelValues(endpoint).Observe(s.now().Sub(rc.start).Seconds())
	}
}

// refuseUnauthenticated answers a request without a valid key: 401 and a
// log line while the address is within its limit, then 429 without one
// (summarised a minute later). The connection is not kept: its body, if
// any, is not read.
func (s *Server) refuseUnauthenticated(w http.ResponseWriter, r *http.Request, rc *reqCtx, msg string) {
	s.refuseUnauthenticatedAs(w, r, rc, http.StatusUnauthorized, nil, msg)
}

// refuseUnauthenticatedAs is refuseUnauthenticated with another status
// (404 and 405 for unknown paths) and the params to log.
func (s *Server) refuseUnauthenticatedAs(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, gr *genRequest, msg string) {
	w.Header().Set("Connection", "close")
	write := writeErrorFor(rc.endpoint)
	addr := s.clientAddr(r)
	if s.log != nil && s.log.Failing() {
		// While the log fails, its memory queue is kept for accounts'
		// lines; this one is only counted.
		s.unauth.suppress(addr)
		write(w, status, msg)
		return
	}
	if !s.unauth.allow(addr, s.now()) {
		s.met.limited.WithLabelValues("", "unauthenticated_per_minute").Inc()
		w.Header().Set("Retry-After", unauthRetryAfter)
		write(w, http.StatusTooManyRequests, "too many unauthenticated requests from this address")
		return
	}
	write(w, status, msg)
	s.logRequest(r, rc, status, "", gr, nil, msg)
}

// summariseUnauthenticated writes, once a minute, one log line per address
// whose unauthenticated requests went over the limit.
func (s *Server) summariseUnauthenticated() {
	defer close(s.sumDone)
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.sumStop:
			return
		case <-t.C:
			s.flushSuppressed(s.now())
		}
	}
}

func (s *Server) flushSuppressed(now time.Time) {
	for addr, n := range s.unauth.suppressed(now) {
		ip := addr.String()
		if !addr.IsValid() {
			ip = "(other addresses)"
		}
		e := logline.Entry{TS: now.UTC().Format(time.RFC3339Nano), Event: "suppressed", IP: ip, Status: http.StatusTooManyRequests,
			Suppressed: n, Params: map[string]any{}, Error: "unauthenticated requests over unauthenticated_per_minute, refused without a line each"}
		s.writeLog(&e)
	}
}

func newID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func randomUint64() uint64 {
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

// writeErrorFor picks the error shape of an endpoint's API.
func writeErrorFor(endpoint string) func(http.ResponseWriter, int, string) {
	if strings.HasPrefix(endpoint, "/v1/") {
		return writeOAIError
	}
	return writeError
}

// httpError is an error with the status to answer it with.
type httpError struct {
	status int
	msg    string
	retry  time.Duration
	// detail goes to the request log after msg, never to the client (a
	// backend's address, its own error text).
	detail string
}

func (e *httpError) Error() string { return e.msg }

// readJSON reads the whole request body (at most max_body_bytes, within
// the body deadline set before authentication), clears that deadline so
// that a long answer can stream, and decodes it.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) *httpError {
	data, he := s.readBody(w, r)
	if he != nil {
		return he
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &httpError{status: http.StatusBadRequest, msg: "malformed JSON body: " + err.Error()}
	}
	return nil
}

// readBody reads the whole request body as readJSON does, without
// decoding it.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *httpError) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.Requests.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body larger than %d bytes", mbe.Limit)}
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, &httpError{status: http.StatusRequestTimeout, msg: fmt.Sprintf("request body not received within %s", s.cfg.HTTP.BodyTimeout.Duration)}
		}
		return nil, &httpError{status: http.StatusBadRequest, msg: "reading request body: " + err.Error()}
	}
	http.NewResponseController(w).SetReadDeadline(time.Time{})
	return data, nil
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
	e := logline.Entry{
		TS: rc.start.UTC().Format(time.RFC3339Nano), RequestID: rc.id, Account: rc.acct.name,
		APIKeyID: keyID, IP: s.clientIP(r).String(), UserAgent: r.UserAgent(),
		Endpoint: rc.endpoint, Model: mc, Status: status, Error: errMsg, Case: rc.acct.caseID,
		LatencyMS: float64(s.now().Sub(rc.start).Microseconds()) / 1000,
	}
	if gr != nil {
		e.Messages, e.Prompt, e.System, e.Params = gr.messages, gr.rawText, gr.system, gr.params
		e.PromptTokens = gr.promptTokens
	}
	if e.Params == nil {
		e.Params = map[string]any{}
	}
	if g != nil {
		e.CompletionTokens = g.stats.Tokens
		e.Watermark = g.watermark
		e.Stop, e.RoundTrips, e.Rejected = g.stats.Stop, g.stats.RoundTrips, g.stats.Rejected
		e.Canary, e.Stalls, e.CompletionSHA256 = g.canary, g.stalls, g.answer
	}
	s.writeLog(&e)
}

// writeLog bounds an entry, feeds it to the live scanner and appends it.
func (s *Server) writeLog(e *logline.Entry) {
	bound(e, s.cfg.Log.MaxFieldBytes)
	// Encoded once: the live scanner parses the same line the log keeps.
	line, err := logline.Marshal(e)
	if err != nil {
		s.met.logErrors.Inc()
		s.logThrottled(slog.LevelError, "log_encode", "request log: a line could not be encoded", "request_id", e.RequestID, "event", e.Event, "err", err)
		return
	}
	s.observe(e, line)
	if s.log == nil {
		return
	}
	if err := s.log.Append(line); err != nil {
		s.met.logErrors.Inc() // the writer keeps it and retries; /readyz says so
		s.logThrottled(slog.LevelError, "log_append", "request log: a line waits in memory", "request_id", e.RequestID, "err", err)
	}
}

// logRefuses reports whether the request log's failure stops this
// account's requests (log.on_failure).
func (s *Server) logRefuses(acct *account) bool {
	if s.log == nil || s.log.Healthy() == nil {
		return false
	}
	switch s.cfg.Log.OnFailure {
	case "refuse-all":
		return true
	case "refuse-watermarked":
		return acct.scheme != nil
	}
	return false
}

// clientIP is the client's address: the connection's, or, behind a
// trusted proxy, the last address of X-Forwarded-For that is not one.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	ip := ap.Addr().Unmap()
	if !s.trusted(ip) {
		return ip
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return ip // a malformed hop: stop at the proxy we know
		}
		if a = a.Unmap(); !s.trusted(a) {
			return a
		}
		ip = a
	}
	return ip
}

func (s *Server) trusted(ip netip.Addr) bool {
	for _, p := range s.cfg.HTTP.trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// clientAddr is the unit unauthenticated limits count per.
func (s *Server) clientAddr(r *http.Request) netip.Addr { return clientNet(s.clientIP(r)) }

// statusOf maps a generation error to the status logged for it.
func (s *Server) statusOf(err error, ctx context.Context) int {
	switch {
	case err == nil:
		return http.StatusOK
	case ctx.Err() != nil:
		return 499 // client closed the request (nginx's convention), or shutdown cut it
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
		// Reset lifts the operator's tightenings instead (factor unset).
		Reset bool `json:"reset"`
	}
	if he := s.readJSON(w, r, &req); he != nil {
		fail(he.status, he.msg)
		return
	}
	gr.params["account"], gr.params["factor"], gr.params["reset"] = req.Account, req.Factor, req.Reset
	var nl Limits
	var err error
	switch {
	case req.Reset && req.Factor != 0:
		err = errors.New("give a factor or reset, not both")
	case req.Reset:
		nl, err = s.Untighten(req.Account)
	default:
		nl, err = s.Tighten(req.Account, req.Factor)
	}
	if err != nil {
		fail(statusOfRiskError(err), err.Error())
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
	s.wg.Add(1)
	defer s.wg.Done()
	rc := &reqCtx{id: newID(), endpoint: endpoint, start: s.now(), acct: &account{name: "admin"}, keyHash: keyHash(r)}
	gr := &genRequest{params: map[string]any{}}
	fail := func(status int, msg string) {
		writeError(w, status, msg)
		s.logRequest(r, rc, status, "", gr, nil, msg)
	}
	if !s.current().admins[rc.keyHash] {
		rc.acct = &account{}
		s.refuseUnauthenticated(w, r, rc, "admin API key required")
		return nil, nil, nil, false
	}
	return rc, gr, fail, true
}
