package openaicompat

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeEngine speaks the part of vLLM's OpenAI-compatible server the client
// uses, as vLLM documents it (serving_completion.py,
// _create_completion_logprobs): /v1/models, and /v1/completions streamed
// as server-sent events, one chunk per token with the legacy logprobs
// shape (tokens, token_logprobs, top_logprobs as {text: logprob}, the
// sampled token and the top `logprobs`), finish_reason "stop" or "length"
// on the last chunk, then "data: [DONE]". An error status has vLLM's body
// {"object":"error","message":...}.
//
// Its model says answer after prompt whatever the sampling options, and
// continues from a prompt that already holds some of the answer.
type fakeEngine struct {
	t      *testing.T
	prompt string
	answer []string
	// eosToken, if set, is reported as a last token (vLLM does; llama.cpp
	// and Ollama do not).
	eosToken string
	// chatShape sends llama.cpp's logprobs shape (content, with bytes).
	chatShape bool
	// cands overrides the candidates of every token (the drafted token is
	// not added); nil: the token, the end token and " else".
	cands map[string]float64
	// fewCands reports the candidates as they are, without padding them
	// to the 20 an engine reports.
	fewCands bool
	// faults happen just before the answer token at their position.
	faults map[int]string
	// status, if set, answers every completion with it.
	status int
	// wantKey, if set, is the API key every request must carry.
	wantKey string

	srv      *httptest.Server
	mu       sync.Mutex
	requests []completionRequest
}

const fakeEOS = "<|im_end|>"

func newFakeEngine(t *testing.T, answer ...string) *fakeEngine {
	f := &fakeEngine{t: t, prompt: "Once upon a time", answer: answer, faults: map[int]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", f.models)
	mux.HandleFunc("POST /v1/completions", f.complete)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeEngine) client(t *testing.T, o Options) *Client {
	t.Helper()
	u, _ := url.Parse(f.srv.URL + "/v1")
	c, err := New(u, f.srv.Client(), o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fakeEngine) calls() []completionRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]completionRequest(nil), f.requests...)
}

func (f *fakeEngine) authorised(w http.ResponseWriter, r *http.Request) bool {
	if f.wantKey != "" && r.Header.Get("Authorization") != "Bearer "+f.wantKey {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"object":"error","message":"bad key","code":401}`)
		return false
	}
	return true
}

func (f *fakeEngine) models(w http.ResponseWriter, r *http.Request) {
	if f.authorised(w, r) {
		fmt.Fprint(w, `{"object":"list","data":[{"id":"m","object":"model","created":1,"owned_by":"vllm"}]}`)
	}
}

func (f *fakeEngine) complete(w http.ResponseWriter, r *http.Request) {
	if !f.authorised(w, r) {
		return
	}
	var req completionRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"object":"error","message":"bad json"}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	if f.status != 0 {
		w.WriteHeader(f.status)
		fmt.Fprintf(w, `{"object":"error","message":"SECRET-DETAIL: prompt is %d tokens","type":"BadRequestError","code":%d}`, len(req.Prompt), f.status)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	pos, sent := f.position(req.Prompt), 0
	for ; pos < len(f.answer) && (req.MaxTokens == 0 || sent < req.MaxTokens); pos++ {
		if !f.misbehave(w, pos) {
			return
		}
		last := pos == len(f.answer)-1 && f.eosToken == ""
		f.send(w, f.answer[pos], last, sent+1 == req.MaxTokens)
		sent++
	}
	if pos == len(f.answer) && f.eosToken != "" && (req.MaxTokens == 0 || sent < req.MaxTokens) {
		f.send(w, f.eosToken, true, false)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// send writes one token's chunk; ended marks the model's end, full the
// request's last token.
func (f *fakeEngine) send(w http.ResponseWriter, tok string, ended, full bool) {
	var finish any
	switch {
	case ended:
		finish = "stop"
	case full:
		finish = "length"
	}
	ch := map[string]any{"id": "cmpl-1", "object": "text_completion", "model": "m",
		"choices": []any{map[string]any{"index": 0, "text": tok, "finish_reason": finish, "logprobs": f.logprobs(tok)}}}
	b, _ := json.Marshal(ch)
	fmt.Fprintf(w, "data: %s\n\n", b)
	w.(http.Flusher).Flush()
}

func (f *fakeEngine) logprobs(tok string) any {
	cands := map[string]float64{tok: -0.25, fakeEOS: -2, " else": -3.5}
	if f.cands != nil {
		cands = maps.Clone(f.cands)
	}
	if !f.fewCands {
		// Pad to the 20 candidates an engine reports, far below the rest.
		for i := 0; len(cands) < TopK; i++ {
			cands[fmt.Sprintf(" filler%d", i)] = -40 - float64(i)
		}
	}
	if f.chatShape {
		var top []map[string]any
		for t, lp := range cands {
			top = append(top, map[string]any{"token": t, "logprob": lp, "bytes": byteInts(t)})
		}
		return map[string]any{"content": []any{map[string]any{"token": tok, "logprob": cands[tok], "bytes": byteInts(tok), "top_logprobs": top}}}
	}
	return map[string]any{"tokens": []string{tok}, "token_logprobs": []float64{cands[tok]}, "top_logprobs": []any{cands}, "text_offset": []int{0}}
}

// misbehave does the fault planned before the token at pos and reports
// whether the stream goes on.
func (f *fakeEngine) misbehave(w http.ResponseWriter, pos int) bool {
	switch f.faults[pos] {
	case "cut":
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	case "malformed":
		fmt.Fprint(w, "data: {\"choices\": [\n\n")
	case "no-logprobs":
		fmt.Fprint(w, `data: {"choices":[{"index":0,"text":"SECRET-TOKEN","finish_reason":null}]}`+"\n\n")
	case "error-event":
		fmt.Fprint(w, `data: {"error":{"object":"error","message":"SECRET-DETAIL: engine overloaded","code":500}}`+"\n\n")
		return false
	case "outside":
		fmt.Fprint(w, `data: {"choices":[{"index":0,"text":"SECRET-TOKEN","finish_reason":null,"logprobs":{"tokens":["SECRET-TOKEN"],"token_logprobs":[-9],"top_logprobs":[{" a":-0.1}]}}]}`+"\n\n")
	case "lost-bytes":
		fmt.Fprint(w, `data: {"choices":[{"index":0,"text":"\ufffd","finish_reason":null,"logprobs":{"tokens":["\ufffd"],"token_logprobs":[-1],"top_logprobs":[{"\ufffd":-1}]}}]}`+"\n\n")
	case "huge":
		fmt.Fprintf(w, "data: %s\n\n", strings.Repeat("x", 2<<20))
	default:
		return true
	}
	return false
}

// position is how many answer tokens the prompt already holds after the
// fake's prompt.
func (f *fakeEngine) position(prompt string) int {
	rest, ok := strings.CutPrefix(prompt, f.prompt)
	if !ok {
		f.t.Errorf("prompt %q does not start with %q", prompt, f.prompt)
		return 0
	}
	pos := 0
	for pos < len(f.answer) && rest != "" {
		text := f.answer[pos]
		if b, ok := strings.CutPrefix(text, bytesPrefix); ok {
			text, _ = unescapeBytes(b) // a bytes: token stands for its bytes
		}
		if !strings.HasPrefix(rest, text) {
			break
		}
		rest = rest[len(text):]
		pos++
	}
	if rest != "" {
		f.t.Errorf("prompt continues with %q, not the answer's next token", rest)
	}
	return pos
}

// byteInts is a token's bytes as JSON numbers, as llama.cpp sends them.
func byteInts(s string) []int {
	out := make([]int, len(s))
	for i := range len(s) {
		out[i] = int(s[i])
	}
	return out
}
