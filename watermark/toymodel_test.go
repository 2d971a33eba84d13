package watermark

import (
	"fmt"
	"math/rand/v2"

	"forensics/llm/toy"
)

// toyModel adapts llm/toy to this package's Candidate type.
type toyModel struct{ m *toy.Model }

func newToyModel(vocabSize int) *toyModel { return &toyModel{toy.New(vocabSize)} }

func (m *toyModel) candidates(prev string) []Candidate {
	pieces, lps := m.m.Next1(prev)
	out := make([]Candidate, len(pieces))
	for i := range pieces {
		out[i] = Candidate{Piece: pieces[i], LogProb: lps[i]}
	}
	return out
}

// generate samples n pieces; with a nil sampler it samples p_T directly.
func (m *toyModel) generate(s *Scheme, sm *Sampler, rng *rand.Rand, n int) []string {
	ctx := NewContext(s.params.ContextWidth)
	prev := "<s>"
	out := make([]string, 0, n)
	for len(out) < n {
		cands := m.candidates(prev)
		t := s.Tilt(ctx.Fingerprints(), cands, 1)
		var i int
		if sm != nil {
			i = Draw(t.Q, sm.Rand())
		} else {
			i = Draw(t.P, rng)
		}
		prev = cands[i].Piece
		out = append(out, prev)
		ctx.Push(Fingerprint(prev))
	}
	return out
}

func testKey(h int, secretByte byte) *Key {
	var secret [32]byte
	for i := range secret {
		secret[i] = secretByte + byte(i)
	}
	p := DefaultParams()
	p.ContextWidth = h
	k, err := NewKeyFromSecret(fmt.Sprintf("test-%d-%d", h, secretByte), p, secret, testTime)
	if err != nil {
		panic(err)
	}
	return k
}
