// Package llm puts language models behind one interface: given the pieces
// so far, the most likely next pieces with their raw log-probabilities.
// That is what Ollama's /api/generate returns with top_logprobs, what the
// embedded reference model computes, and all the watermark sampler needs.
package llm

import (
	"context"
	"errors"
	"unicode/utf8"

	"forensics/llm/tokenizer"
)

// Candidate is one possible next piece.
type Candidate struct {
	Piece string
	// LogProb is the natural log of the model's probability, before any
	// temperature is applied.
	LogProb float64
	// EOS marks the end-of-sequence candidate; its Piece is empty.
	EOS bool
}

// Model is a next-piece predictor.
type Model interface {
	// Name identifies the model and its exact weights or definition.
	Name() string
	// Tokenizer splits text into the model's pieces.
	Tokenizer() tokenizer.Tokenizer
	// Next returns up to k candidates for the piece after prefix, most
	// likely first.
	Next(ctx context.Context, prefix []string, k int) ([]Candidate, error)
}

// Draft is one token a backend sampled from its own distribution p_T,
// with the candidates it sampled among (top-k, raw log-probabilities).
type Draft struct {
	Piece      string
	EOS        bool        // the backend ended the sequence
	Candidates []Candidate // empty for EOS (Ollama reports none)
	// Request numbers the upstream requests within one Stream call (0 for
	// the first); a backend that fetches in chunks starts a new one now
	// and then.
	Request int
}

// StreamRequest asks a backend to continue a rendered prompt.
type StreamRequest struct {
	// Model is the backend's model name (the embedded backend has one).
	Model  string
	Prompt string
	// PromptPieces, when set, are Prompt already split by the model's
	// tokenizer: a backend that tokenizes itself (the embedded model) uses
	// them instead of tokenizing the prompt again at every restart of a
	// watermarked stream. Backends that take text (Ollama) ignore them.
	PromptPieces []string
	// Generated are the pieces already produced after Prompt; the backend
	// continues after them.
	Generated   []string
	Temperature float64
	TopK        int
	MaxTokens   int
	// MinTokens keeps the end token out of the candidates until this many
	// pieces (counting Generated) exist. Only the embedded model can do
	// this; Ollama has no such option.
	MinTokens int
	Seed      uint64
	// Chunk, for a backend that fetches in requests of several tokens
	// (Ollama), is how many tokens each request asks for (0: its default).
	// One token a request makes every piece cost the same, accepted or
	// rejected.
	Chunk int
}

// ErrStop, returned by a Stream callback, ends the stream early without
// error.
var ErrStop = errors.New("llm: stop streaming")

// ErrMidCharacter is returned by a Streamer that fetches in chunks when the
// pieces so far end inside a UTF-8 character: it cannot send them back as a
// text prompt to continue. The caller drops the partial character's pieces
// and streams again.
var ErrMidCharacter = errors.New("llm: continuation would start inside a character")

// Streamer is a backend that samples continuations itself and reports what
// it sampled from: Ollama with logprobs, or the embedded model. The
// watermarking gateway treats each drafted token as a proposal.
type Streamer interface {
	Name() string
	// Stream calls fn for each drafted token, in order, until MaxTokens,
	// EOS, or fn returns an error (ErrStop to stop without one).
	Stream(ctx context.Context, req StreamRequest, fn func(Draft) error) error
}

// WithoutEOS returns the candidates other than the end token.
func WithoutEOS(cands []Candidate) []Candidate {
	out := cands[:0:0]
	for _, c := range cands {
		if !c.EOS {
			out = append(out, c)
		}
	}
	return out
}

// EndsMidCharacter reports whether s ends with the first bytes of a UTF-8
// character whose remaining bytes have not come yet (a byte-level token can
// end there). Invalid bytes do not count: they are whole, if wrong.
func EndsMidCharacter(s string) bool {
	for i := len(s) - 1; i >= 0 && i >= len(s)-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			return !utf8.FullRuneInString(s[i:])
		}
	}
	return false
}
