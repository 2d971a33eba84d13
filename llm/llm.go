// Package llm puts language models behind one interface: given the pieces
// so far, the most likely next pieces with their raw log-probabilities.
// That is what Ollama's /api/generate returns with top_logprobs, what the
// embedded reference model computes, and all the watermark sampler needs.
package llm

import (
	"context"

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
