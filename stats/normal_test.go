package stats

import (
	"math"
	"testing"
)

func TestNormalUpperTailKnownQuantiles(t *testing.T) {
	// Standard normal quantiles, as tabulated to 16 digits.
	tests := []struct{ z, p float64 }{
		{0, 0.5},
		{1.6448536269514722, 0.05},
		{1.959963984540054, 0.025},
		{2.3263478740408408, 0.01},
		{2.5758293035489004, 0.005},
		{3.090232306167813, 0.001},
		{-1.959963984540054, 0.975},
	}
	for _, tt := range tests {
		if got := NormalUpperTail(tt.z); math.Abs(got-tt.p) > 1e-14 {
			t.Errorf("Φc(%v) = %.17g, want %v", tt.z, got, tt.p)
		}
	}
}

// asymptoticLogTail is the Laplace series for log Φc(z); for z ≥ 30 its
// truncation error is below 1e-17 relative. An independent check of the
// continued fraction.
func asymptoticLogTail(z float64) float64 {
	z2 := z * z
	series := 1 - 1/z2 + 3/(z2*z2) - 15/(z2*z2*z2) + 105/(z2*z2*z2*z2) - 945/(z2*z2*z2*z2*z2)
	return -z2/2 - math.Log(z) - 0.5*math.Log(2*math.Pi) + math.Log(series)
}

func TestLogNormalUpperTail(t *testing.T) {
	// Where math.Erfc is still in the normal float range, the continued
	// fraction must agree with it.
	for z := 5.0; z <= 26; z += 0.5 {
		want := math.Log(0.5 * math.Erfc(z/math.Sqrt2))
		if got := LogNormalUpperTail(z); math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("z=%v: %v vs erfc %v", z, got, want)
		}
	}
	for _, z := range []float64{30, 38, 40, 100, 1e3, 1e6} {
		want := asymptoticLogTail(z)
		if got := LogNormalUpperTail(z); math.Abs(got-want) > 1e-13*math.Abs(want) {
			t.Errorf("z=%v: %v vs asymptotic %v", z, got, want)
		}
	}
	// Continuity across the switch at z = 5.
	if d := LogNormalUpperTail(math.Nextafter(5, 0)) - LogNormalUpperTail(5); math.Abs(d) > 1e-12 {
		t.Errorf("jump of %v at z = 5", d)
	}
}

func TestNormalUpperTailNoEarlyUnderflow(t *testing.T) {
	for z := 30.0; z <= 38; z += 0.25 {
		if NormalUpperTail(z) <= 0 {
			t.Fatalf("Φc(%v) underflowed to 0", z)
		}
	}
	if !math.IsInf(LogNormalUpperTail(math.Inf(1)), -1) {
		t.Fatal("log Φc(+Inf) must be -Inf")
	}
}
