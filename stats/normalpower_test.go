package stats

import (
	"math"
	"testing"
)

func TestNormalMinDetectable(t *testing.T) {
	// z(0.95) = 1.6448536269514722 and z(0.8) = 0.8416212335729143 (the
	// published quantiles): (z₀.₉₅ + z₀.₈)·1/√100.
	if got, want := NormalMinDetectable(1, 100, 0.05, 0.8), 0.24864748605243865; math.Abs(got-want) > 1e-12 {
		t.Errorf("NormalMinDetectable(1, 100, 0.05, 0.8) = %.17g, want %.17g", got, want)
	}
	// At that shift the z-test's power is the power asked for:
	// P(Z > z₁₋α − δ√n/sd) = power.
	for _, c := range []struct {
		sd           float64
		n            int
		alpha, power float64
	}{{0.3, 30, 0.0015, 0.8}, {2, 7, 0.01, 0.9}, {1, 1000, 1e-6, 0.5}} {
		d := NormalMinDetectable(c.sd, c.n, c.alpha, c.power)
		if got := NormalUpperTail(inverseUpperTail(c.alpha) - d*math.Sqrt(float64(c.n))/c.sd); math.Abs(got-c.power) > 1e-9 {
			t.Errorf("%+v: power at the detectable shift %v is %v", c, d, got)
		}
	}
}

// inverseUpperTail is the z with P(Z > z) = q, by bisection on
// NormalUpperTail (independent of the quantile NormalMinDetectable uses).
func inverseUpperTail(q float64) float64 {
	lo, hi := -40.0, 40.0
	for range 200 {
		mid := (lo + hi) / 2
		if NormalUpperTail(mid) > q {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
