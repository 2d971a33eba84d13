package e2e

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
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"forensics/llm/ollama"
	"forensics/llm/tokenizer"
	"forensics/logline"
	"forensics/serve"
	"forensics/watermark"
)

const (
	wmKey    = "wm-key"
	plainKey = "plain-key"
)

// gatewayTo starts the real gateway in front of an Ollama server.
func gatewayTo(t *testing.T, o *ollamaServer) (*httptest.Server, *serve.Server, *watermark.Key, string) {
	return gatewayWith(t, o, nil, nil)
}

// gatewayWith is gatewayTo with the Ollama client's settings, the config
// and the server options adjusted (nil: as they are).
func gatewayWith(t *testing.T, o *ollamaServer, adjust func(*ollama.Client), change func(*serve.Config, *serve.Options)) (*httptest.Server, *serve.Server, *watermark.Key, string) {
	t.Helper()
	k, err := watermark.NewKey("e2e", watermark.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "requests.jsonl")
	cfg, err := serve.ParseConfig([]byte(fmt.Sprintf(`
backend: {kind: ollama, url: %q}
keys: {k: unused.yaml}
defaults: {key: k}
accounts:
  - {name: wm, api_keys: [%q]}
  - {name: plain, api_keys: [%q], watermark: false}
log: {path: %s}
requests: {max_body_bytes: 4194304}
`, o.host, serve.HashAPIKey(wmKey), serve.HashAPIKey(plainKey), logPath)))
	if err != nil {
		t.Fatal(err)
	}
	oc := ollama.New(o.url(), nil)
	if adjust != nil {
		adjust(oc)
	}
	opts := serve.Options{Backend: serve.NewOllamaBackend(oc), Keys: map[string]*watermark.Key{"k": k}}
	if change != nil {
		change(cfg, &opts)
	}
	srv, err := serve.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return hs, srv, k, logPath
}

// readBody reads and closes a response body.
func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	return string(b)
}

// requestLines reads the request lines of a gateway log (not the log
// writer's own events).
func requestLines(t *testing.T, path string) []logline.Entry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []logline.Entry
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e logline.Entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("bad log line %q", l)
		}
		if e.Event == "" {
			out = append(out, e)
		}
	}
	return out
}

func post(t *testing.T, hs *httptest.Server, path, key string, body any) *http.Response {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, hs.URL+path, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// text extracts the generated text from any endpoint's response body.
func text(t *testing.T, path string, body string) string {
	t.Helper()
	var sb strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == "data: [DONE]" {
			continue
		}
		line = strings.TrimPrefix(line, "data: ")
		var c struct {
			Response string `json:"response"`
			Message  struct {
				Content string `json:"content"`
			} `json:"message"`
			Choices []struct {
				Delta   *struct{ Content string } `json:"delta"`
				Message *struct{ Content string } `json:"message"`
			} `json:"choices"`
			Error any `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil || c.Error != nil {
			t.Fatalf("%s: bad line %q (%v)", path, line, c.Error)
		}
		sb.WriteString(c.Response + c.Message.Content)
		for _, ch := range c.Choices {
			if ch.Delta != nil {
				sb.WriteString(ch.Delta.Content)
			}
			if ch.Message != nil {
				sb.WriteString(ch.Message.Content)
			}
		}
	}
	return sb.String()
}

// TestGatewayToOllama: through the gateway to a real Ollama, /api/chat,
// /api/generate and /v1/chat/completions, streaming and not, give 200-token
// answers that detect at log10 p ≤ −6; the unwatermarked account's do not.
func TestGatewayToOllama(t *testing.T) {
	o := server(t)
	hs, _, k, logPath := gatewayTo(t, o)
	f, err := tokenizer.FromOllama(context.Background(), o.url(), modelLong, nil)
	if err != nil {
		t.Fatal(err)
	}
	tk, _ := tokenizer.New(f)
	d := &watermark.Detector{Scheme: watermark.NewScheme(k), Tokenizer: tk, Normalize: true, Alpha: 1e-6}
	msgs := []map[string]string{{"role": "user", "content": "Tell me about the war."}}
	opts := map[string]any{"num_predict": 200, "temperature": 1.0, "seed": 5}
	calls := []struct {
		path   string
		stream bool
		body   map[string]any
	}{
		{"/api/chat", true, map[string]any{"model": modelLong, "messages": msgs, "options": opts}},
		{"/api/chat", false, map[string]any{"model": modelLong, "messages": msgs, "options": opts, "stream": false}},
		{"/api/generate", true, map[string]any{"model": modelLong, "prompt": "The letter said", "options": opts}},
		{"/api/generate", false, map[string]any{"model": modelLong, "prompt": "The letter said", "options": opts, "stream": false}},
		{"/v1/chat/completions", true, map[string]any{"model": modelLong, "messages": msgs, "max_tokens": 200, "temperature": 1.0, "seed": 5, "stream": true}},
		{"/v1/chat/completions", false, map[string]any{"model": modelLong, "messages": msgs, "max_tokens": 200, "temperature": 1.0, "seed": 5}},
	}
	for _, c := range calls {
		for _, key := range []string{wmKey, plainKey} {
			resp := post(t, hs, c.path, key, c.body)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s\n%s", c.path, resp.StatusCode, b, logTail(o.logPath))
			}
			out := text(t, c.path, string(b))
			r, err := d.DetectText("", out)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s stream=%v %s: %d pieces, %d scored, log10 p %.1f", c.path, c.stream, key, r.Tokens, r.TokensScored, r.Log10P)
			if key == wmKey && r.Log10P > -6 {
				t.Errorf("%s: watermarked answer only at log10 p %.1f", c.path, r.Log10P)
			}
			if key == plainKey && r.Watermarked {
				t.Errorf("%s: unwatermarked answer detected", c.path)
			}
		}
	}
	// Every request is in the log once, with the key that was applied.
	lines := requestLines(t, logPath)
	if len(lines) != 2*len(calls) {
		t.Fatalf("%d log lines for %d requests", len(lines), 2*len(calls))
	}
	trips, toks := 0, 0
	for _, e := range lines {
		if (e.Account == "wm") != (e.Watermark != nil) {
			t.Errorf("log entry %s: account %s, watermark %v", e.RequestID, e.Account, e.Watermark)
		}
		if e.Account == "wm" {
			trips += e.RoundTrips
			toks += e.CompletionTokens
		}
	}
	t.Logf("watermarked requests: %.3f upstream round trips per token", float64(trips)/float64(toks))
}

// TestThroughputVsOllama measures, in one run on the same model and
// options, watermarked tokens/s and time to first token through the
// gateway against plain Ollama streaming: unpaced with chunks of 3 and of
// 8 tokens read to their end (the gateway before the timing-channel
// defence), and paced (one token a request). It reports ratios and round
// trips per token; no timing is asserted.
//
// Cancelling streams (ollama.Client.Cancel) is not measured here: it hung
// Ollama's llama.cpp runner every time and its Go engine in one of three
// runs of this test, and a hung server would stall the suite.
func TestThroughputVsOllama(t *testing.T) {
	shared := server(t)
	modes := []struct {
		name  string
		chunk int
		paced bool
	}{
		{"chunks of 3, unpaced", 3, false},
		{"chunks of 8, unpaced", 8, false},
		{"paced (one token a request)", 3, true},
	}
	const n, rounds = 200, 5
	ctx := context.Background()
	client := api.NewClient(shared.url(), http.DefaultClient)
	client.Generate(ctx, &api.GenerateRequest{Model: modelLong, Prompt: "x", Options: map[string]any{"num_predict": 1}}, func(api.GenerateResponse) error { return nil })
	// Plain Ollama, once for all modes.
	var direct, directFirst time.Duration
	for i := 0; i < rounds; i++ {
		start := time.Now()
		var first time.Duration
		stream := true
		err := client.Generate(ctx, &api.GenerateRequest{Model: modelLong, Prompt: "The letter said", Raw: true, Stream: &stream,
			Logprobs: true, TopLogprobs: ollama.TopK, Options: ollama.Options(1, uint64(i), n)}, func(r api.GenerateResponse) error {
			if first == 0 && r.Response != "" {
				first = time.Since(start)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		direct += time.Since(start)
		directFirst += first
	}
	dr := float64(rounds*n) / direct.Seconds()
	t.Logf("plain Ollama streaming: %.0f tokens/s, first token after %v", dr, (directFirst / rounds).Round(time.Millisecond))
	for _, m := range modes {
		paced := m.paced
		hs, _, _, logPath := gatewayWith(t, shared, func(c *ollama.Client) { c.Chunk = m.chunk }, func(c *serve.Config, _ *serve.Options) {
			c.Watermarking.Pacing = &paced
		})
		ask := func(i int) (time.Duration, time.Duration) {
			start := time.Now()
			resp := post(t, hs, "/api/generate", wmKey, map[string]any{"model": modelLong, "prompt": "The letter said", "raw": true,
				"options": map[string]any{"num_predict": n, "temperature": 1.0}})
			br := bufio.NewReader(resp.Body)
			var first time.Duration
			for {
				line, err := br.ReadString('\n')
				if first == 0 && strings.Contains(line, `"response":"`) && !strings.Contains(line, `"response":""`) {
					first = time.Since(start)
				}
				if err != nil {
					break
				}
			}
			resp.Body.Close()
			return time.Since(start), first
		}
		ask(0) // the first request waits for the pace's calibration
		var gateway, gatewayFirst time.Duration
		for i := 0; i < rounds; i++ {
			total, first := ask(100 + i)
			gateway += total
			gatewayFirst += first
		}
		trips, toks := 0, 0
		lines := requestLines(t, logPath)
		for _, e := range lines[len(lines)-rounds:] {
			trips += e.RoundTrips
			toks += e.CompletionTokens
		}
		gr := float64(toks) / gateway.Seconds()
		t.Logf("%s: watermarked through the gateway %.0f tokens/s (ratio to plain Ollama %.2f), first token after %v, %.3f round trips per token",
			m.name, gr, gr/dr, (gatewayFirst / rounds).Round(time.Millisecond), float64(trips)/float64(toks))
	}
}

// TestOllamaKilledMidStream kills Ollama while a stream is running: the
// client gets a clean error, the log has the request, and the gateway
// serves again once Ollama is back.
func TestOllamaKilledMidStream(t *testing.T) {
	shared := server(t)
	dir := t.TempDir()
	o := &ollamaServer{bin: shared.bin, models: shared.models, host: freePort(t), logPath: filepath.Join(dir, "ollama.log")}
	o.start(t)
	defer o.stop()
	hs, _, _, logPath := gatewayTo(t, o)
	// The unwatermarked account, whose text streams as it is generated
	// (watermarked text is paced, and held whole at first).
	resp := post(t, hs, "/api/generate", plainKey, map[string]any{"model": modelLong, "prompt": "The letter said", "raw": true,
		"options": map[string]any{"num_predict": 4000, "temperature": 1.0}})
	br := bufio.NewReader(resp.Body)
	for i := 0; i < 20; i++ {
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatalf("stream ended early: %v", err)
		}
	}
	o.stop()
	rest, _ := io.ReadAll(br)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(rest)), "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, `"error"`) {
		t.Fatalf("client did not get an error line; last %q", last)
	}
	t.Logf("client saw: %s", last)
	o.start(t)
	resp = post(t, hs, "/api/generate", wmKey, map[string]any{"model": modelLong, "prompt": "The letter said", "stream": false,
		"options": map[string]any{"num_predict": 20}})
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("after restart: %d %s", resp.StatusCode, body)
	}
	entries := requestLines(t, logPath)
	if len(entries) != 2 || entries[0].Status != 502 || entries[0].Error == "" || entries[1].Status != 200 {
		t.Fatalf("log: %+v", entries)
	}
}
