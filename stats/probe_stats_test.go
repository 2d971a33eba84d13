package stats

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestKolmogorovCDFKnownValues(t *testing.T) {
	// The worked example in Marsaglia, Tsang & Wang (2003), §3.
	if got, want := KolmogorovCDF(10, 0.274), 0.6284796154565043; math.Abs(got-want) > 1e-12 {
		t.Errorf("K(10, 0.274) = %.16g, want %.16g", got, want)
	}
	// n = 1: D = max(u, 1-u) ≥ 1/2, P(D < d) = 2d - 1.
	for _, d := range []float64{0.6, 0.75, 0.9} {
		if got := KolmogorovCDF(1, d); math.Abs(got-(2*d-1)) > 1e-12 {
			t.Errorf("K(1, %v) = %v, want %v", d, got, 2*d-1)
		}
	}
	// Large n approaches the asymptotic Kolmogorov distribution at
	// sqrt(n)·d = 1.36 (P ≈ 0.95).
	if got := KolmogorovCDF(2000, 1.36/math.Sqrt(2000)); math.Abs(got-0.95) > 0.005 {
		t.Errorf("K(2000, 1.36/√2000) = %v, want about 0.95", got)
	}
}

// TestKSUniformCalibrated: uniform samples of size 100 reject at the
// nominal rate; samples with a small excess near 0 (an anti-conservative
// p-value distribution) are caught.
func TestKSUniformCalibrated(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const runs = 4000
	reject := 0
	u := make([]float64, 100)
	for range runs {
		for i := range u {
			u[i] = rng.Float64()
		}
		r, err := KSUniform(u)
		if err != nil {
			t.Fatal(err)
		}
		if r.P <= 0.05 {
			reject++
		}
	}
	rate := float64(reject) / runs
	lo, hi, _ := ClopperPearson(reject, runs, 0.999)
	t.Logf("uniform n=100: rejection rate at 0.05 = %.4f (99.9%% CI %.4f–%.4f)", rate, lo, hi)
	if lo > 0.05 || hi < 0.05 {
		t.Errorf("KS rejection rate %.4f, CI excludes 0.05", rate)
	}
	caught := 0
	for range 200 {
		for i := range u {
			u[i] = math.Pow(rng.Float64(), 2) // P(U ≤ x) = √x > x
		}
		if r, _ := KSUniform(u); r.P <= 0.01 {
			caught++
		}
	}
	if caught < 190 {
		t.Errorf("KS caught %d/200 skewed samples", caught)
	}
	if _, err := KSUniform([]float64{0.5, 1.5}); err == nil {
		t.Error("value outside [0,1] accepted")
	}
}

func bigChoose(n, k int) *big.Int { return new(big.Int).Binomial(int64(n), int64(k)) }

func TestHypergeomTailAgainstExact(t *testing.T) {
	cases := []struct{ k, n, K, N int }{
		{3, 10, 5, 20}, {0, 10, 5, 20}, {5, 10, 5, 20}, {6, 10, 5, 20},
		{40, 200, 50, 1000}, {120, 500, 130, 1500}, {1, 1, 1, 2},
	}
	for _, c := range cases {
		got, err := LogHypergeomUpperTail(c.k, c.n, c.K, c.N)
		if err != nil {
			t.Fatal(err)
		}
		num := new(big.Int)
		for x := max(c.k, 0); x <= min(c.n, c.K); x++ {
			if c.n-x > c.N-c.K {
				continue
			}
			num.Add(num, new(big.Int).Mul(bigChoose(c.K, x), bigChoose(c.N-c.K, c.n-x)))
		}
		want := math.Inf(-1)
		if num.Sign() > 0 {
			r := new(big.Rat).SetFrac(num, bigChoose(c.N, c.n))
			f, _ := new(big.Float).SetPrec(200).SetRat(r).Float64()
			want = math.Log(f)
			if f == 0 { // below float64: use the log of the big ratio
				want = logBigRat(r)
			}
		}
		if math.IsInf(want, -1) != math.IsInf(got, -1) || (!math.IsInf(want, -1) && math.Abs(got-want) > 1e-9*max(1, math.Abs(want))) {
			t.Errorf("%+v: log tail %v, want %v", c, got, want)
		}
	}
	if _, err := LogHypergeomUpperTail(1, 5, 6, 5); err == nil {
		t.Error("K > N accepted")
	}
}

func logBigRat(r *big.Rat) float64 {
	num, den := r.Num(), r.Denom()
	return (float64(num.BitLen()) - float64(den.BitLen())) * math.Ln2
}

func TestFisherGreater(t *testing.T) {
	r, err := FisherGreater(9, 10, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	// P(X ≥ 9) for Hypergeom(N=20, K=10, n=10) = (C(10,9)C(10,1) + 1)/C(20,10).
	want := math.Log10((100.0 + 1) / 184756)
	if math.Abs(r.Log10P-want) > 1e-12 {
		t.Errorf("log10 p = %v, want %v", r.Log10P, want)
	}
	if r.OddsRatio <= 1 {
		t.Errorf("odds ratio %v", r.OddsRatio)
	}
	if r, _ := FisherGreater(0, 10, 5, 10); r.Log10P != 0 {
		t.Errorf("no successes in group 1: log10 p = %v, want 0", r.Log10P)
	}
	if _, err := FisherGreater(11, 10, 0, 10); err == nil {
		t.Error("k > n accepted")
	}
}

// TestFisherCalibrated: with equal rates, the one-sided test rejects at
// most at the nominal rate (it is conservative, being discrete).
func TestFisherCalibrated(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const runs = 3000
	reject := 0
	for range runs {
		k1, k0 := 0, 0
		for range 60 {
			if rng.Float64() < 0.2 {
				k1++
			}
		}
		for range 120 {
			if rng.Float64() < 0.2 {
				k0++
			}
		}
		r, _ := FisherGreater(k1, 60, k0, 120)
		if r.Log10P <= math.Log10(0.05) {
			reject++
		}
	}
	lo, _, _ := ClopperPearson(reject, runs, 0.999)
	t.Logf("Fisher null rejection rate at 0.05: %.4f", float64(reject)/runs)
	if lo > 0.05 {
		t.Errorf("Fisher test rejects %d/%d under the null", reject, runs)
	}
}

func TestBinomPower(t *testing.T) {
	n, p0 := 1000, 0.25
	la := math.Log10(0.01)
	s := BinomCritical(n, p0, la)
	if Log10BinomUpperTail(s, n, p0) > la || Log10BinomUpperTail(s-1, n, p0) <= la {
		t.Fatalf("critical value %d is not the smallest rejecting count", s)
	}
	mde := BinomMinDetectable(n, p0, la, 0.8)
	if BinomPower(s, n, mde) < 0.8 || BinomPower(s, n, mde-1e-4) >= 0.8 {
		t.Errorf("minimum detectable rate %v is not where power crosses 0.8", mde)
	}
	// The normal approximation puts it near p0 + (2.326+0.842)·sqrt(p0(1-p0)/n).
	if approx := p0 + 3.168*math.Sqrt(p0*(1-p0)/float64(n)); math.Abs(mde-approx) > 0.01 {
		t.Errorf("mde %v far from the normal approximation %v", mde, approx)
	}
	if BinomCritical(3, 0.5, -10) != 4 {
		t.Error("impossible level: critical value should be n+1")
	}
	if BinomMinDetectable(3, 0.5, -10, 0.8) != 1 {
		t.Error("impossible level: minimum detectable rate should be 1")
	}
}

func TestSignFlipCalibratedAndPowerful(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const runs = 1000
	reject := 0
	x := make([]float64, 50)
	for r := range runs {
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		res, err := SignFlipTest(context.Background(), x, 199, uint64(r))
		if err != nil {
			t.Fatal(err)
		}
		if res.P <= 0.05 {
			reject++
		}
	}
	lo, hi, _ := ClopperPearson(reject, runs, 0.999)
	t.Logf("sign-flip null rejection rate at 0.05: %.3f", float64(reject)/runs)
	if lo > 0.05 || hi < 0.03 {
		t.Errorf("sign-flip null rejection %d/%d", reject, runs)
	}
	for i := range x {
		x[i] = rng.NormFloat64() + 1
	}
	if res, _ := SignFlipTest(context.Background(), x, 999, 1); res.P > 0.01 {
		t.Errorf("shifted sample: p = %v", res.P)
	}
	if _, err := SignFlipTest(context.Background(), nil, 10, 1); err == nil {
		t.Error("empty sample accepted")
	}
}

// TestKolmogorovTailShortcut: the asymptotic branch joins the exact one.
func TestKolmogorovTailShortcut(t *testing.T) {
	n := 150
	d := math.Sqrt(3.76/float64(n)) - 1e-9 // just below the switch
	exact := KolmogorovCDF(n, d)
	approx := KolmogorovCDF(n, d+2e-9)
	if math.Abs(exact-approx) > 1e-4 {
		t.Errorf("at the switch: exact %v, shortcut %v", exact, approx)
	}
	if got := KolmogorovCDF(1000, 0.5); got != 1 && got < 1-1e-100 {
		t.Errorf("K(1000, 0.5) = %v", got)
	}
}
