package ollama

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// fakeOllama speaks the part of Ollama's API the client uses, as v0.17.4
// sends it (server/routes.go, GenerateHandler and streamResponse):
//
//   - /api/show: the model's tokenizer keys in model_info (verbose);
//   - /api/generate, streamed: one NDJSON message per token with its
//     logprobs and top_logprobs, then a final message with done true and
//     done_reason "stop" (the model ended) or "length" (num_predict or the
//     context ran out), and no logprob for the end token; an error before
//     any output is an HTTP status with {"error": ...}, after output an
//     {"error": ...} line that ends the stream;
//   - /api/chat with _debug_render_only: the rendered prompt in
//     _debug_info.rendered_template.
//
// Its model says answer after prompt, whatever the sampling options, and
// continues from a prompt that already holds some of the answer.
type fakeOllama struct {
	t      *testing.T
	prompt string
	answer []api.TokenLogprob
	// contextSize, if set, is how many answer tokens fit in the model's
	// context: a request reaching it ends with "length" before num_predict.
	contextSize int
	// faults happen just before the answer token at their position.
	faults map[int]fault
	// failStatus, if set, answers /api/generate with this status and an
	// error before any output.
	failStatus int
	// showDelay holds /api/show answers back.
	showDelay time.Duration

	srv      *httptest.Server
	mu       sync.Mutex
	requests []api.GenerateRequest
	shows    int
}

type fault int

const (
	faultError fault = iota + 1 // an {"error"} line mid-stream
	faultCut                    // the connection closes mid-stream
	faultHang                   // the body stops until the client leaves
	faultHuge                   // a message longer than the client's 8 MB line buffer
)

// eotToken is the fake model's end-of-sequence token.
const eotToken = "<|eot|>"

// words is an answer of whole-word tokens.
func words(ws ...string) []api.TokenLogprob {
	out := make([]api.TokenLogprob, len(ws))
	for i, w := range ws {
		out[i] = api.TokenLogprob{Token: w}
	}
	return out
}

func newFakeOllama(t *testing.T, answer []api.TokenLogprob) *fakeOllama {
	f := &fakeOllama{t: t, prompt: "Once upon a time", answer: answer, faults: map[int]fault{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/show", f.show)
	mux.HandleFunc("POST /api/generate", f.generate)
	mux.HandleFunc("POST /api/chat", f.chat)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// client is a Client for the fake with hc as its HTTP client.
func (f *fakeOllama) client(hc *http.Client) *Client {
	u, err := url.Parse(f.srv.URL)
	if err != nil {
		f.t.Fatal(err)
	}
	return New(u, hc)
}

// showCount is how many /api/show requests the fake has had.
func (f *fakeOllama) showCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.shows
}

// calls returns the /api/generate requests so far.
func (f *fakeOllama) calls() []api.GenerateRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]api.GenerateRequest(nil), f.requests...)
}

func (f *fakeOllama) show(w http.ResponseWriter, r *http.Request) {
	// Reading the body lets the server notice the client leaving.
	var req api.ShowRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !req.Verbose {
		http.Error(w, `{"error":"want a verbose show"}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.shows++
	f.mu.Unlock()
	select {
	case <-time.After(f.showDelay):
	case <-r.Context().Done():
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"model_info": map[string]any{
		"general.architecture":        "llama",
		"tokenizer.ggml.model":        "gpt2",
		"tokenizer.ggml.pre":          "default",
		"tokenizer.ggml.tokens":       []string{"a", "b", "ab", eotToken},
		"tokenizer.ggml.merges":       []string{"a b"},
		"tokenizer.ggml.eos_token_id": 3,
	}})
}

func (f *fakeOllama) chat(w http.ResponseWriter, r *http.Request) {
	var req api.ChatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !req.DebugRenderOnly || req.Stream == nil || *req.Stream {
		http.Error(w, `{"error":"want a render-only, unstreamed chat"}`, http.StatusBadRequest)
		return
	}
	var sb strings.Builder
	for _, m := range req.Messages {
		sb.WriteString("<|" + m.Role + "|>" + m.Content)
	}
	json.NewEncoder(w).Encode(api.ChatResponse{Model: req.Model, Done: true, DebugInfo: &api.DebugInfo{RenderedTemplate: sb.String()}})
}

func (f *fakeOllama) generate(w http.ResponseWriter, r *http.Request) {
	var req api.GenerateRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	if f.failStatus != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.failStatus)
		json.NewEncoder(w).Encode(map[string]string{"error": "model failed to load"})
		return
	}
	pos := f.position(req.Prompt)
	limit := -1
	if n, ok := req.Options["num_predict"].(float64); ok {
		limit = int(n)
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	flush := w.(http.Flusher).Flush
	sent := 0
	for ; pos < len(f.answer) && sent != limit && (f.contextSize == 0 || pos < f.contextSize); pos++ {
		if !f.misbehave(w, r, pos) {
			return
		}
		tok := f.answer[pos]
		enc.Encode(api.GenerateResponse{Model: req.Model, CreatedAt: time.Now().UTC(), Response: tok.Token,
			Logprobs: []api.Logprob{{TokenLogprob: tok, TopLogprobs: f.candidates(tok)}}})
		flush()
		sent++
	}
	reason := "length"
	if pos == len(f.answer) && sent != limit {
		reason = "stop"
	}
	enc.Encode(api.GenerateResponse{Model: req.Model, CreatedAt: time.Now().UTC(), Done: true, DoneReason: reason,
		Metrics: api.Metrics{EvalCount: sent}})
}

// misbehave does the fault planned before the token at pos, if any, and
// reports whether the stream goes on.
func (f *fakeOllama) misbehave(w http.ResponseWriter, r *http.Request, pos int) bool {
	switch f.faults[pos] {
	case faultError:
		json.NewEncoder(w).Encode(map[string]string{"error": "llama runner process has terminated"})
		return false
	case faultCut:
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // closes the connection mid-body
	case faultHang:
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return false
	case faultHuge:
		json.NewEncoder(w).Encode(api.GenerateResponse{Response: strings.Repeat("x", 9<<20)})
	}
	return true
}

// position is how many answer tokens the prompt already holds after the
// fake's own prompt; a prompt that does not continue the answer at a token
// boundary fails the test.
func (f *fakeOllama) position(prompt string) int {
	rest, ok := strings.CutPrefix(prompt, f.prompt)
	if !ok {
		f.t.Errorf("prompt %q does not start with %q", prompt, f.prompt)
		return 0
	}
	pos := 0
	for pos < len(f.answer) && rest != "" {
		p := pieceOf(f.answer[pos])
		if !strings.HasPrefix(rest, p) {
			break
		}
		rest = rest[len(p):]
		pos++
	}
	if rest != "" {
		f.t.Errorf("prompt continues with %q, not the answer's next token", rest)
	}
	return pos
}

// candidates are the top logprobs reported with a token: the token itself,
// the end token and one other.
func (f *fakeOllama) candidates(tok api.TokenLogprob) []api.TokenLogprob {
	tok.Logprob = -0.25
	return []api.TokenLogprob{tok, {Token: eotToken, Logprob: -2}, {Token: " else", Logprob: -3.5}}
}
