// Package toy is a stand-in language model for testing the watermark
// machinery apart from any real model: after each piece it
// offers 20 candidates picked from a vocabulary by a hash of the previous
// piece, with log-probabilities of a Zipf-like profile (entropy about 2.6
// bits, in the range of LLM text at temperature 1).
//
// It is not a language model of anything: its text is word salad. Tests and
// the foundation demo use it because its next-piece distributions are known
// exactly and cost nothing to compute.
package toy

import (
	"context"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"forensics/llm"
	"forensics/llm/tokenizer"
)

// Model is a toy next-piece distribution.
type Model struct {
	vocab []string
	lp    []float64
}

// Width is the number of candidates offered after each piece.
const Width = 20

// New returns a model over vocabSize pieces " wa", " wb", …: letters only,
// so a word splitter returns exactly these pieces from the joined text.
func New(vocabSize int) *Model {
	m := &Model{}
	for i := 0; i < vocabSize; i++ {
		w := []byte(" w")
		for j := i; ; j /= 26 {
			w = append(w, byte('a'+j%26))
			if j < 26 {
				break
			}
		}
		m.vocab = append(m.vocab, string(w))
	}
	z := 0.0
	for r := 1; r <= Width; r++ {
		z += 1 / math.Pow(float64(r), 1.3)
	}
	for r := 1; r <= Width; r++ {
		m.lp = append(m.lp, math.Log(1/math.Pow(float64(r), 1.3)/z))
	}
	return m
}

// Next1 returns the candidates after the piece prev and their
// log-probabilities (the same slice every call; do not modify it).
func (m *Model) Next1(prev string) (pieces []string, logprobs []float64) {
	h := fnv.New64a()
	h.Write([]byte(prev))
	rng := rand.New(rand.NewPCG(h.Sum64(), 1))
	pieces = make([]string, Width)
	seen := make(map[int]bool, Width)
	for i := range pieces {
		j := rng.IntN(len(m.vocab))
		for seen[j] {
			j = rng.IntN(len(m.vocab))
		}
		seen[j] = true
		pieces[i] = m.vocab[j]
	}
	return pieces, m.lp
}

// Name implements llm.Model.
func (m *Model) Name() string { return "toy-v1" }

// Tokenizer implements llm.Model: the toy's pieces are words.
func (m *Model) Tokenizer() tokenizer.Tokenizer { return tokenizer.Words{} }

// Next implements llm.Model. The distribution depends on the last piece
// only ("<s>" at the start); it never ends the sequence.
func (m *Model) Next(ctx context.Context, prefix []string, k int) ([]llm.Candidate, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prev := "<s>"
	if len(prefix) > 0 {
		prev = prefix[len(prefix)-1]
	}
	pieces, lps := m.Next1(prev)
	k = min(k, len(pieces))
	out := make([]llm.Candidate, k)
	for i := range out {
		out[i] = llm.Candidate{Piece: pieces[i], LogProb: lps[i]}
	}
	return out, nil
}
