package serve

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"forensics/internal/testredis"
)

// TestRateLimitHeaders: x-ratelimit-* on both APIs, from the configured
// limits; a 429 with a Retry-After under a minute.
func TestRateLimitHeaders(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	for i, want := range []struct {
		status    int
		remaining string
	}{{200, "1"}, {200, "0"}, {429, "0"}} {
		path := "/api/tags"
		if i == 2 {
			path = "/v1/models"
		}
		resp := g.get(path, limitedKey)
		body := readAll(t, resp)
		h := resp.Header
		if resp.StatusCode != want.status || h.Get("X-Ratelimit-Limit-Requests") != "2" || h.Get("X-Ratelimit-Remaining-Requests") != want.remaining || h.Get("X-Ratelimit-Reset-Requests") == "" {
			t.Fatalf("request %d: %d %v %s", i, resp.StatusCode, h, body)
		}
		if want.status == 429 {
			ra, _ := strconv.Atoi(h.Get("Retry-After"))
			if ra < 1 || ra >= 60 || !strings.Contains(body, `"type":"rate_limit_error"`) {
				t.Fatalf("429: Retry-After %q, body %s", h.Get("Retry-After"), body)
			}
		}
	}
	resp := g.get("/api/tags", devKey)
	readAll(t, resp)
	if h := resp.Header; h.Get("X-Ratelimit-Limit-Requests") != "" {
		t.Fatalf("unlimited account got limit headers: %v", h)
	}
}

// TestThrottleNotInHeaders runs the attack: two accounts with the same
// configured limits and the same requests, one of them throttled; until
// the throttle refuses, every header they see is the same.
func TestThrottleNotInHeaders(t *testing.T) {
	extra := `
  - name: twin-a
    api_keys: ["` + HashAPIKey("twin-a-key") + `"]
    limits: {requests_per_hour: 10, tokens_per_day: 100000}
    watermark: false
  - name: twin-b
    api_keys: ["` + HashAPIKey("twin-b-key") + `"]
    limits: {requests_per_hour: 10, tokens_per_day: 100000}
    watermark: false
`
	g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, _ *Options) {
		cfg, err := ParseConfig([]byte("accounts:" + extra))
		if err != nil {
			t.Fatal(err)
		}
		c.Accounts = append(c.Accounts, cfg.Accounts...)
	})
	if _, err := g.srv.Tighten("twin-b", 0.5); err != nil {
		t.Fatal(err)
	}
	gen := map[string]any{"model": "embedded", "prompt": "The", "stream": false, "options": map[string]any{"num_predict": 3, "seed": 1}}
	for i := 0; i < 4; i++ {
		ra, rb := g.post("/api/generate", "twin-a-key", gen), g.post("/api/generate", "twin-b-key", gen)
		readAll(t, ra)
		readAll(t, rb)
		if ra.StatusCode != 200 || rb.StatusCode != 200 {
			t.Fatalf("request %d: %d %d", i, ra.StatusCode, rb.StatusCode)
		}
		for _, name := range []string{"Limit-Requests", "Remaining-Requests", "Reset-Requests", "Limit-Tokens", "Remaining-Tokens", "Reset-Tokens"} {
			a, b := ra.Header.Get("X-Ratelimit-"+name), rb.Header.Get("X-Ratelimit-"+name)
			if a == "" || (a != b && !strings.HasPrefix(name, "Reset")) {
				t.Fatalf("request %d: %s %q vs throttled %q", i, name, a, b)
			}
		}
	}
}

// TestBudgetReservation: a request whose prompt and max_tokens the daily
// budget cannot cover is a 429 that says not to retry, not a cut 200; what
// a generation does not use is refunded.
func TestBudgetReservation(t *testing.T) {
	g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, _ *Options) {
		for i := range c.Accounts {
			if c.Accounts[i].Name == "dev2" {
				c.Accounts[i].Limits = &Limits{TokensPerDay: 60}
			}
		}
	})
	small := map[string]any{"model": "embedded", "prompt": "The", "stream": false, "options": map[string]any{"num_predict": 5}}
	before := g.srv.tokensLeft(t, "dev2")
	resp := g.post("/api/generate", dev2Key, small)
	var e struct {
		PromptTokens int `json:"prompt_eval_count"`
		Completion   int `json:"eval_count"`
	}
	json.Unmarshal([]byte(readAll(t, resp)), &e)
	if used := before - g.srv.tokensLeft(t, "dev2"); resp.StatusCode != 200 || e.Completion == 0 || int(used+0.5) != e.PromptTokens+e.Completion {
		t.Fatalf("charged %.1f for %d+%d tokens (status %d)", used, e.PromptTokens, e.Completion, resp.StatusCode)
	}
	for _, path := range []string{"/api/generate", "/v1/chat/completions"} {
		big := map[string]any{"model": "embedded", "prompt": "The", "stream": false, "options": map[string]any{"num_predict": 100}}
		if path != "/api/generate" {
			big = map[string]any{"model": "embedded", "max_tokens": 100, "messages": []map[string]any{{"role": "user", "content": "The"}}}
		}
		resp = g.post(path, dev2Key, big)
		body := readAll(t, resp)
		ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Should-Retry") != "false" || ra >= 60 || !strings.Contains(body, "tokens_per_day") {
			t.Fatalf("%s over budget: %d %v %s", path, resp.StatusCode, resp.Header, body)
		}
	}
}

// TestRedisFailsClosed: with Redis gone, requests are refused with 503 in
// each API's shape (not served without limits), counted and logged; a
// gateway does not start without its Redis; and a Redis that comes back
// without its data (restarted without persistence) is not served from:
// its epoch marker is gone, so requests stay refused until a restart,
// which says the state was initialised.
func TestRedisFailsClosed(t *testing.T) {
	srv := testredis.Start(t)
	var logged syncBuffer
	g := startGatewayWith(t, testKey(t, 1), `state: {redis: "`+srv.URL(0)+`"}`, func(_ *Config, o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logged, nil))
	})
	if got := tags(g, limitedKey); got != 200 {
		t.Fatalf("with redis: %d", got)
	}
	srv.Stop()
	for path, shape := range map[string]string{"/api/tags": `{"error":"service`, "/v1/models": `"type":"api_error"`} {
		resp := g.get(path, devKey)
		if body := readAll(t, resp); resp.StatusCode != 503 || !strings.Contains(body, shape) {
			t.Fatalf("%s without redis: %d %s", path, resp.StatusCode, body)
		}
	}
	if m := readAll(t, g.get("/metrics", adminKey)); !strings.Contains(m, "forensics_state_errors_total 2") {
		t.Fatal("state errors not counted")
	}
	if !strings.Contains(logged.String(), `"msg":"state store failed; refusing requests"`) {
		t.Fatalf("the failure was not logged: %s", logged.String())
	}
	cfg, err := ParseConfig([]byte(`state: {redis: "` + srv.URL(0) + `"}` + "\naccounts: [{name: a, watermark: false, api_keys: [\"" + HashAPIKey("a") + "\"]}]\nlog: {path: " + t.TempDir() + "/r.jsonl}\n"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = New(cfg, Options{Backend: g.srv.backend})
	if err == nil || !strings.Contains(err.Error(), "unreachable, so the gateway does not start") {
		t.Fatalf("start without redis: %v", err)
	}
	t.Logf("refused to start in %v: %v", time.Since(start).Round(time.Millisecond), err)
	srv.Restart(t)
	for i := 0; i < 3; i++ {
		resp := g.get("/api/tags", devKey)
		if body := readAll(t, resp); resp.StatusCode != 503 {
			t.Fatalf("redis back without its data: %d %s", resp.StatusCode, body)
		}
	}
	if !strings.Contains(logged.String(), "lost its data") {
		t.Fatalf("the loss was not logged: %s", logged.String())
	}
	var fresh syncBuffer
	g2 := startGatewayWith(t, testKey(t, 1), `state: {redis: "`+srv.URL(0)+`"}`, func(_ *Config, o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&fresh, nil))
	})
	if got := tags(g2, devKey); got != 200 || !strings.Contains(fresh.String(), "shared state initialised") {
		t.Fatalf("a replica restarted on the emptied Redis: %d, log %s", got, fresh.String())
	}
}

// syncBuffer is a bytes.Buffer for a logger that requests write to.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
