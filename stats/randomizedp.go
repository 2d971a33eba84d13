package stats

import "math"

// BinomRandomizedP is the randomized upper-tail p-value of s successes in
// n trials with success probability p,
//
//	P(X > s) + v·P(X = s),  X ~ Binomial(n, p),
//
// for v drawn uniformly from [0, 1). Under the null it is exactly
// Uniform(0, 1), where the plain P(X ≥ s) is discrete and larger, so a
// uniformity test (KSUniform) of many such p-values is not fooled by the
// binomial's discreteness. It is v for n = 0. Do not report it as a test's
// p-value: it depends on v, which is not evidence.
func BinomRandomizedP(s, n int, p, v float64) float64 {
	if n == 0 {
		return v
	}
	above := math.Exp(LogBinomUpperTail(s+1, n, p))
	at := math.Exp(LogBinomPMF(s, n, p))
	return min(1, above+v*at)
}
