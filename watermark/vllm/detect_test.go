package vllm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestScoredTokens(t *testing.T) {
	toks := []int64{5, 6, 5, 6, 5, 6, 7}
	all := ScoredTokens(toks, 2, false)
	if len(all) != len(toks) || !slices.Equal(all[0].Context, []int64{-1, -1}) || !slices.Equal(all[1].Context, []int64{-1, 5}) {
		t.Fatalf("without dedup: %+v", all)
	}
	// Contexts (−1,−1) (−1,5) (5,6) (6,5) (5,6)* (6,5)* (5,6)*: 4 distinct.
	dedup := ScoredTokens(toks, 2, true)
	if len(dedup) != 4 {
		t.Fatalf("with dedup: %d scored, want 4: %+v", len(dedup), dedup)
	}
}

func TestGreenProbability(t *testing.T) {
	for _, g := range []float64{0.25, 0.5, 0.1, 0.7, 0.3} {
		p := GreenProbability(g)
		if math.Abs(p-g) > 1e-7 {
			t.Errorf("gamma %v: exact null green probability %v", g, p)
		}
	}
	// Brute force over a stride of the grid agrees with the search.
	g := 0.3
	p := GreenProbability(g)
	m := int(p * (1 << 24))
	if !Green(ToUniform(uint32(m-1)<<8), g) || Green(ToUniform(uint32(m)<<8), g) {
		t.Errorf("boundary at m = %d is not the first red value", m)
	}
}

// TestDetectors: text sampled at random (no watermark) is not detected
// under either scheme; text whose every token was chosen green (red-green)
// or by Gumbel-max over uniform "logits" is, with p far below 1e-6.
func TestDetectors(t *testing.T) {
	prf := PhiloxPRF{Key: 0xC0FFEE}
	rng := rand.New(rand.NewPCG(1, 2))
	const vocab, n, width = 1000, 300, 4
	random := make([]int64, n)
	for i := range random {
		random[i] = int64(rng.IntN(vocab))
	}
	green := make([]int64, 0, n)
	gumbel := make([]int64, 0, n)
	next := func(prefix []int64, pick func(ctx []int64) int64) []int64 {
		ctx := slices.Repeat([]int64{-1}, width)
		ctx = append(ctx, prefix...)
		return append(prefix, pick(ctx[len(ctx)-width:]))
	}
	for range n {
		green = next(green, func(ctx []int64) int64 {
			for {
				tok := int64(rng.IntN(vocab))
				if Green(prf.UniformOf(ctx, tok), 0.25) {
					return tok
				}
			}
		})
		gumbel = next(gumbel, func(ctx []int64) int64 {
			best, arg := -1.0, int64(0)
			for tok := range int64(vocab) {
				if u := float64(prf.UniformOf(ctx, tok)); u > best {
					best, arg = u, tok
				}
			}
			return arg
		})
	}
	if d := DetectRedGreen(prf, random, width, 0.25, true); d.Log10P < -3 {
		t.Errorf("random text, red-green: %+v", d)
	}
	if d := DetectGumbel(prf, random, width, true); d.Log10P < -3 {
		t.Errorf("random text, Gumbel: %+v", d)
	}
	if d := DetectRedGreen(prf, green, width, 0.25, true); d.Log10P > -100 {
		t.Errorf("all-green text: %+v", d)
	}
	if d := DetectGumbel(prf, gumbel, width, true); d.Log10P > -100 {
		t.Errorf("Gumbel-max text: %+v", d)
	}
	if d := DetectGumbel(PhiloxPRF{Key: 1}, gumbel, width, true); d.Log10P < -3 {
		t.Errorf("Gumbel-max text under another key: %+v", d)
	}
}
