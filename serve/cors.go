package serve

import (
	"net/http"
	"strings"
)

// CORS as Ollama does it (server/routes.go, envconfig.AllowedOrigins):
// pages on localhost, 127.0.0.1 and 0.0.0.0 (any port) and the app://,
// file://, tauri://, vscode-webview:// and vscode-file:// schemes may call
// the gateway from a browser, plus the origins of http.allowed_origins
// ("*" only when written there). CORS is not what protects accounts here:
// keys are never ambient (no cookies), so a page can only use a key its
// user gave it; CORS decides which pages a browser lets read the answers.

// defaultOrigins are Ollama's default allowed origins.
var defaultOrigins = []string{
	"http://localhost", "https://localhost", "http://localhost:*", "https://localhost:*",
	"http://127.0.0.1", "https://127.0.0.1", "http://127.0.0.1:*", "https://127.0.0.1:*",
	"http://0.0.0.0", "https://0.0.0.0", "http://0.0.0.0:*", "https://0.0.0.0:*",
	"app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*",
}

// corsAllowHeaders are the request headers a page may send: Ollama's
// list, X-API-Key, and every x-stainless-* header (openai-node's).
var corsAllowHeaders = map[string]bool{
	"authorization": true, "content-type": true, "user-agent": true, "accept": true, "x-requested-with": true,
	"openai-beta": true, "openai-organization": true, "openai-project": true, "x-api-key": true, "idempotency-key": true,
}

// corsExposeHeaders are the answer headers a page may read.
const corsExposeHeaders = "X-Request-Id, Retry-After, X-RateLimit-Limit-Requests, X-RateLimit-Remaining-Requests, X-RateLimit-Reset-Requests, X-RateLimit-Limit-Tokens, X-RateLimit-Remaining-Tokens, X-RateLimit-Reset-Tokens"

// corsMaxAge is how long a browser may keep a preflight's answer (Chrome
// caps it at two hours): fewer preflights against the address's
// unauthenticated limit.
const corsMaxAge = "7200"

// originAllowed reports whether a page of origin may read answers, and
// the Access-Control-Allow-Origin value to send.
func originAllowed(patterns []string, origin string) (string, bool) {
	if origin == "" {
		return "", false
	}
	for _, p := range patterns {
		if p == "*" {
			return "*", true
		}
		if matchOrigin(p, origin) {
			return origin, true
		}
	}
	return "", false
}

// matchOrigin matches an origin against a pattern with at most one "*":
// a pattern ending in ":*" takes a port (digits), another "*" any text.
func matchOrigin(pattern, origin string) bool {
	prefix, suffix, wild := strings.Cut(pattern, "*")
	if !wild {
		return strings.EqualFold(pattern, origin)
	}
	if len(origin) < len(prefix)+len(suffix) || !strings.EqualFold(origin[:len(prefix)], prefix) || !strings.HasSuffix(origin, suffix) {
		return false
	}
	mid := origin[len(prefix) : len(origin)-len(suffix)]
	port := strings.HasSuffix(prefix, ":") && suffix == ""
	if port && (mid == "" || len(mid) > 5) {
		return false
	}
	for _, c := range mid {
		digit := c >= '0' && c <= '9'
		host := digit || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-' || c == ':'
		if port && !digit || !host {
			return false // an origin is scheme://host[:port], nothing else
		}
	}
	return true
}

// withCORS adds the CORS headers for allowed origins and answers
// preflights (OPTIONS with Access-Control-Request-Method) itself, without
// looking at any key: a preflight authenticates nothing. Preflights count
// against the address's unauthenticated limit and are not logged one by
// one.
func (s *Server) withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		acao, ok := originAllowed(s.current().origins, origin) // reloadable (reload.go)
		if origin != "" {
			w.Header().Add("Vary", "Origin")
		}
		if ok {
			w.Header().Set("Access-Control-Allow-Origin", acao)
			w.Header().Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		if r.Method != http.MethodOptions || origin == "" || r.Header.Get("Access-Control-Request-Method") == "" {
			next.ServeHTTP(w, r)
			return
		}
		if !s.unauth.allow(s.clientAddr(r), s.now()) {
			s.met.limited.WithLabelValues("", "unauthenticated_per_minute").Inc()
			w.Header().Set("Retry-After", unauthRetryAfter)
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if ok {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, HEAD, OPTIONS")
			if h := allowedRequestHeaders(r.Header.Values("Access-Control-Request-Headers")); h != "" {
				w.Header().Set("Access-Control-Allow-Headers", h)
			}
			w.Header().Set("Access-Control-Max-Age", corsMaxAge)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// allowedRequestHeaders are the headers of a preflight's request that a
// page may send, as a header value.
func allowedRequestHeaders(values []string) string {
	var out []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			h = strings.ToLower(strings.TrimSpace(h))
			if corsAllowHeaders[h] || strings.HasPrefix(h, "x-stainless-") {
				out = append(out, h)
			}
		}
		if len(out) > 64 {
			break
		}
	}
	return strings.Join(out, ", ")
}
