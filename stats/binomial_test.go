package stats

import (
	"math"
	"math/big"
	"testing"
)

// exactLog10UpperTail computes log10 P(X ≥ s), X ~ Binomial(n, num/den), with
// integer arithmetic: Σ_{k≥s} C(n,k)·num^k·(den-num)^(n-k) / den^n. It is
// the independent reference the log-space code is checked against.
func exactLog10UpperTail(s, n int, num, den int64) float64 {
	if s > n {
		return math.Inf(-1)
	}
	if s < 0 {
		s = 0
	}
	total := new(big.Int)
	c := new(big.Int).Binomial(int64(n), int64(s))
	pk := new(big.Int).Exp(big.NewInt(num), big.NewInt(int64(s)), nil)
	qk := new(big.Int).Exp(big.NewInt(den-num), big.NewInt(int64(n-s)), nil)
	term := new(big.Int)
	for k := s; k <= n; k++ {
		term.Mul(c, pk)
		term.Mul(term, qk)
		total.Add(total, term)
		if k == n {
			break
		}
		// C(n,k+1) = C(n,k)·(n-k)/(k+1); exact because the product is divisible.
		c.Mul(c, big.NewInt(int64(n-k)))
		c.Quo(c, big.NewInt(int64(k+1)))
		pk.Mul(pk, big.NewInt(num))
		qk.Quo(qk, big.NewInt(den-num))
	}
	denN := new(big.Int).Exp(big.NewInt(den), big.NewInt(int64(n)), nil)
	// Divide before taking the log: log10(total) - log10(den^n) would cancel
	// two large numbers and lose the digits near p ≈ 1.
	ratio := new(big.Float).SetPrec(256).Quo(
		new(big.Float).SetPrec(256).SetInt(total),
		new(big.Float).SetPrec(256).SetInt(denN))
	mant := new(big.Float)
	exp := ratio.MantExp(mant) // ratio = mant · 2^exp, mant in [0.5, 1)
	m, _ := mant.Float64()
	return math.Log10(m) + float64(exp)*math.Log10(2)
}

func TestLogBinomUpperTailAgainstExact(t *testing.T) {
	cases := []struct {
		s, n     int
		num, den int64
	}{
		{0, 10, 1, 4},
		{1, 1, 1, 4},
		{3, 10, 1, 4},
		{5, 10, 1, 2},
		{7, 10, 1, 4},
		{10, 10, 1, 4},
		{30, 100, 1, 4},   // near the mean, above
		{25, 100, 1, 4},   // at the mean
		{20, 100, 1, 4},   // below the mean
		{200, 200, 1, 4},  // every token green: 4^-200
		{120, 200, 1, 4},  // a typical watermarked passage
		{700, 1000, 1, 4}, // ~1e-200
		{1600, 2000, 1, 4},
		{3000, 5000, 1, 4}, // ~1e-900: far below float64
		{4990, 5000, 1, 4}, // ~1e-2980
		{1300, 5000, 1, 4}, // just above the mean at large n
		{1250, 5000, 1, 4}, // the mean
		{600, 1000, 1, 2},  // γ = 0.5
		{150, 1000, 1, 10}, // γ = 0.1
		{400, 1000, 3, 10}, // γ = 0.3
		{2600, 4000, 1, 2}, // γ = 0.5, far tail
		{9, 4000, 1, 400},  // small γ
	}
	for _, c := range cases {
		p := float64(c.num) / float64(c.den)
		want := exactLog10UpperTail(c.s, c.n, c.num, c.den)
		got := Log10BinomUpperTail(c.s, c.n, p)
		tol := 1e-12 * math.Max(1, math.Abs(want))
		if want > -1 {
			// Close to 1 the absolute error of p itself is what matters.
			if d := math.Abs(math.Pow(10, got) - math.Pow(10, want)); d > 1e-13 {
				t.Errorf("s=%d n=%d p=%v: P=%v, exact %v", c.s, c.n, p, math.Pow(10, got), math.Pow(10, want))
			}
			continue
		}
		if math.Abs(got-want) > tol {
			t.Errorf("s=%d n=%d p=%v: log10 P = %.15g, exact %.15g (diff %.3g)", c.s, c.n, p, got, want, got-want)
		}
	}
}

func TestLogBinomUpperTailEdges(t *testing.T) {
	tests := []struct {
		name string
		s, n int
		p    float64
		want float64
	}{
		{"s ≤ 0 is certain", 0, 5, 0.25, 0},
		{"negative s is certain", -3, 5, 0.25, 0},
		{"s > n is impossible", 6, 5, 0.25, math.Inf(-1)},
		{"p = 0", 1, 5, 0, math.Inf(-1)},
		{"p = 1", 5, 5, 1, 0},
		{"n = 0, s = 0", 0, 0, 0.25, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LogBinomUpperTail(tt.s, tt.n, tt.p); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	if !math.IsNaN(LogBinomUpperTail(1, 5, 1.5)) {
		t.Fatal("p outside [0,1] must give NaN")
	}
}

func TestLogBinomUpperTailHugeN(t *testing.T) {
	// At n = 1e8 the tail must stay monotone in s and finite; compare with the
	// normal approximation, which is accurate to a few percent at z = 5 here.
	n := 100_000_000
	p := 0.25
	sd := math.Sqrt(float64(n) * p * (1 - p))
	s := int(float64(n)*p + 5*sd)
	got := LogBinomUpperTail(s, n, p)
	approx := LogNormalUpperTail(5)
	if math.Abs(got-approx) > 0.05 {
		t.Fatalf("log P = %v, normal approximation %v", got, approx)
	}
	prev := 0.0
	for _, k := range []int{n / 4, n/4 + 1000, n/4 + 10000, n/4 + 100000, n / 2, n} {
		v := LogBinomUpperTail(k, n, p)
		if v > prev || math.IsNaN(v) {
			t.Fatalf("tail not monotone at s=%d: %v after %v", k, v, prev)
		}
		prev = v
	}
	if want := float64(n) * math.Log(p); math.Abs(prev-want) > 1e-9*math.Abs(want) {
		t.Fatalf("P(X = n) = %v, want %v", prev, want)
	}
}

func TestLogBinomPMFSumsToOne(t *testing.T) {
	for _, n := range []int{1, 7, 50, 1000} {
		for _, p := range []float64{0.01, 0.25, 0.5, 0.9} {
			sum := 0.0
			for k := 0; k <= n; k++ {
				sum += math.Exp(LogBinomPMF(k, n, p))
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Errorf("n=%d p=%v: Σ pmf = %.17g", n, p, sum)
			}
		}
	}
}

func TestBinomZ(t *testing.T) {
	if z := BinomZ(50, 100, 0.25); math.Abs(z-25/math.Sqrt(18.75)) > 1e-12 {
		t.Fatalf("z = %v", z)
	}
	if BinomZ(0, 0, 0.25) != 0 {
		t.Fatal("z of nothing must be 0")
	}
}

func BenchmarkLog10BinomUpperTail(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Log10BinomUpperTail(130+i%20, 400, 0.25)
	}
}
