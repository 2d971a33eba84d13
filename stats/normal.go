package stats

import "math"

// NormalUpperTail returns P(Z ≥ z) for a standard normal Z. For z ≥ 5 it is
// exp(LogNormalUpperTail(z)), so it stays positive (as a subnormal) up to
// z ≈ 38.4 and only then underflows to 0; use LogNormalUpperTail beyond that.
func NormalUpperTail(z float64) float64 {
	if z < 5 {
		return 0.5 * math.Erfc(z/math.Sqrt2)
	}
	return math.Exp(LogNormalUpperTail(z))
}

// LogNormalUpperTail returns log P(Z ≥ z) for a standard normal Z, finite for
// every finite z. Below z = 5 it is log(erfc(z/√2)/2); from 5 up it is
// log φ(z) + log R(z), where R is Mills' ratio evaluated by its continued
// fraction R(z) = 1/(z+1/(z+2/(z+3/(z+…)))) (Abramowitz & Stegun 26.2.14),
// which converges fast there and never underflows.
func LogNormalUpperTail(z float64) float64 {
	switch {
	case math.IsNaN(z):
		return math.NaN()
	case math.IsInf(z, 1):
		return math.Inf(-1)
	case z < 5:
		return math.Log(0.5 * math.Erfc(z/math.Sqrt2))
	}
	const depth = 200
	f := z
	for k := depth; k >= 1; k-- {
		f = z + float64(k)/f
	}
	logPhi := -0.5*z*z - 0.5*math.Log(2*math.Pi)
	return logPhi - math.Log(f)
}
