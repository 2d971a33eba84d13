package stats

import (
	"math"
	"testing"
)

// TestBinomRandomizedPUniform: under the null the randomized p-value is
// exactly uniform. For each count s it is uniform on [P(X > s), P(X ≥ s)]
// with probability P(X = s), so P(p ≤ u) sums exactly; it must be u.
func TestBinomRandomizedPUniform(t *testing.T) {
	for _, c := range []struct {
		n int
		p float64
	}{{10, 0.3}, {25, 0.5}, {40, 0.05}} {
		for _, u := range []float64{0.001, 0.05, 0.2, 0.5, 0.77, 0.99} {
			var cdf float64
			for s := 0; s <= c.n; s++ {
				lo, hi := BinomRandomizedP(s, c.n, c.p, 0), BinomRandomizedP(s, c.n, c.p, 1)
				at := math.Exp(LogBinomPMF(s, c.n, c.p))
				switch {
				case u >= hi:
					cdf += at
				case u > lo:
					cdf += at * (u - lo) / (hi - lo)
				}
			}
			if math.Abs(cdf-u) > 1e-9 {
				t.Errorf("n %d, p %v: P(randomized p ≤ %v) = %v", c.n, c.p, u, cdf)
			}
		}
	}
	if got := BinomRandomizedP(0, 0, 0.5, 0.37); got != 0.37 {
		t.Errorf("n = 0: %v, want v", got)
	}
}

// TestBinomRandomizedPEnds: v = 1 gives the ordinary P(X ≥ s), v = 0
// P(X > s).
func TestBinomRandomizedPEnds(t *testing.T) {
	n, p := 30, 0.25
	for s := 0; s <= n; s++ {
		if got, want := BinomRandomizedP(s, n, p, 1), math.Exp(LogBinomUpperTail(s, n, p)); math.Abs(got-want) > 1e-12 {
			t.Errorf("s %d, v = 1: %v, want P(X ≥ s) = %v", s, got, want)
		}
		if got, want := BinomRandomizedP(s, n, p, 0), math.Exp(LogBinomUpperTail(s+1, n, p)); math.Abs(got-want) > 1e-12 {
			t.Errorf("s %d, v = 0: %v, want P(X > s) = %v", s, got, want)
		}
	}
}
