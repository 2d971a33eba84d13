package serve

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// pinnedOllamaVersion is the Ollama version whose API the gateway speaks
// (the module it takes api types from). /api/version answers it for the
// embedded backend: clients compare the version against the releases
// that brought the features they use, and this is the release whose
// features the gateway's Ollama API has.
const pinnedOllamaVersion = "0.17.4"

// protocolRoutes adds the endpoints clients expect besides generation:
// the unauthenticated liveness answers Ollama gives (GET|HEAD / and
// /api/version), running models, model objects, legacy completions and
// embeddings.
func (s *Server) protocolRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.unauthenticatedCheap(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Ollama is running")
	}))
	mux.HandleFunc("GET /api/version", s.unauthenticatedCheap(s.handleVersion))
	mux.HandleFunc("GET /api/ps", s.authed("/api/ps", s.handlePs))
	mux.HandleFunc("GET /v1/models/{id...}", s.authed("/v1/models/{id}", s.handleOpenAIModel))
	mux.HandleFunc("POST /v1/completions", s.authed("/v1/completions", s.handleOpenAICompletions))
	mux.HandleFunc("POST /api/embed", s.authed("/api/embed", s.handleEmbed))
	mux.HandleFunc("POST /api/embeddings", s.authed("/api/embeddings", s.handleEmbeddings))
	mux.HandleFunc("POST /v1/embeddings", s.authed("/v1/embeddings", s.handleOpenAIEmbeddings))
}

// unauthenticatedCheap serves an answer that needs no key and says
// nothing about accounts: it is not logged line by line, but each request
// counts against the address's unauthenticated_per_minute like a failed
// authentication, so that it costs a flood what one does.
func (s *Server) unauthenticatedCheap(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.unauth.allow(s.clientAddr(r), s.now()) {
			s.met.limited.WithLabelValues("", "unauthenticated_per_minute").Inc()
			w.Header().Set("Retry-After", unauthRetryAfter)
			writeError(w, http.StatusTooManyRequests, "too many unauthenticated requests from this address")
			return
		}
		h(w, r)
	}
}

// versionCache keeps the upstream's version a minute: /api/version needs
// no key, and must not turn each anonymous request into one upstream.
type versionCache struct {
	mu      sync.Mutex
	version string
	at      time.Time
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	vc := &s.version
	vc.mu.Lock()
	if vc.version == "" || s.now().Sub(vc.at) > time.Minute {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		ver, err := s.backend.Version(ctx)
		cancel()
		if err != nil || ver == "" {
			// A liveness probe that needs no key does not report the
			// backend's failures; /readyz on the admin listener does.
			ver = pinnedOllamaVersion
		}
		vc.version, vc.at = ver, s.now()
	}
	ver := vc.version
	vc.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"version": ver})
}

// withFallback answers paths the mux has no route for (404) or no route
// for with this method (405) in the shape of the API the path belongs to,
// and logs them: with the account when the request shows a valid key
// (charged to its hourly limit like every request), otherwise within the
// address's unauthenticated limit.
func (s *Server) withFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		iw := &interceptWriter{ResponseWriter: w}
		mux.ServeHTTP(iw, r)
		if iw.code == 0 {
			return // a redirect or another answer the mux gave
		}
		s.unrouted(w, r, iw.code, iw.Header().Get("Allow"))
	})
}

// unrouted answers and logs a 404 or 405.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request, status int, allow string) {
	endpoint, msg := "(unknown path)", "no such endpoint: "+r.Method+" "+r.URL.Path
	if status == http.StatusMethodNotAllowed {
		endpoint, msg = "(method not allowed)", "method "+r.Method+" not allowed here; allowed: "+allow
	}
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		endpoint = "/v1/" + endpoint
	}
	path := r.URL.Path
	if len(path) > 256 {
		path = path[:256]
	}
	gr := &genRequest{params: map[string]any{"method": r.Method, "path": path}}
	h := func(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
		s.refuse(w, r, rc, "", gr, &httpError{status: status, msg: msg}, writeErrorFor(endpoint))
	}
	if hash := keyHash(r); hash != "" {
		// Keys added at run time too; a failing store answers 503 there.
		if a, he := s.keyAccount(r.Context(), hash, s.current().accounts[hash]); he != nil || a != nil {
			s.authed(endpoint, h)(w, r)
			return
		}
	}
	s.wg.Add(1)
	defer s.wg.Done()
	rc := &reqCtx{id: newID(), endpoint: endpoint, start: s.now(), acct: &account{}}
	w.Header().Set("X-Request-Id", rc.id)
	s.refuseUnauthenticatedAs(w, r, rc, status, gr, msg)
}

// interceptWriter swallows a 404 or 405 the mux writes (its plain-text
// answers) and passes anything else through.
type interceptWriter struct {
	http.ResponseWriter
	code int // the swallowed status
}

func (iw *interceptWriter) WriteHeader(code int) {
	if code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
		iw.code = code
		return
	}
	iw.ResponseWriter.WriteHeader(code)
}

func (iw *interceptWriter) Write(b []byte) (int, error) {
	if iw.code != 0 {
		return len(b), nil
	}
	return iw.ResponseWriter.Write(b)
}
