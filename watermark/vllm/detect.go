package vllm

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"forensics/stats"
)

// PRF is one of vLLM's watermark PRFs: a uniform in (0, 1) for a
// candidate token after a context of token ids.
type PRF interface {
	Version() string
	UniformOf(context []int64, token int64) float32
}

// UniformOf implements PRF. vLLM masks the int64 ids (the −1 padding
// included) to their low 32 bits.
func (p PhiloxPRF) UniformOf(context []int64, token int64) float32 {
	words := make([]uint32, len(context))
	for i, c := range context {
		words[i] = uint32(c)
	}
	return p.Uniform(words, uint32(token))
}

// UniformOf implements PRF.
func (p HMACPRF) UniformOf(context []int64, token int64) float32 {
	return p.Uniform(context, token)
}

// Scored is a token the detector scores and the context it is scored
// under.
type Scored struct {
	Context []int64
	Token   int64
}

// ScoredTokens are the tokens vLLM's detector scores (detector.py, commit
// a6d669adc4b8b8c0a4398e0491bcb6db73cafc7a): each token under the width
// tokens before it, the text's start padded with −1; with dedup, a token
// whose context was seen before is skipped (the context alone, not the
// context and token: a repeated context reuses one keyed random vector).
func ScoredTokens(tokens []int64, width int, dedup bool) []Scored {
	prefix := slices.Repeat([]int64{-1}, width)
	seen := map[string]bool{}
	var out []Scored
	for _, tok := range tokens {
		ctx := slices.Clone(prefix[len(prefix)-width:])
		key := contextKey(ctx)
		if !dedup || !seen[key] {
			seen[key] = true
			out = append(out, Scored{Context: ctx, Token: tok})
		}
		prefix = append(prefix, tok)
	}
	return out
}

func contextKey(ctx []int64) string {
	var b strings.Builder
	for _, c := range ctx {
		b.WriteString(strconv.FormatInt(c, 10))
		b.WriteByte(',')
	}
	return b.String()
}

// Detection is a detector's result: the tokens scored, the score and the
// exact log10 p-value of its one-sided test.
type Detection struct {
	Scored int
	Score  float64
	Log10P float64
}

// DetectRedGreen is vLLM's red-green test (red_green.py): the number of
// scored tokens in their green list is Binomial(scored, gamma) under the
// null; its upper tail exactly, in log space (vLLM computes it in floating
// point, which underflows to 0 below about 1e-308).
func DetectRedGreen(prf PRF, tokens []int64, width int, gamma float64, dedup bool) Detection {
	scored := ScoredTokens(tokens, width, dedup)
	green := 0
	for _, s := range scored {
		if Green(prf.UniformOf(s.Context, s.Token), gamma) {
			green++
		}
	}
	d := Detection{Scored: len(scored), Score: float64(green)}
	d.Log10P = stats.Log10BinomUpperTail(green, len(scored), GreenProbability(gamma))
	return d
}

// GreenProbability is the exact probability that a token is green under
// the null (the PRF's 32-bit word uniform): the share of the 2^24 values
// of the word's top 24 bits whose uniform (ToUniform) falls below
// float32(gamma). vLLM's own test uses gamma itself; the two differ by the
// grid and the float32 rounding (below 1e-7), which matters only for the
// exactness this project claims.
func GreenProbability(gamma float64) float64 {
	// ToUniform is non-decreasing in the top 24 bits: find the first m
	// that is not green.
	lo, hi := 0, 1<<24
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if Green(ToUniform(uint32(m)<<8), gamma) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return float64(lo) / (1 << 24)
}

// DetectGumbel is vLLM's Gumbel-max test (gumbel.py): the score is the
// sum of −log(1 − u) over the scored tokens, Gamma(scored, 1) under the
// null if the uniforms were continuous. They are float32 values of a
// 24-bit grid, so the p-value is the Gamma tail at the score less
// scored·GumbelShift (and the float64 sum's rounding), which bounds the
// discrete null's tail from above: valid, not approximate.
func DetectGumbel(prf PRF, tokens []int64, width int, dedup bool) Detection {
	scored := ScoredTokens(tokens, width, dedup)
	score := 0.0
	for _, s := range scored {
		score += gumbelTerm(prf.UniformOf(s.Context, s.Token))
	}
	d := Detection{Scored: len(scored), Score: score}
	d.Log10P = gumbelLogTail(len(scored), score) / math.Ln10
	return d
}
