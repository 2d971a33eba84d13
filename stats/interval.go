package stats

import (
	"fmt"

	"gonum.org/v1/gonum/stat/distuv"
)

// ClopperPearson returns the exact two-sided confidence interval for a
// binomial proportion with k successes in n trials at confidence level conf
// (e.g. 0.99): lo is the conf/2-quantile bound from Beta(k, n-k+1), hi from
// Beta(k+1, n-k) (Clopper & Pearson 1934). It is conservative: the coverage
// is at least conf for every true proportion, which is what a stated
// empirical false-positive rate needs.
func ClopperPearson(k, n int, conf float64) (lo, hi float64, err error) {
	if n <= 0 || k < 0 || k > n {
		return 0, 0, fmt.Errorf("stats: clopper-pearson needs 0 ≤ k ≤ n and n > 0, got k=%d n=%d", k, n)
	}
	if !(conf > 0 && conf < 1) {
		return 0, 0, fmt.Errorf("stats: confidence %v outside (0,1)", conf)
	}
	a := (1 - conf) / 2
	lo, hi = 0, 1
	if k > 0 {
		lo = distuv.Beta{Alpha: float64(k), Beta: float64(n - k + 1)}.Quantile(a)
	}
	if k < n {
		hi = distuv.Beta{Alpha: float64(k + 1), Beta: float64(n - k)}.Quantile(1 - a)
	}
	return lo, hi, nil
}
