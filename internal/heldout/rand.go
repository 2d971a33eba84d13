package heldout

import (
	"math"
	"math/rand/v2"
)

// rng is one actor's random source: every actor draws from its own
// stream of the seed, so actors can be generated in any order, or in
// parallel, and the log is the same.
type rng struct{ *rand.Rand }

func newRNG(seed, stream uint64) *rng {
	return &rng{rand.New(rand.NewPCG(seed, stream^0x9e3779b97f4a7c15))}
}

// chance is true with probability p.
func (r *rng) chance(p float64) bool { return r.Float64() < p }

// between draws an integer in [lo, hi].
func (r *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}

// logNormal draws a positive value with the given median; sigma is the
// spread of its logarithm.
func (r *rng) logNormal(median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// poisson draws a count with the given mean.
func (r *rng) poisson(mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 40 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	limit, k, p := math.Exp(-mean), 0, r.Float64()
	for p > limit {
		k++
		p *= r.Float64()
	}
	return k
}

// hex draws n lower-case hex digits.
func (r *rng) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

// pick draws one element of xs.
func pick[T any](r *rng, xs []T) T { return xs[r.IntN(len(xs))] }

// weighted draws an index with probability proportional to w.
func (r *rng) weighted(w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	u := r.Float64() * total
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

// sample draws k distinct elements of xs (all of them when k ≥ len).
func sample[T any](r *rng, xs []T, k int) []T {
	idx := r.Perm(len(xs))
	out := make([]T, 0, min(k, len(xs)))
	for _, i := range idx[:min(k, len(xs))] {
		out = append(out, xs[i])
	}
	return out
}
