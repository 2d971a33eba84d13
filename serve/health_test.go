package serve

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ollama/ollama/api"
)

// probeBackend counts Tags calls (the readiness probe) and fails them
// while down is set.
type probeBackend struct {
	Backend
	tags atomic.Int64
	down atomic.Bool
}

func (b *probeBackend) Tags(ctx context.Context) (*api.ListResponse, error) {
	b.tags.Add(1)
	if b.down.Load() {
		return nil, errors.New("connection refused")
	}
	return b.Backend.Tags(ctx)
}

// TestHealthAndReady: liveness until shutdown; readiness with the
// backend and the log, without detail on the public listener and with it
// on the admin one; HEAD too.
func TestHealthAndReady(t *testing.T) {
	var cb *probeBackend
	g := startGatewayWith(t, testKey(t, 1), "", func(_ *Config, o *Options) {
		cb = &probeBackend{Backend: o.Backend}
		o.Backend = cb
	})
	admin := httptest.NewServer(g.srv.AdminHandler())
	defer admin.Close()
	for _, path := range []string{"/healthz", "/readyz"} {
		if body := readAll(t, g.get(path, "")); body != "ok\n" {
			t.Fatalf("%s: %q", path, body)
		}
		if c := statusOf(t, g.send(http.MethodHead, path, "", nil)); c != 200 {
			t.Fatalf("HEAD %s: %d", path, c)
		}
	}
	resp, err := admin.Client().Get(admin.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var detail struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	json.NewDecoder(resp.Body).Decode(&detail)
	resp.Body.Close()
	if !detail.Ready || detail.Checks["backend"] != "ok" || detail.Checks["request_log"] != "ok" {
		t.Fatalf("admin /readyz: %+v", detail)
	}
	g.srv.BeginShutdown()
	for _, path := range []string{"/healthz", "/readyz"} {
		if c := statusOf(t, g.get(path, "")); c != 503 {
			t.Fatalf("%s while shutting down: %d", path, c)
		}
	}
}

// TestReadyProbesBounded: a flood of /readyz makes at most one backend
// probe per interval; a backend that is down shows on the admin
// listener, and only "not ready" on the public one.
func TestReadyProbesBounded(t *testing.T) {
	var cb *probeBackend
	g := startGatewayWith(t, testKey(t, 1), "", func(_ *Config, o *Options) {
		cb = &probeBackend{Backend: o.Backend}
		cb.down.Store(true)
		o.Backend = cb
	})
	var wg sync.WaitGroup
	codes := make(chan int, 400)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				resp, err := g.sendErr(http.MethodGet, "/readyz", "", nil)
				if err != nil {
					continue
				}
				resp.Body.Close()
				codes <- resp.StatusCode
			}
		})
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 503 {
			t.Fatalf("/readyz with the backend down: %d", c)
		}
	}
	if n := cb.tags.Load(); n > 2 {
		t.Fatalf("400 /readyz made %d backend probes, want at most 2 within %s", n, backendProbeEvery)
	}
	body := readAll(t, g.get("/readyz", ""))
	if body != "{\"error\":\"not ready\"}\n" {
		t.Fatalf("public /readyz tells %q", body)
	}
	admin := httptest.NewServer(g.srv.AdminHandler())
	defer admin.Close()
	resp, err := admin.Client().Get(admin.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 503 || !json.Valid([]byte(body)) || !strings.Contains(body, "connection refused") {
		t.Fatalf("admin /readyz: %d %s", resp.StatusCode, body)
	}
}
