package stats

import "sort"

// FisherCritical is the smallest count k1 ≤ n1 at which the one-sided
// Fisher exact test (FisherGreater) of k1 successes in n1 against k0 in n0
// rejects at level alpha (log10 p ≤ log10Alpha), or n1+1 when none does.
// The p-value falls as k1 grows (with group 0 fixed, its share of the
// successes shrinks), so a binary search finds k1 with about log2(n1)
// tests; a scan from 0 took over a minute at n1 = 32,768.
func FisherCritical(n1, k0, n0 int, log10Alpha float64) int {
	return sort.Search(n1+1, func(k int) bool {
		f, err := FisherGreater(k, n1, k0, n0)
		return err == nil && f.Log10P <= log10Alpha
	})
}

// BinomMinRate is the smallest success rate p at which
// P(Binomial(n, p) ≥ s) ≥ power, found by bisection to within 2⁻⁶⁰: the
// rate a group of n trials must have to reach a critical count s (such as
// FisherCritical's) with that power. It returns 1 when s > n, as no rate
// is enough.
func BinomMinRate(s, n int, power float64) float64 { return binomMinRate(s, n, 0, power) }

// binomMinRate is BinomMinRate searching [lo, 1]: BinomMinDetectable
// starts at the null rate, below which no rate is of interest.
func binomMinRate(s, n int, lo, power float64) float64 {
	if s > n {
		return 1
	}
	hi := 1.0
	for range 60 {
		mid := (lo + hi) / 2
		if BinomPower(s, n, mid) >= power {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
