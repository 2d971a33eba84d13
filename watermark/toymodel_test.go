package watermark

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// toyModel is a stand-in language model for tests: after each piece it
// offers 20 candidates drawn from a vocabulary by a hash of the previous
// piece, with log-probabilities of a Zipf-like profile whose entropy (about
// 2.6 bits) is in the range of LLM text at temperature 1.
type toyModel struct {
	vocab []string
	lp    []float64
}

func newToyModel(vocabSize int) *toyModel {
	m := &toyModel{}
	for i := 0; i < vocabSize; i++ {
		// Letters only, so the Words tokenizer splits text back into
		// exactly these pieces.
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
	for r := 1; r <= 20; r++ {
		z += 1 / math.Pow(float64(r), 1.3)
	}
	for r := 1; r <= 20; r++ {
		m.lp = append(m.lp, math.Log(1/math.Pow(float64(r), 1.3)/z))
	}
	return m
}

func (m *toyModel) candidates(prev string) []Candidate {
	rng := rand.New(rand.NewPCG(Fingerprint(prev), 1))
	out := make([]Candidate, 20)
	seen := map[int]bool{}
	for i := range out {
		j := rng.IntN(len(m.vocab))
		for seen[j] {
			j = rng.IntN(len(m.vocab))
		}
		seen[j] = true
		out[i] = Candidate{Piece: m.vocab[j], LogProb: m.lp[i]}
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
