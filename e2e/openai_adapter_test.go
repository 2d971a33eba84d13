package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/openai"
)

// createWith imports a GGUF file as a model with more Modelfile lines.
func (o *ollamaServer) createWith(t testing.TB, name, gguf, lines string) {
	t.Helper()
	mf := filepath.Join(t.TempDir(), "Modelfile")
	os.WriteFile(mf, []byte("FROM "+gguf+"\n"+lines), 0o644)
	cmd := exec.Command(o.bin, "create", name, "-f", mf)
	cmd.Env = append(os.Environ(), "OLLAMA_HOST="+o.host)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ollama create %s: %v\n%s", name, err, out)
	}
}

// pinnedModelfile pins in the model what Ollama's /v1/completions cannot
// take from the request (it has no top_k, min_p, typical_p or
// repeat_penalty field), so that Ollama samples from p_T over the top 20,
// and makes the template the prompt itself (that endpoint is not raw).
const pinnedModelfile = `TEMPLATE "{{ .Prompt }}"
PARAMETER top_k 20
PARAMETER min_p 0
PARAMETER typical_p 1
PARAMETER repeat_penalty 1
`

// modelPinned is modelLong with pinnedModelfile, by the name Ollama's
// /v1/models lists it under (the tag included).
const modelPinned = "tiny-long-pinned:latest"

// completionsAdapter serves /v1/completions and /v1/models in front of a
// real Ollama. It is a FAKE for exactly one missing part: Ollama v0.17.4's
// /v1/completions computes the top log-probabilities (it turns the
// request's logprobs N into top_logprobs N) and then drops them from every
// chunk (openai.ToCompleteChunk copies only the text). The adapter makes
// the same request with Ollama's own conversion (openai.FromCompleteRequest,
// so top_k is ignored as Ollama ignores it and the Modelfile must pin it),
// sends it to /api/generate, and writes each token back in vLLM's legacy
// completions shape (tokens, token_logprobs, top_logprobs as {text:
// logprob}, a token that is not whole UTF-8 as "bytes:\xNN"), with
// finish_reason "stop" (no end token reported, as llama.cpp) or "length",
// then [DONE]. The model, its sampling and its log-probabilities are
// Ollama's. A client that leaves is not passed on: the adapter drains
// Ollama's stream, because cancelled streams hung Ollama v0.17.4's runner
// (docs/e2e.md).
func completionsAdapter(t *testing.T, o *ollamaServer) *httptest.Server {
	client := api.NewClient(o.url(), http.DefaultClient)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(o.url().JoinPath("/v1/models").String()) // Ollama's own
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) {
		var req openai.CompletionRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			adapterError(w, http.StatusBadRequest, err)
			return
		}
		greq, err := openai.FromCompleteRequest(req)
		if err != nil {
			adapterError(w, http.StatusBadRequest, err)
			return
		}
		streamLegacy(w, client, &greq)
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs
}

func adapterError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"object": "error", "message": err.Error(), "code": status})
}

// streamLegacy runs a generate request and writes its tokens as legacy
// completion chunks.
func streamLegacy(w http.ResponseWriter, client *api.Client, greq *api.GenerateRequest) {
	started := false
	write := func(v any) {
		if !started {
			w.Header().Set("Content-Type", "text/event-stream")
			started = true
		}
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		w.(http.Flusher).Flush()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // not the client's: drained
	defer cancel()
	err := client.Generate(ctx, greq, func(r api.GenerateResponse) error {
		for _, lp := range r.Logprobs {
			write(legacyChunk(greq.Model, lp, nil))
		}
		if r.Done {
			reason := r.DoneReason
			write(map[string]any{"object": "text_completion", "model": greq.Model,
				"choices": []any{map[string]any{"index": 0, "text": "", "logprobs": nil, "finish_reason": reason}}})
		}
		return nil
	})
	switch {
	case err != nil && !started:
		adapterError(w, http.StatusInternalServerError, err)
		return
	case err != nil:
		write(map[string]any{"error": map[string]any{"object": "error", "message": err.Error(), "code": 500}})
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// legacyChunk is one token in vLLM's completions shape.
func legacyChunk(model string, lp api.Logprob, finish *string) map[string]any {
	top := map[string]float64{}
	for _, c := range lp.TopLogprobs {
		top[legacyToken(c)] = c.Logprob
	}
	tok := legacyToken(lp.TokenLogprob)
	return map[string]any{"object": "text_completion", "model": model, "choices": []any{map[string]any{
		"index": 0, "text": tok, "finish_reason": finish,
		"logprobs": map[string]any{"tokens": []string{tok}, "token_logprobs": []float64{lp.Logprob},
			"top_logprobs": []any{top}, "text_offset": []int{0}},
	}}}
}

// legacyToken is a token's text, or "bytes:\xNN…" when its bytes are not
// whole UTF-8.
func legacyToken(t api.TokenLogprob) string {
	if len(t.Bytes) == 0 {
		return t.Token
	}
	b := make([]byte, len(t.Bytes))
	for i, x := range t.Bytes {
		b[i] = byte(x)
	}
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.WriteString("bytes:")
	for _, x := range b {
		fmt.Fprintf(&sb, "\\x%02x", x)
	}
	return sb.String()
}
