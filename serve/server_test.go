package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"forensics/llm/embedded"
	"forensics/logline"
	"forensics/watermark"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	devKey      = "dev-key"
	plainKey    = "plain-key"
	limitedKey  = "limited-key"
	dev2Key     = "dev2-key"
	adminKey    = "admin-key"
	testKeyName = "k1"
)

// gateway starts a real HTTP gateway on the embedded backend with four
// accounts: dev and dev2 (watermarked), plain (watermark off) and limited
// (2 requests an hour, 1 concurrent).
type gateway struct {
	t      testing.TB
	srv    *Server
	http   *httptest.Server
	key    *watermark.Key
	logDir string
	clock  *testClock // nil: the real clock
}

func testKey(t testing.TB, h int) *watermark.Key {
	t.Helper()
	var secret [32]byte
	secret[0] = byte(h) + 7
	p := watermark.DefaultParams()
	p.ContextWidth = h
	k, err := watermark.NewKeyFromSecret("gw-test", p, secret, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func startGateway(t testing.TB, key *watermark.Key, extra string) *gateway {
	t.Helper()
	return startGatewayWith(t, key, extra, nil)
}

// startGatewayWith is startGateway with a chance to change the parsed
// config (and the server options) before the gateway starts.
func startGatewayWith(t testing.TB, key *watermark.Key, extra string, change func(*Config, *Options)) *gateway {
	t.Helper()
	dir := t.TempDir()
	cfgText := fmt.Sprintf(`
keys:
  %s: unused-because-preloaded.yaml
defaults:
  key: %s
accounts:
  - name: dev
    api_keys: ["%s"]
  - name: plain
    api_keys: ["%s"]
    watermark: false
  - name: limited
    api_keys: ["%s"]
    limits: {requests_per_hour: 2, concurrent: 1}
  - name: dev2
    api_keys: ["%s"]
admin_api_keys: ["%s"]
log:
  path: %s
requests:
  max_body_bytes: 4096
%s`, testKeyName, testKeyName, HashAPIKey(devKey), HashAPIKey(plainKey), HashAPIKey(limitedKey), HashAPIKey(dev2Key), HashAPIKey(adminKey),
		filepath.Join(dir, "requests.jsonl"), extra)
	cfg, err := ParseConfig([]byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Backend: NewEmbeddedBackend(m), Keys: map[string]*watermark.Key{testKeyName: key}}
	if change != nil {
		change(cfg, &opts)
	}
	srv, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	g := &gateway{t: t, srv: srv, http: httptest.NewServer(srv.Handler()), key: key, logDir: dir}
	t.Cleanup(g.close)
	return g
}

func (g *gateway) close() {
	if g.http != nil {
		g.http.Close()
		g.srv.Close()
		g.http = nil
	}
}

// post sends a JSON body with an API key and returns the response.
func (g *gateway) post(path, apiKey string, body any) *http.Response {
	g.t.Helper()
	resp, err := g.postErr(path, apiKey, body)
	if err != nil {
		g.t.Fatal(err)
	}
	return resp
}

// postErr is post for goroutines other than the test's: it returns the
// error instead of failing the test.
func (g *gateway) postErr(path, apiKey string, body any) (*http.Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case string:
		rd = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	return g.sendErr(http.MethodPost, path, apiKey, rd)
}

// get sends a GET with an API key ("" for none).
func (g *gateway) get(path, apiKey string) *http.Response {
	g.t.Helper()
	return g.send(http.MethodGet, path, apiKey, nil)
}

func (g *gateway) send(method, path, apiKey string, body io.Reader) *http.Response {
	g.t.Helper()
	resp, err := g.sendErr(method, path, apiKey, body)
	if err != nil {
		g.t.Fatal(err)
	}
	return resp
}

func (g *gateway) sendErr(method, path, apiKey string, body io.Reader) (*http.Response, error) {
	req, _ := http.NewRequest(method, g.http.URL+path, body)
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	return g.http.Client().Do(req)
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// logLines reads the request log (after the gateway is closed).
func (g *gateway) logLines() []logline.Entry {
	g.t.Helper()
	g.close()
	return readEntries(g.t, filepath.Join(g.logDir, "requests.jsonl"))
}

func readEntries(t testing.TB, path string) []logline.Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []logline.Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e logline.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("bad log line %q: %v", sc.Text(), err)
		}
		if e.Event != "" && e.Event != "suppressed" {
			continue // the log writer's own lines (opened, checkpoint, …)
		}
		out = append(out, e)
	}
	return out
}

func (g *gateway) detector() *watermark.Detector {
	m, _ := embedded.Load()
	return &watermark.Detector{Scheme: watermark.NewScheme(g.key), Tokenizer: m.Tokenizer(), Normalize: true, Alpha: 1e-6}
}

// TestWatermarkedAnswersDetect asks for 200-token answers through
// /api/chat, /api/generate and /v1/chat/completions, streaming and not,
// and checks the text detects at log10 p ≤ -6 (and does not for the
// account with the watermark off).
func TestWatermarkedAnswersDetect(t *testing.T) {
	g := startClockedGateway(t, testKey(t, 1), "", nil) // seeded answers the same every run
	d := g.detector()
	msgs := []map[string]string{{"role": "user", "content": "Write about the war."}}
	opts := map[string]any{"num_predict": 200, "min_tokens": 200, "seed": 11, "temperature": 1.0}
	type call struct {
		name, path string
		body       map[string]any
		stream     bool
	}
	calls := []call{
		{"ollama chat stream", "/api/chat", map[string]any{"model": "embedded", "messages": msgs, "options": opts}, true},
		{"ollama chat", "/api/chat", map[string]any{"model": "embedded", "messages": msgs, "options": opts, "stream": false}, false},
		{"ollama generate stream", "/api/generate", map[string]any{"model": "embedded", "prompt": "Write about the war.", "options": opts}, true},
		{"ollama generate", "/api/generate", map[string]any{"model": "embedded", "prompt": "Write about the war.", "options": opts, "stream": false}, false},
		{"openai stream", "/v1/chat/completions", map[string]any{"model": "embedded", "messages": msgs, "max_tokens": 200, "min_tokens": 200, "seed": 11, "temperature": 1.0, "stream": true}, true},
		{"openai", "/v1/chat/completions", map[string]any{"model": "embedded", "messages": msgs, "max_tokens": 200, "min_tokens": 200, "seed": 11, "temperature": 1.0}, false},
	}
	for _, c := range calls {
		for _, key := range []string{devKey, plainKey} {
			resp := g.post(c.path, key, c.body)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: status %d: %s", c.name, resp.StatusCode, readAll(t, resp))
			}
			text := responseText(t, c.path, c.stream, resp)
			r, err := d.DetectText("", text)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s (%s): %d pieces scored, log10 p = %.1f", c.name, key, r.TokensScored, r.Log10P)
			if key == devKey && (r.Log10P > -6 || r.Tokens < 150) {
				t.Errorf("%s: watermarked answer at log10 p %.1f over %d pieces", c.name, r.Log10P, r.Tokens)
			}
			if key == plainKey && r.Watermarked {
				t.Errorf("%s: unwatermarked account's answer detected", c.name)
			}
		}
	}
	entries := g.logLines()
	if len(entries) != 2*len(calls) {
		t.Fatalf("%d log lines for %d requests", len(entries), 2*len(calls))
	}
	for _, e := range entries {
		if e.Account == "dev" && (e.Watermark == nil || e.Watermark.KeyID != "gw-test") {
			t.Errorf("dev request logged without its key: %+v", e.Watermark)
		}
		if e.Account == "plain" && e.Watermark != nil {
			t.Errorf("plain request logged with a key")
		}
		if e.Status != 200 || e.CompletionTokens == 0 || e.RequestID == "" || e.TS == "" {
			t.Errorf("incomplete log entry %+v", e)
		}
	}
}

// responseText extracts the generated text of any endpoint's response.
func responseText(t *testing.T, path string, stream bool, resp *http.Response) string {
	t.Helper()
	body := readAll(t, resp)
	var sb strings.Builder
	switch {
	case path == "/v1/chat/completions" && stream:
		for _, line := range strings.Split(body, "\n") {
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok || data == "[DONE]" {
				continue
			}
			var c oaiResponse
			if err := json.Unmarshal([]byte(data), &c); err != nil {
				t.Fatalf("bad SSE chunk %q", data)
			}
			if len(c.Choices) > 0 && c.Choices[0].Delta != nil {
				sb.WriteString(c.Choices[0].Delta.Content)
			}
		}
	case path == "/v1/chat/completions":
		var c oaiResponse
		if err := json.Unmarshal([]byte(body), &c); err != nil || len(c.Choices) != 1 || c.Usage == nil {
			t.Fatalf("bad response %q", body)
		}
		sb.WriteString(c.Choices[0].Message.Content)
	default:
		for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
			var c struct {
				Response string `json:"response"`
				Message  struct {
					Content string `json:"content"`
				} `json:"message"`
				Done  bool   `json:"done"`
				Error string `json:"error"`
			}
			if err := json.Unmarshal([]byte(line), &c); err != nil || c.Error != "" {
				t.Fatalf("bad NDJSON line %q", line)
			}
			sb.WriteString(c.Response + c.Message.Content)
		}
	}
	return sb.String()
}

func TestBadRequests(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	tests := []struct {
		name, path, key string
		body            any
		status          int
		want            string
	}{
		{"no key", "/api/generate", "", `{"model":"embedded"}`, 401, "missing API key"},
		{"unknown key", "/api/generate", "nope", `{"model":"embedded"}`, 401, "unknown API key"},
		{"malformed", "/api/generate", devKey, `{"model":`, 400, "malformed JSON"},
		{"too large", "/api/generate", devKey, `{"model":"embedded","prompt":"` + strings.Repeat("x", 5000) + `"}`, 413, "larger than"},
		{"unknown model", "/api/chat", devKey, map[string]any{"model": "gpt-9", "messages": []map[string]string{{"role": "user", "content": "hi"}}}, 404, `model \"gpt-9\" not found`},
		{"no messages", "/api/chat", devKey, map[string]any{"model": "embedded"}, 400, "messages are required"},
		{"bad temperature", "/api/generate", devKey, `{"model":"embedded","options":{"temperature":"hot"}}`, 400, "temperature"},
		{"openai n=2", "/v1/chat/completions", devKey, `{"model":"embedded","n":2,"messages":[{"role":"user","content":"x"}]}`, 400, "n must be 1"},
		{"openai unknown model", "/v1/chat/completions", devKey, `{"model":"x","messages":[{"role":"user","content":"x"}]}`, 404, "not found"},
		{"admin without key", "/admin/limits", devKey, `{"account":"dev","factor":0.5}`, 401, "admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := g.post(tt.path, tt.key, tt.body)
			body := readAll(t, resp)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("status %d body %q, want %d containing %q", resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
	// Every request, authenticated or not, admin calls included, is in
	// the log.
	entries := g.logLines()
	if len(entries) != len(tests) {
		t.Fatalf("%d log lines for %d requests", len(entries), len(tests))
	}
	if entries[0].Status != 401 || entries[0].Account != "" || entries[1].APIKeyID == "" {
		t.Fatalf("failed authentication not logged as such: %+v / %+v", entries[0], entries[1])
	}
}

func TestRateLimits(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	body := map[string]any{"model": "embedded", "prompt": "The", "stream": false, "options": map[string]any{"num_predict": 3}}
	for i := 0; i < 2; i++ {
		if resp := g.post("/api/generate", limitedKey, body); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, readAll(t, resp))
		} else {
			readAll(t, resp)
		}
	}
	resp := g.post("/api/generate", limitedKey, body)
	readAll(t, resp)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third request: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Tightening at run time through the admin endpoint.
	resp = g.post("/admin/limits", adminKey, map[string]any{"account": "dev", "factor": 0.5})
	out := readAll(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(out, `"requests_per_hour":0`) {
		t.Fatalf("tighten: %d %s", resp.StatusCode, out)
	}
}

// TestClientDisconnect closes a request mid-generation: the generation
// must stop and the request be logged once, as 499. For the unwatermarked
// account the client goes after the first streamed chunk; the watermarked
// one's text is held back (pacing), so its client goes after a while
// without having read anything.
func TestClientDisconnect(t *testing.T) {
	for _, key := range []string{plainKey, devKey} {
		g := startGateway(t, testKey(t, 1), "")
		ctx, cancel := context.WithCancel(context.Background())
		data, _ := json.Marshal(map[string]any{"model": "embedded", "prompt": "The", "options": map[string]any{"num_predict": 4000, "min_tokens": 4000}})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.http.URL+"/api/generate", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+key)
		if key == devKey {
			time.AfterFunc(20*time.Millisecond, cancel)
		}
		resp, err := g.http.Client().Do(req)
		if err == nil {
			if key == plainKey {
				if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
					t.Fatal(err)
				}
			}
			cancel()
			resp.Body.Close()
		}
		entries := g.logLines() // waits for the generation to end
		if len(entries) != 1 || entries[0].Status != 499 || entries[0].CompletionTokens >= 4000 {
			t.Fatalf("%s: log after disconnect: %+v", key, entries)
		}
		t.Logf("%s: logged 499 after %d of 4000 tokens", key, entries[0].CompletionTokens)
		cancel()
	}
}

func TestConcurrentClientsLoggedOnce(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	const clients, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				body, _ := json.Marshal(map[string]any{"model": "embedded", "messages": []map[string]string{{"role": "user", "content": fmt.Sprint("question ", c, i)}},
					"stream": true, "max_tokens": 20})
				req, _ := http.NewRequest(http.MethodPost, g.http.URL+"/v1/chat/completions", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+devKey)
				resp, err := g.http.Client().Do(req)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
				}
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	entries := g.logLines()
	ids := map[string]int{}
	for _, e := range entries {
		ids[e.RequestID]++
	}
	if len(entries) != clients*each || len(ids) != clients*each {
		t.Fatalf("%d log lines, %d distinct ids, for %d requests", len(entries), len(ids), clients*each)
	}
}

// TestMetricsAndHealth: /healthz is public; /metrics, which shows each
// account's risk and throttle, answers only the admin key on the public
// listener, and without a key on the admin handler.
func TestMetricsAndHealth(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	readAll(t, g.post("/api/generate", devKey, map[string]any{"model": "embedded", "prompt": "The", "stream": false, "options": map[string]any{"num_predict": 20}}))
	const want = `forensics_requests_total{account="dev",endpoint="/api/generate",status="200"} 1`
	if body := readAll(t, g.get("/healthz", "")); body != "ok\n" {
		t.Fatalf("/healthz: %q", body)
	}
	for _, key := range []string{"", devKey, "guess"} {
		resp := g.get("/metrics", key)
		if body := readAll(t, resp); resp.StatusCode != 401 || strings.Contains(body, "forensics_") {
			t.Fatalf("/metrics with key %q: %d", key, resp.StatusCode)
		}
	}
	if body := readAll(t, g.get("/metrics", adminKey)); !strings.Contains(body, want) {
		t.Fatalf("/metrics (admin) lacks %q", want)
	}
	admin := httptest.NewServer(g.srv.AdminHandler())
	defer admin.Close()
	resp, err := admin.Client().Get(admin.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); !strings.Contains(body, want) {
		t.Fatalf("admin listener /metrics lacks %q", want)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown field", "listen: x\ncolour: green\n", "line 2"},
		{"bad backend", "backend: {kind: vllm}\n", "want embedded, ollama or openai"},
		{"openai url", "backend: {kind: openai, url: \"gpu:8000\"}\n", "wants http(s)"},
		{"openai logprobs", "backend: {kind: openai, url: \"http://gpu:8000\", openai: {logprobs: logits}}\n", "want raw or processed"},
		{"openai two keys", "backend: {kind: openai, url: \"http://gpu:8000\", openai: {api_key_env: K, api_key_file: k}}\n", "not both"},
		{"openai seed bits", "backend: {kind: openai, url: \"http://gpu:8000\", openai: {seed_bits: 64}}\n", "seed_bits 64"},
		{"plain key", "keys: {k: k.yaml}\naccounts: [{name: a, key: k, api_keys: [secret]}]\n", "stored hashed"},
		{"missing key", "accounts: [{name: a, api_keys: [\"" + HashAPIKey("x") + "\"]}]\n", "names no key"},
		{"shared api key", "keys: {k: k.yaml}\ndefaults: {key: k}\naccounts: [{name: a, api_keys: [\"" + HashAPIKey("x") + "\"]}, {name: b, api_keys: [\"" + HashAPIKey("x") + "\"]}]\n", "share an API key"},
		{"bad duration", "shutdown_timeout: soon\n", "not a duration"},
		{"multiplier", "rate_limits: {suspicious_pattern_multiplier: 2}\n", "suspicious_pattern_multiplier 2 must be in (0,1]"},
		{"coverage", "rate_limits: {systematic_coverage_threshold: 1.5}\n", "systematic_coverage_threshold"},
		{"negative", "rate_limits: {unique_topics_per_day: -1}\n", "must not be negative"},
		{"scan interval", "risk: {scan_every: 10ms}\n", "at least 1s"},
	}
	for _, tt := range tests {
		if _, err := ParseConfig([]byte(tt.yaml)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	c, err := LoadConfig("../serve.example.yaml")
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	if c.Backend.Kind != "embedded" || len(c.Accounts) != 2 {
		t.Fatalf("example config read as %+v", c)
	}
}

func FuzzParseConfig(f *testing.F) {
	data, _ := os.ReadFile("../serve.example.yaml")
	f.Add(data)
	f.Add([]byte("listen: [1,2]\n"))
	f.Add([]byte("accounts: [{name: a, limits: {concurrent: -1}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseConfig(data)
	})
}

// TestApplyRisk feeds scan results to the gateway: a throttled account gets
// its configured limits times the factor (not compounding), a suspended one
// is refused with 403, and a later clean result restores it.
func TestApplyRisk(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	scan := map[string]any{"accounts": []map[string]any{
		{"account": "limited", "risk": 0.6, "action": "throttle", "throttle": 0.5},
		{"account": "dev", "risk": 0.9, "action": "suspend"},
		{"account": "stranger", "risk": 0.1, "action": "none"},
	}}
	for i := 0; i < 2; i++ { // twice: the factor must not compound
		resp := g.post("/admin/risk", adminKey, scan)
		body := readAll(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(body, `"applied":2`) || !strings.Contains(body, "stranger") {
			t.Fatalf("apply: %d %s", resp.StatusCode, body)
		}
	}
	if l, _ := g.srv.effectiveLimits("limited"); l.RequestsPerHour != 1 || l.Concurrent != 1 {
		t.Fatalf("throttled limits %+v, want half of {2/h, 1 concurrent}", l)
	}
	gen := map[string]any{"model": "embedded", "prompt": "The", "stream": false, "options": map[string]any{"num_predict": 3}}
	resp := g.post("/api/generate", devKey, gen)
	if body := readAll(t, resp); resp.StatusCode != 403 || !strings.Contains(body, "suspended for review") {
		t.Fatalf("suspended account: %d %s", resp.StatusCode, body)
	}
	m := readAll(t, g.get("/metrics", adminKey))
	for _, want := range []string{`forensics_account_risk{account="dev"} 0.9`, `forensics_account_throttle_factor{account="dev"} 0`, `forensics_account_throttle_factor{account="limited"} 0.5`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	readAll(t, g.post("/admin/risk", adminKey, map[string]any{"accounts": []map[string]any{{"account": "dev", "risk": 0.1, "action": "none"}}}))
	resp = g.post("/api/generate", devKey, gen)
	if body := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("restored account: %d %s", resp.StatusCode, body)
	}
	bad := g.post("/admin/risk", adminKey, map[string]any{"accounts": []map[string]any{{"account": "dev", "action": "explode"}}})
	if readAll(t, bad); bad.StatusCode != 400 {
		t.Fatalf("unknown action: %d", bad.StatusCode)
	}
	if r := g.post("/admin/risk", devKey, scan); readAll(t, r) == "" || r.StatusCode != 401 {
		t.Fatalf("non-admin: %d", r.StatusCode)
	}
}
