package openaicompat

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// EngineError is an engine's refusal or failure: an error status, or an
// error event in the stream. Its message (Error) names only the status:
// the engine's own text can quote the prompt's length in tokens, which
// after a restart tells where the last draft was rejected, so it is kept
// apart (Detail) for operators and never reaches the gateway's client.
type EngineError struct {
	// StatusCode is the HTTP status (0 for an error event inside a stream
	// that had started with 200).
	StatusCode int
	detail     string
}

func (e *EngineError) Error() string {
	if e.StatusCode == 0 {
		return "openai-compatible engine: error event in the stream"
	}
	return fmt.Sprintf("openai-compatible engine: HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

// Detail is the engine's own message, for operators only.
func (e *EngineError) Detail() string { return e.detail }

// Temporary reports whether the engine said to retry later (429, 503).
func (e *EngineError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusServiceUnavailable
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// statusError reads an error response into an EngineError.
func statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return &EngineError{StatusCode: resp.StatusCode, detail: errorText(b)}
}

// errorText extracts the message of the error shapes engines use:
// OpenAI's {"error": {"message": ...}}, vLLM's {"object": "error",
// "message": ...}, {"error": "..."} (Ollama, llama.cpp), or the raw text.
func errorText(b []byte) string {
	var e struct {
		Message string          `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &e) != nil {
		return strings.TrimSpace(string(b))
	}
	if e.Message != "" {
		return e.Message
	}
	var s string
	if json.Unmarshal(e.Error, &s) == nil {
		return s
	}
	var inner struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(e.Error, &inner) == nil && inner.Message != "" {
		return inner.Message
	}
	return strings.TrimSpace(string(b))
}

// Errors of a stream the engine answered but not as the acceptance needs.
// Like every error of this package they quote no token (see
// errBadEscape).
var (
	// ErrNoLogprobs: a token came without its top log-probabilities.
	// Ollama v0.17.4's /v1/completions never sends them.
	ErrNoLogprobs = errors.New("the engine sent a token without its top log-probabilities (does its /v1/completions stream support logprobs?)")
	// ErrOutsideCandidates: the sampled token is not among the reported
	// candidates, so the engine does not sample among them alone.
	ErrOutsideCandidates = errors.New("the engine sampled a token outside the candidates it reported (is top_k 20 honoured?)")
	// ErrFewCandidates: a token came with fewer than TopK candidates, so
	// the acceptance cannot be exact (is logprobs 20 honoured, and
	// vLLM's --max-logprobs at least 20?).
	ErrFewCandidates = errors.New("the engine reported fewer than 20 candidates for a token (are logprobs 20 and --max-logprobs ≥ 20 honoured?)")
	// ErrNotNormalised: processed log-probabilities that do not sum to one
	// over the candidates (top_k not honoured, or the engine reports raw
	// log-probabilities).
	ErrNotNormalised = errors.New("the engine's processed log-probabilities do not sum to one over its candidates (is top_k 20 honoured, and is vLLM's --logprobs-mode processed_logprobs?)")
	// ErrLostStream: the stream ended without finishing.
	ErrLostStream = errors.New("the engine's stream ended before it finished (upstream connection lost)")
)
