package stats

import (
	"fmt"
	"math"
)

// logChoose is log C(n, k) via log-gamma.
func logChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// LogHypergeomUpperTail is log P(X ≥ k) for X the number of successes in n
// draws without replacement from a population of size N holding K
// successes. Summed term by term in log space, so tiny tails stay exact to
// rounding.
func LogHypergeomUpperTail(k, n, K, N int) (float64, error) {
	if N < 0 || K < 0 || K > N || n < 0 || n > N {
		return math.NaN(), fmt.Errorf("stats: hypergeometric with N=%d K=%d n=%d is not defined", N, K, n)
	}
	lo, hi := max(0, n-(N-K)), min(n, K)
	if k <= lo {
		return 0, nil
	}
	if k > hi {
		return math.Inf(-1), nil
	}
	denom := logChoose(N, n)
	acc := math.Inf(-1)
	for x := k; x <= hi; x++ {
		acc = logAddExp(acc, logChoose(K, x)+logChoose(N-K, n-x)-denom)
	}
	return min(acc, 0), nil
}

// FisherResult is a one-sided Fisher exact test of whether group 1's rate
// exceeds group 0's.
type FisherResult struct {
	K1, N1, K0, N0 int
	Log10P         float64 // log10 P(X ≥ K1) given the margins
	OddsRatio      float64 // conditional-free sample odds ratio, with 0.5 added to each cell
}

// FisherGreater tests H0: rate1 ≤ rate0 against rate1 > rate0 from k1 of n1
// and k0 of n0, conditioning on the total number of successes (Fisher 1935).
func FisherGreater(k1, n1, k0, n0 int) (FisherResult, error) {
	if k1 < 0 || k0 < 0 || k1 > n1 || k0 > n0 {
		return FisherResult{}, fmt.Errorf("stats: Fisher test needs 0 ≤ k ≤ n, got %d/%d and %d/%d", k1, n1, k0, n0)
	}
	lp, err := LogHypergeomUpperTail(k1, n1, k1+k0, n1+n0)
	if err != nil {
		return FisherResult{}, err
	}
	or := (float64(k1) + 0.5) * (float64(n0-k0) + 0.5) / ((float64(n1-k1) + 0.5) * (float64(k0) + 0.5))
	return FisherResult{K1: k1, N1: n1, K0: k0, N0: n0, Log10P: lp / math.Ln10, OddsRatio: or}, nil
}
