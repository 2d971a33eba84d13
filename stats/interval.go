package stats

import (
	"fmt"
	"math"

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

// Wilson returns the Wilson score interval for k successes in n trials at
// confidence conf (Wilson 1927): the proportions p whose score test
// |k/n − p| ≤ z·√(p(1−p)/n) does not reject, with z the normal quantile.
// It is the building block of NewcombeDiff.
func Wilson(k, n int, conf float64) (lo, hi float64, err error) {
	if n <= 0 || k < 0 || k > n {
		return 0, 0, fmt.Errorf("stats: wilson needs 0 ≤ k ≤ n and n > 0, got k=%d n=%d", k, n)
	}
	if !(conf > 0 && conf < 1) {
		return 0, 0, fmt.Errorf("stats: confidence %v outside (0,1)", conf)
	}
	z := distuv.UnitNormal.Quantile(1 - (1-conf)/2)
	nf, p := float64(n), float64(k)/float64(n)
	centre := (p + z*z/(2*nf)) / (1 + z*z/nf)
	half := z / (1 + z*z/nf) * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf))
	return math.Max(0, centre-half), math.Min(1, centre+half), nil
}

// NewcombeDiff returns the confidence interval for the difference of two
// proportions p1 − p2 (k1 of n1 against k2 of n2) by Newcombe's hybrid
// score method (Newcombe 1998, method 10), built from the Wilson
// intervals (l1, u1) and (l2, u2):
//
//	lo = d − √((p1−l1)² + (u2−p2)²),  hi = d + √((u1−p1)² + (p2−l2)²).
//
// Its coverage stays near conf for small counts and proportions near 0
// or 1, where the Wald interval fails.
func NewcombeDiff(k1, n1, k2, n2 int, conf float64) (d, lo, hi float64, err error) {
	l1, u1, err := Wilson(k1, n1, conf)
	if err != nil {
		return 0, 0, 0, err
	}
	l2, u2, err := Wilson(k2, n2, conf)
	if err != nil {
		return 0, 0, 0, err
	}
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	d = p1 - p2
	lo = d - math.Sqrt((p1-l1)*(p1-l1)+(u2-p2)*(u2-p2))
	hi = d + math.Sqrt((u1-p1)*(u1-p1)+(p2-l2)*(p2-l2))
	return d, lo, hi, nil
}
