package stats

import (
	"math"
	"math/big"
	"testing"
)

// bigGammaUpperTail is log P(Gamma(n,1) ≥ x) = log(e^{−x} Σ_{k<n} x^k/k!)
// summed in 512-bit floats term by term: a reference free of cancellation
// and underflow for the sizes tested.
func bigGammaUpperTail(n int, x float64) float64 {
	const prec = 512
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	sum := new(big.Float).SetPrec(prec)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for k := 0; k < n; k++ {
		if k > 0 {
			term.Mul(term, bx)
			term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(k)))
		}
		sum.Add(sum, term)
	}
	// log(sum) − x, with sum's exponent taken apart so it cannot overflow.
	mant := new(big.Float)
	exp := sum.MantExp(mant)
	m, _ := mant.Float64()
	return math.Log(m) + float64(exp)*math.Ln2 - x
}

func TestLogGammaUpperTail(t *testing.T) {
	cases := []struct {
		n int
		x float64
	}{
		{1, 0.5}, {1, 3}, {1, 800}, {2, 1}, {5, 2}, {5, 5}, {5, 20}, {10, 9}, {50, 40}, {50, 60},
		{200, 200}, {200, 260}, {200, 400}, {1000, 900}, {1000, 1150}, {1000, 1500}, {3000, 3000}, {3000, 4200},
	}
	for _, c := range cases {
		got, want := LogGammaUpperTail(c.n, c.x), bigGammaUpperTail(c.n, c.x)
		if d := math.Abs(got - want); d > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("n %d x %v: log tail %.15g, reference %.15g", c.n, c.x, got, want)
		}
	}
	// Exp(1): log P(X ≥ x) = −x exactly.
	for _, x := range []float64{0.1, 1, 30, 1000} {
		if got := LogGammaUpperTail(1, x); math.Abs(got+x) > 1e-12*x {
			t.Errorf("Exp(1) tail at %v: %v", x, got)
		}
	}
	if got := LogGammaUpperTail(4000, 9000); got > -1000 || math.IsInf(got, 0) {
		t.Errorf("a tail far below 1e-308 is not representable: %v", got)
	}
	if LogGammaUpperTail(3, 0) != 0 || !math.IsNaN(LogGammaUpperTail(0, 1)) {
		t.Error("edge cases")
	}
}
