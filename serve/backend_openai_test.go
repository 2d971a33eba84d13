package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"forensics/llm/chattemplate"
	"forensics/llm/openaicompat"
	"forensics/logline"
)

// fakeEngine is an OpenAI-compatible engine whose model says the same
// words after any prompt, in vLLM's streamed completions shape
// (llm/openaicompat's tests hold the faithful fake; this one serves the
// gateway's side): /v1/models lists "m"; /v1/completions streams each
// word with three candidates, then finish_reason "length", unless fail
// says otherwise.
type fakeEngine struct {
	fail    string // "429": that status; "cut": the stream breaks after one word
	mu      sync.Mutex
	prompts []string
	seeds   []uint64
}

func (f *fakeEngine) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"object":"list","data":[{"id":"m","object":"model","created":1}]}`)
	})
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Prompt    string `json:"prompt"`
			MaxTokens int    `json:"max_tokens"`
			Seed      uint64 `json:"seed"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		f.prompts = append(f.prompts, req.Prompt)
		f.seeds = append(f.seeds, req.Seed)
		f.mu.Unlock()
		if f.fail == "429" {
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"object":"error","message":"SECRET: your prompt has 1234 tokens","code":429}`)
			return
		}
		for i := range req.MaxTokens {
			if f.fail == "cut" && i == 1 {
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler)
			}
			tok := []string{" the", " cat", " sat"}[i%3]
			finish := "null"
			if i == req.MaxTokens-1 {
				finish = `"length"`
			}
			fmt.Fprintf(w, `data: {"choices":[{"index":0,"text":%q,"finish_reason":%s,"logprobs":{"tokens":[%q],"token_logprobs":[-0.3],"top_logprobs":[{%q:-0.3," SECRETX":-1.5," dog":-2%s}]}}]}`+"\n\n", tok, finish, tok, tok, fillers)
			w.(http.Flusher).Flush()
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	return mux
}

// fillers pad the fake engine's candidates to the 20 an engine reports.
var fillers = func() string {
	var b strings.Builder
	for i := range 17 {
		fmt.Fprintf(&b, `," filler%d":%d`, i, -40-i)
	}
	return b.String()
}()

func startOpenAIGateway(t *testing.T, f *fakeEngine) *gateway {
	t.Helper()
	return startOpenAIGatewayRender(t, f, nil)
}

func startOpenAIGatewayRender(t *testing.T, f *fakeEngine, render ChatRenderer) *gateway {
	t.Helper()
	up := httptest.NewServer(f.handler())
	t.Cleanup(up.Close)
	base, _ := url.Parse(up.URL + "/v1")
	c, err := openaicompat.New(base, up.Client(), openaicompat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return startGatewayWith(t, testKey(t, 1), "", func(cfg *Config, o *Options) {
		cfg.Watermarking.Pacing = ptr(false)
		o.Backend = NewOpenAIBackend(c, render)
	})
}

// TestOpenAIBackendSeededRequestsDrawAfresh: an engine is not trusted to
// repeat its drafts for a repeated seed, and fixed acceptance draws
// against changing drafts tell red tokens from green (a review measured
// 0.96 balanced accuracy), so a seeded or greedy request repeated through
// this backend gets fresh draws and a fresh engine seed every time.
func TestOpenAIBackendSeededRequestsDrawAfresh(t *testing.T) {
	f := &fakeEngine{}
	g := startOpenAIGateway(t, f)
	for _, body := range []map[string]any{
		{"model": "m", "prompt": "Say:", "max_tokens": 2, "seed": 7},
		{"model": "m", "prompt": "Say:", "max_tokens": 2, "temperature": 0},
	} {
		for range 2 {
			resp := g.post("/v1/completions", devKey, body)
			if b := readAll(t, resp); resp.StatusCode != 200 {
				t.Fatalf("%v: %d %s", body, resp.StatusCode, b)
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := map[uint64]bool{}
	for _, s := range f.seeds {
		seen[s] = true
	}
	if len(f.seeds) < 4 || len(seen) < len(f.seeds) {
		t.Fatalf("engine seeds %v: a repeated request reused one", f.seeds)
	}
}

// TestOpenAIBackendChatTemplate: with a chat renderer, a chat reaches the
// engine as the rendered raw prompt, watermarked and logged, on both
// APIs.
func TestOpenAIBackendChatTemplate(t *testing.T) {
	f := &fakeEngine{}
	render := func(_ context.Context, msgs []logline.Message) (string, error) {
		var b strings.Builder
		for _, m := range msgs {
			fmt.Fprintf(&b, "<%s>%s</%s>", m.Role, m.Content, m.Role)
		}
		return b.String() + "<assistant>", nil
	}
	g := startOpenAIGatewayRender(t, f, render)
	resp := g.post("/v1/chat/completions", devKey, map[string]any{"model": "m", "max_tokens": 4,
		"messages": []map[string]string{{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}}})
	if body := readAll(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `"content":"`) {
		t.Fatalf("chat: %d %s", resp.StatusCode, body)
	}
	resp = g.post("/api/chat", devKey, map[string]any{"model": "m", "stream": false, "options": map[string]any{"num_predict": 3},
		"messages": []map[string]string{{"role": "user", "content": "hello"}}})
	if body := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("/api/chat: %d %s", resp.StatusCode, body)
	}
	if len(f.prompts) < 2 || f.prompts[0] != "<system>Be brief.</system><user>hi</user><assistant>" || !strings.HasPrefix(f.prompts[len(f.prompts)-1], "<user>hello</user><assistant>") {
		t.Errorf("engine prompts %q", f.prompts)
	}
	entries := readLog(t, g.srv.cfg.Log.Path, g)
	if len(entries) != 2 || entries[0].Watermark == nil || entries[1].Watermark == nil {
		t.Fatalf("log: %d entries", len(entries))
	}
}

// TestOpenAIBackendChatTemplateRefusals: a conversation the template
// refuses (its raise_exception) or that passes the renderer's bounds is
// the client's 400, saying why; a backend without a template is a 502.
func TestOpenAIBackendChatTemplateRefusals(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
		want   string
	}{
		{&chattemplate.RaisedError{Message: "Conversation roles must alternate"}, 400, "roles must alternate"},
		{fmt.Errorf("render: %w", chattemplate.ErrLimit), 400, "too large or deep"},
		{errors.New("something else"), 502, "backend"},
	} {
		render := func(context.Context, []logline.Message) (string, error) { return "", tt.err }
		g := startOpenAIGatewayRender(t, &fakeEngine{}, render)
		resp := g.post("/v1/chat/completions", devKey, map[string]any{"model": "m", "messages": []map[string]string{{"role": "user", "content": "hi"}}})
		if body := readAll(t, resp); resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%v: %d %s", tt.err, resp.StatusCode, body)
		}
	}
}

// TestOpenAIBackendServes: /v1/completions and raw /api/generate reach
// the engine with the client's prompt as it is (no template) and answer,
// watermarked or not; /api/tags lists the engine's models; a chat is
// refused, since these engines keep their template.
func TestOpenAIBackendServes(t *testing.T) {
	f := &fakeEngine{}
	g := startOpenAIGateway(t, f)
	for _, key := range []string{plainKey, devKey} {
		resp := g.post("/v1/completions", key, map[string]any{"model": "m", "prompt": "Say:", "max_tokens": 6})
		if body := readAll(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `"text":"`) {
			t.Fatalf("/v1/completions %s: %d %s", key, resp.StatusCode, body)
		}
	}
	resp := g.post("/api/generate", plainKey, map[string]any{"model": "m", "prompt": "Say:", "raw": true, "stream": false, "options": map[string]any{"num_predict": 3}})
	if body := readAll(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `"response":" the cat sat"`) {
		t.Fatalf("/api/generate: %d %s", resp.StatusCode, body)
	}
	if f.prompts[0] != "Say:" {
		t.Errorf("engine prompt %q, want the client's", f.prompts[0])
	}
	if body := readAll(t, g.get("/api/tags", plainKey)); !strings.Contains(body, `"name":"m"`) {
		t.Errorf("/api/tags: %s", body)
	}
	resp = g.post("/v1/chat/completions", plainKey, map[string]any{"model": "m", "messages": []map[string]string{{"role": "user", "content": "hi"}}})
	if body := readAll(t, resp); resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "chat template") {
		t.Errorf("chat: %d %s", resp.StatusCode, body)
	}
	entries := readLog(t, g.srv.cfg.Log.Path, g)
	if len(entries) != 5 || entries[1].Watermark == nil || entries[0].Watermark != nil || entries[4].Status != http.StatusBadGateway {
		for _, e := range entries {
			t.Logf("%s %d %v", e.Endpoint, e.Status, e.Watermark)
		}
		t.Fatalf("log: %d entries", len(entries))
	}
}

// TestOpenAIBackendErrors: an engine's refusal or broken stream becomes
// the gateway's 502 (or an error line once streaming), logged, and the
// client never sees the engine's own message nor a candidate it did not
// get.
func TestOpenAIBackendErrors(t *testing.T) {
	for _, tt := range []struct {
		fail, want string
		stream     bool
	}{
		{"429", "HTTP 429", false},
		{"cut", "connection lost", true},
	} {
		t.Run(tt.fail, func(t *testing.T) {
			g := startOpenAIGateway(t, &fakeEngine{fail: tt.fail})
			resp := g.post("/v1/completions", devKey, map[string]any{"model": "m", "prompt": "Say:", "max_tokens": 4, "stream": tt.stream})
			body := readAll(t, resp)
			if !strings.Contains(body, tt.want) || strings.Contains(body, "SECRET") {
				t.Fatalf("client saw %d %s", resp.StatusCode, body)
			}
			if !tt.stream && resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("status %d", resp.StatusCode)
			}
			entries := readLog(t, g.srv.cfg.Log.Path, g)
			if len(entries) != 1 || entries[0].Status != http.StatusBadGateway || strings.Contains(entries[0].Error, "SECRET") {
				t.Fatalf("log: %+v", entries)
			}
		})
	}
}
