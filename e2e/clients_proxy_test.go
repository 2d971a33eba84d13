package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// recorder is a transparent reverse proxy in front of the gateway that
// notes every exchange (method, path, status, X-Request-Id), for clients
// that cannot be handed a recording transport: the Ollama CLI, and Ollama's
// Go client as built by api.ClientFromEnvironment. It forwards the path and
// every header (Authorization included) unchanged and flushes at once, so
// streams stay streams.
type recorder struct {
	hs  *httptest.Server
	mu  sync.Mutex
	got []exchange
}

func newRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.FlushInterval = -1
	proxy.ModifyResponse = func(resp *http.Response) error {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.got = append(rec.got, exchange{Method: resp.Request.Method, Path: resp.Request.URL.Path,
			Status: resp.StatusCode, ID: resp.Header.Get("X-Request-Id")})
		return nil
	}
	rec.hs = httptest.NewServer(proxy)
	t.Cleanup(rec.hs.Close)
	return rec
}

// take returns the exchanges since the last take.
func (r *recorder) take() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

// ollamaHostWithKey is OLLAMA_HOST for an Ollama client (the Go api
// client, the CLI) that should send key: the key as the first path segments
// after /k/, which the client prefixes to every request path. It is the
// one way to put a key in OLLAMA_HOST that Ollama v0.17.4's clients
// accept; see ollamaHostUserinfo.
func ollamaHostWithKey(base, key string) string {
	return base + "/k/" + url.PathEscape(key)
}

// ollamaHostUserinfo is the key as URL userinfo (http://KEY@host:port),
// which curl and Go's net/http would send as Basic authentication, but
// Ollama v0.17.4's envconfig.Host keeps inside the host name, which
// url.URL.String then escapes ("KEY%40127.0.0.1"): its clients fail to
// parse their own request URLs and send nothing.
func ollamaHostUserinfo(base, key string) string {
	return strings.Replace(base, "://", "://"+url.PathEscape(key)+"@", 1)
}

// lastStatus is the status of the last exchange (0: none).
func lastStatus(ex []exchange) int {
	if len(ex) == 0 {
		return 0
	}
	return ex[len(ex)-1].Status
}
