package stats

import "math"

// BinomCritical is the smallest count s with log10 P(Binomial(n, p0) ≥ s) ≤
// log10Alpha: the number of successes a level-alpha one-sided test needs.
// It returns n+1 when no count is enough.
func BinomCritical(n int, p0, log10Alpha float64) int {
	lo, hi := 0, n+1 // tail(lo) > alpha (tail(0) = 1), tail(hi) = 0
	if Log10BinomUpperTail(0, n, p0) <= log10Alpha {
		return 0
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if Log10BinomUpperTail(mid, n, p0) <= log10Alpha {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// BinomPower is P(Binomial(n, p1) ≥ s).
func BinomPower(s, n int, p1 float64) float64 {
	return math.Exp(LogBinomUpperTail(s, n, p1))
}

// BinomMinDetectable is the smallest success rate p1 ≥ p0 at which the
// level-alpha one-sided exact test on n trials rejects with probability at
// least power. It returns 1 (or NaN for n = 0) when no rate is enough.
func BinomMinDetectable(n int, p0, log10Alpha, power float64) float64 {
	if n <= 0 {
		return math.NaN()
	}
	return binomMinRate(BinomCritical(n, p0, log10Alpha), n, p0, power)
}
