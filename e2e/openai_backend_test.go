package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/llm"
	"forensics/llm/openaicompat"
	"forensics/llm/tokenizer"
	"forensics/serve"
	"forensics/watermark"
)

// privatePinnedServer is an Ollama server of the test's own with the
// pinned model. The tests of the openai backend close streams early (a
// rejection, a chunk read to its character boundary, a refused stream),
// and Ollama v0.17.4's runner has hung after cancelled streams in our
// tests (serve.example.yaml, cancel_streams): a hang must not reach the
// shared server, nor a hang there reach these tests.
func privatePinnedServer(t *testing.T) *ollamaServer {
	t.Helper()
	shared := server(t) // writes the GGUF files
	dir := t.TempDir()
	o := &ollamaServer{bin: shared.bin, models: filepath.Join(dir, "models"), host: freePort(t), logPath: filepath.Join(dir, "ollama.log")}
	o.start(t)
	t.Cleanup(o.stop)
	o.createWith(t, modelPinned, ggufs[modelLong], pinnedModelfile)
	return o
}

// openaiGateway starts the real gateway with the openai backend in front
// of engine.
func openaiGateway(t *testing.T, engine string, o openaicompat.Options, paced bool) (*httptest.Server, *watermark.Key, string) {
	t.Helper()
	k, err := watermark.NewKey("e2e", watermark.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "requests.jsonl")
	cfg, err := serve.ParseConfig([]byte(fmt.Sprintf(`
backend: {kind: openai, url: %q}
keys: {k: unused.yaml}
defaults: {key: k}
accounts:
  - {name: wm, api_keys: [%q]}
  - {name: plain, api_keys: [%q], watermark: false}
log: {path: %s}
watermarking: {pacing: %v}
`, engine, serve.HashAPIKey(wmKey), serve.HashAPIKey(plainKey), logPath, paced)))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(engine)
	// A timeout turns a hung upstream into a failure that says so.
	c, err := openaicompat.New(u, &http.Client{Timeout: 2 * time.Minute}, o)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(cfg, serve.Options{Backend: serve.NewOpenAIBackend(c, nil), Keys: map[string]*watermark.Key{"k": k}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return hs, k, logPath
}

// TestOllamaOpenAICompletions records what Ollama v0.17.4's own
// /v1/completions gives the openai backend: the text streams, but no
// chunk carries log-probabilities although the request asks for 20, so
// the backend refuses (it cannot watermark without them), directly and
// through the gateway, which answers 502 and logs the request.
func TestOllamaOpenAICompletions(t *testing.T) {
	o := privatePinnedServer(t)
	body := `{"model":"` + modelPinned + `","prompt":"The letter said","max_tokens":5,"logprobs":20,"top_k":20,"temperature":1,"seed":3,"stream":true,"stop":[]}`
	resp, err := http.Post(o.url().JoinPath("/v1/completions").String(), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	chunks, withLogprobs, text := 0, 0, ""
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ch struct {
			Choices []struct {
				Text     string          `json:"text"`
				Logprobs json.RawMessage `json:"logprobs"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(data), &ch); err != nil {
			t.Fatalf("chunk %q: %v", data, err)
		}
		for _, c := range ch.Choices {
			chunks++
			text += c.Text
			if len(c.Logprobs) > 0 && string(c.Logprobs) != "null" {
				withLogprobs++
			}
		}
	}
	resp.Body.Close()
	t.Logf("Ollama /v1/completions: status %d, %d chunks, text %q, %d chunks with logprobs", resp.StatusCode, chunks, text, withLogprobs)
	if resp.StatusCode != 200 || chunks == 0 || text == "" || withLogprobs != 0 {
		t.Fatalf("Ollama v0.17.4's /v1/completions changed: status %d, %d chunks, %d with logprobs", resp.StatusCode, chunks, withLogprobs)
	}

	c, err := openaicompat.New(o.url(), nil, openaicompat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Stream(context.Background(), llm.StreamRequest{Model: modelPinned, Prompt: "The letter said", Temperature: 1, MaxTokens: 5},
		func(llm.Draft) error { return nil })
	if !errors.Is(err, openaicompat.ErrNoLogprobs) {
		t.Fatalf("backend on Ollama's /v1/completions: %v, want ErrNoLogprobs", err)
	}

	hs, _, logPath := openaiGateway(t, o.url().String(), openaicompat.Options{}, true)
	gresp := post(t, hs, "/v1/completions", wmKey, map[string]any{"model": modelPinned, "prompt": "The letter said", "max_tokens": 5})
	b, _ := io.ReadAll(gresp.Body)
	gresp.Body.Close()
	if gresp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), "log-probabilities") {
		t.Fatalf("gateway: %d %s", gresp.StatusCode, b)
	}
	if lines := requestLines(t, logPath); len(lines) != 1 || lines[0].Status != http.StatusBadGateway {
		t.Fatalf("log: %+v", lines)
	}
}

// TestGatewayToOpenAIEngine: the gateway with the openai backend, in
// front of Ollama's model, sampling and log-probabilities served in
// vLLM's completions shape (completionsAdapter: the one faked part),
// watermarks 150-token answers of /v1/completions and raw /api/generate,
// streamed or not, paced (one token a request) and not (one request
// closed at each rejection), at log10 p ≤ −6; the unwatermarked account's
// do not detect; every request is logged once with its watermark; a chat
// is refused (these engines do not expose a template).
func TestGatewayToOpenAIEngine(t *testing.T) {
	o := privatePinnedServer(t)
	engine := completionsAdapter(t, o)
	hs, k, logPath := openaiGateway(t, engine.URL+"/v1", openaicompat.Options{}, true)
	f, err := tokenizer.FromOllama(context.Background(), o.url(), modelPinned, nil)
	if err != nil {
		t.Fatal(err)
	}
	tk, _ := tokenizer.New(f)
	d := &watermark.Detector{Scheme: watermark.NewScheme(k), Tokenizer: tk, Normalize: true, Alpha: 1e-6}
	opts := map[string]any{"num_predict": 150, "temperature": 1.0, "seed": 5}
	calls := []struct {
		path   string
		stream bool
		body   map[string]any
	}{
		{"/v1/completions", true, map[string]any{"model": modelPinned, "prompt": "The letter said", "max_tokens": 150, "temperature": 1.0, "seed": 5, "stream": true}},
		{"/v1/completions", false, map[string]any{"model": modelPinned, "prompt": "The letter said", "max_tokens": 150, "temperature": 1.0, "seed": 5}},
		{"/api/generate", true, map[string]any{"model": modelPinned, "prompt": "The letter said", "raw": true, "options": opts}},
		{"/api/generate", false, map[string]any{"model": modelPinned, "prompt": "The letter said", "raw": true, "options": opts, "stream": false}},
	}
	for _, c := range calls {
		for _, key := range []string{wmKey, plainKey} {
			checkDetection(t, o, d, hs, c.path, key, c.body, fmt.Sprintf("paced, stream=%v", c.stream))
		}
	}
	unpaced, k2, unpacedLog := openaiGateway(t, engine.URL, openaicompat.Options{}, false)
	d2 := &watermark.Detector{Scheme: watermark.NewScheme(k2), Tokenizer: tk, Normalize: true, Alpha: 1e-6}
	checkDetection(t, o, d2, unpaced, calls[0].path, wmKey, calls[0].body, "unpaced, stream=true")
	checkOpenAILog(t, unpacedLog, 1)
	resp := post(t, hs, "/v1/chat/completions", wmKey, map[string]any{"model": modelPinned, "messages": []map[string]string{{"role": "user", "content": "Hi"}}})
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), "chat template") {
		t.Errorf("chat: %d %s", resp.StatusCode, b)
	}
	checkOpenAILog(t, logPath, 2*len(calls)+1)
}

// checkDetection makes one request and checks its answer's detection:
// log10 p ≤ −6 for the watermarked account, not watermarked for the other.
func checkDetection(t *testing.T, o *ollamaServer, d *watermark.Detector, hs *httptest.Server, path, key string, body map[string]any, what string) {
	t.Helper()
	resp := post(t, hs, path, key, body)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s\n%s", path, resp.StatusCode, b, logTail(o.logPath))
	}
	r, err := d.DetectText("", completionText(t, path, string(b)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s %s %s: %d pieces, %d scored, log10 p %.1f", path, what, key, r.Tokens, r.TokensScored, r.Log10P)
	if key == wmKey && r.Log10P > -6 {
		t.Errorf("%s %s: watermarked answer only at log10 p %.1f", path, what, r.Log10P)
	}
	if key == plainKey && r.Watermarked {
		t.Errorf("%s %s: unwatermarked answer detected", path, what)
	}
}

// checkOpenAILog: every request is logged once, a watermarked account's
// with its watermark and its upstream round trips and rejections.
func checkOpenAILog(t *testing.T, logPath string, want int) {
	t.Helper()
	lines := requestLines(t, logPath)
	if len(lines) != want {
		t.Fatalf("%d log lines for %d requests", len(lines), want)
	}
	trips, toks, rejected := 0, 0, 0
	for _, e := range lines {
		if e.Status != 200 {
			continue
		}
		if (e.Account == "wm") != (e.Watermark != nil) {
			t.Errorf("log entry %s: account %s, watermark %v", e.RequestID, e.Account, e.Watermark)
		}
		if e.Account == "wm" {
			trips += e.RoundTrips
			toks += e.CompletionTokens
			rejected += e.Rejected
		}
	}
	t.Logf("watermarked requests: %d tokens, %.3f upstream round trips per token, %d drafts rejected", toks, float64(trips)/float64(toks), rejected)
	if rejected == 0 {
		t.Error("no draft was rejected: the watermark did not act")
	}
}

// completionText extracts the generated text of a legacy completion
// (choices[].text), streamed or not, or of any endpoint text() reads.
func completionText(t *testing.T, path, body string) string {
	t.Helper()
	if path != "/v1/completions" {
		return text(t, path, body)
	}
	var sb strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "data: ")
		if line == "" || line == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct{ Text string } `json:"choices"`
			Error   any                     `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil || c.Error != nil {
			t.Fatalf("%s: bad line %q (%v)", path, line, c.Error)
		}
		for _, ch := range c.Choices {
			sb.WriteString(ch.Text)
		}
	}
	return sb.String()
}
