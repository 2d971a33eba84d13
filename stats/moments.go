package stats

import "math"

// MeanSD returns the mean of x and its sample standard deviation
//
//	sd = √( Σ (xᵢ − mean)² / (n − 1) ),
//
// the n − 1 denominator making sd² unbiased for the variance. The sd of
// fewer than two values is 0, and the mean of none is NaN.
func MeanSD(x []float64) (mean, sd float64) {
	var s float64
	for _, v := range x {
		s += v
	}
	mean = s / float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	if len(x) < 2 {
		return mean, 0
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}
