package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// NormalMinDetectable is the smallest mean shift a one-sided level-alpha
// test of a mean over n values with standard deviation sd detects with
// probability power, by the normal approximation:
//
//	δ = (z₁₋α + z_power) · sd / √n,
//
// where z_q is the standard normal q-quantile. Use it for a mean of
// bounded, not too skewed values over tens of values or more; for counts,
// BinomMinDetectable is exact.
func NormalMinDetectable(sd float64, n int, alpha, power float64) float64 {
	z := distuv.UnitNormal
	return (z.Quantile(1-alpha) + z.Quantile(power)) * sd / math.Sqrt(float64(n))
}
