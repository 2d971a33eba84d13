package vllm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// flatModel gives every one of n tokens the same probability.
type flatModel int

func (f flatModel) NextProbs([]int32) []float64 {
	p := make([]float64, f)
	for i := range p {
		p[i] = 1 / float64(f)
	}
	return p
}

// TestEngineDedupMatchesDetector: with vLLM's single_turn dedup the
// positions the engine samples without the watermark are exactly those
// whose context the detector skips as seen before; without it, Gumbel-max
// is deterministic given the context, so a repeated context repeats the
// token (and the text loops).
func TestEngineDedupMatchesDetector(t *testing.T) {
	prf := PhiloxPRF{Key: 99}
	for _, width := range []int{1, 2} {
		unmarked := 0
		counting := func(l []float32) int {
			unmarked++
			return SoftmaxSampler(rand.New(rand.NewPCG(uint64(unmarked), 1)))(l)
		}
		e := Engine{Watermarker: Gumbel{PRF: prf, Width: width}, Temperature: 1, Dedup: true}
		toks := e.Generate(flatModel(6), nil, 300, counting)
		if scored := len(ScoredTokens(toks, width, true)); scored+unmarked != len(toks) {
			t.Errorf("width %d: %d scored + %d sampled without the watermark ≠ %d", width, scored, unmarked, len(toks))
		}
		e.Dedup = false
		loop := e.Generate(flatModel(6), nil, 300, nil)
		next := map[string]int64{}
		for i, s := range ScoredTokens(loop, width, false) {
			k := contextKey(s.Context)
			if prev, ok := next[k]; ok && prev != s.Token {
				t.Fatalf("width %d position %d: context %v gave %d, earlier %d", width, i, s.Context, s.Token, prev)
			}
			next[k] = s.Token
		}
	}
}

// TestSoftmaxSampler draws in proportion to exp(logit) and never a −Inf.
func TestSoftmaxSampler(t *testing.T) {
	s := SoftmaxSampler(rand.New(rand.NewPCG(3, 4)))
	logits := []float32{0, float32(-1e30), 1.0986123, float32(math.Inf(-1))} // weights 1, 0, 3, 0
	counts := make([]int, 4)
	for range 40000 {
		counts[s(logits)]++
	}
	if counts[1] != 0 || counts[3] != 0 || counts[2] < 29400 || counts[2] > 30600 {
		t.Errorf("counts %v, want about 0:10000, 2:30000", counts)
	}
}
