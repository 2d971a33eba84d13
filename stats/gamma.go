package stats

import "math"

// LogGammaUpperTail returns log P(X ≥ x) for X ~ Gamma(n, 1) with integer
// shape n ≥ 1 (the sum of n independent Exp(1) variables: the null
// distribution of a Gumbel-max watermark's score), in natural-log space
// so that results far below 1e-308 are representable. It returns 0 for
// x ≤ 0.
//
// P(X ≥ x) = P(Poisson(x) ≤ n−1) = e^{−x} Σ_{k<n} x^k/k!. Above the mean
// (x > n−1) the terms fall from k = n−1 downward, so they are summed
// from there relative to the largest, using the ratio t(k−1)/t(k) = k/x,
// until the rest is negligible. At or below the mean the upper tail is
// 1 minus the lower, summed the same way from k = n upward.
func LogGammaUpperTail(n int, x float64) float64 {
	switch {
	case n < 1 || math.IsNaN(x):
		return math.NaN()
	case x <= 0:
		return 0
	case math.IsInf(x, 1):
		return math.Inf(-1)
	}
	logTerm := func(k int) float64 { // log of e^{−x} x^k / k!
		lg, _ := math.Lgamma(float64(k) + 1)
		return -x + float64(k)*math.Log(x) - lg
	}
	if x > float64(n-1) {
		sum, term := 1.0, 1.0
		for k := n - 1; k > 0; k-- {
			r := float64(k) / x
			term *= r
			sum += term
			if term*r/(1-r) < 1e-17*sum {
				break
			}
		}
		return logTerm(n-1) + math.Log(sum)
	}
	// P(X < x) = P(Poisson(x) ≥ n) = Σ_{k≥n} t(k), terms falling from k = n.
	sum, term := 1.0, 1.0
	for k := n; ; k++ {
		r := x / float64(k+1)
		term *= r
		sum += term
		if term*r/(1-r) < 1e-17*sum {
			break
		}
	}
	return math.Log1p(-math.Exp(logTerm(n) + math.Log(sum)))
}
