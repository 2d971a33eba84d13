package vllm

import (
	"math"
	"testing"

	"forensics/internal/measure"
	"forensics/stats"
)

const gridSize = 1 << 24

// gridTerm is the Gumbel term at grid point m, as the detectors compute it.
func gridTerm(m int) float64 { return gumbelTerm(ToUniform(uint32(m) << 8)) }

// TestGumbelShiftOverGrid recomputes GumbelShift's defining maximum over
// the whole 2^24-point grid: T_m + log P(T ≥ T_m), where P(T ≥ T_m) is the
// share of grid points from the first one with T's value T_m on (T is
// non-decreasing in m). It must not exceed GumbelShift, and GumbelShift
// must not be loose by more than a factor 2. The same pass checks that
// the grid is the one vLLM's CUDA kernel uses: the float32 just below
// (m + 1)·2^−24 (_uint32_to_uniform in worker/gpu/sample/watermark.py).
func TestGumbelShiftOverGrid(t *testing.T) {
	worst, at := math.Inf(-1), -1
	first, prev := 0, math.NaN()
	for m := range gridSize {
		u := ToUniform(uint32(m) << 8)
		if gpu := math.Float32frombits(math.Float32bits(float32(m+1)*0x1p-24) - 1); gpu != u {
			t.Fatalf("grid point %d: CUDA uniform %v, CPU %v", m, gpu, u)
		}
		tm := gumbelTerm(u)
		if tm < prev {
			t.Fatalf("term decreases at %d", m)
		}
		if tm != prev {
			first, prev = m, tm
		}
		if v := tm + math.Log(float64(gridSize-first)/gridSize); v > worst {
			worst, at = v, m
		}
	}
	t.Logf("max_m T_m + log P(T ≥ T_m) = %.17g at m = %d; GumbelShift = %.17g", worst, at, GumbelShift)
	if worst > GumbelShift || worst < GumbelShift/2 {
		t.Errorf("the grid's shift is %.17g, GumbelShift %.17g", worst, GumbelShift)
	}
}

// TestGumbelPValueCoversOneTerm: for one scored token the exact null tail
// P(T ≥ T_m) on the grid is at most the p-value DetectGumbel gives, at
// every 4,099th grid point and the last ones.
func TestGumbelPValueCoversOneTerm(t *testing.T) {
	check := func(m int) {
		tm := gridTerm(m)
		lo := m // the first grid point with this value
		for lo > 0 && gridTerm(lo-1) == tm {
			lo--
		}
		exact := math.Log(float64(gridSize-lo) / gridSize)
		if p := gumbelLogTail(1, tm); p < exact {
			t.Errorf("m = %d: p-value e^%v below the exact tail e^%v", m, p, exact)
		}
	}
	for m := 0; m < gridSize; m += 4099 {
		check(m)
	}
	for m := gridSize - 50; m < gridSize; m++ {
		check(m)
	}
}

// TestGreenProbabilityOverGrid counts the green grid points one by one
// for several gammas and compares with GreenProbability's binary search;
// the red-green null (Binomial(n, GreenProbability)) is then exact.
func TestGreenProbabilityOverGrid(t *testing.T) {
	gammas := []float64{0.25, 0.5, 0.7, 0.1, 1.0 / 3}
	counts := make([]int, len(gammas))
	for m := range gridSize {
		u := ToUniform(uint32(m) << 8)
		for i, g := range gammas {
			if Green(u, g) {
				counts[i]++
			}
		}
	}
	for i, g := range gammas {
		if p := GreenProbability(g); p != float64(counts[i])/gridSize {
			t.Errorf("gamma %v: GreenProbability %v, grid count %d/2^24", g, p, counts[i])
		}
	}
}

// TestWeightedGammaLogTail: the dual-key bound is at least the exact tail
// and within a factor e^0.1 of it (e^0.5 where maxBins caps the bins),
// where the exact tail is known: a = b
// (aX + bY = Gamma(2n, 1)/2) and n = 1 (P(aX + bY ≥ w) =
// (a·e^{−w/a} − b·e^{−w/b})/(a − b)).
func TestWeightedGammaLogTail(t *testing.T) {
	type tc struct {
		n       int
		a, w    float64
		logWant float64
	}
	var cases []tc
	for _, n := range []int{1, 5, 50, 200} {
		for _, w := range []float64{0.5 * float64(n), float64(n), 1.5*float64(n) + 3, 3*float64(n) + 10} {
			cases = append(cases, tc{n, 0.5, w, logGammaTail(2*n, 2*w)})
		}
	}
	for _, a := range []float64{0.9, 0.7, 0.99} {
		b := 1 - a
		for _, w := range []float64{0.3, 1, 4, 20} {
			exact := (a*math.Exp(-w/a) - b*math.Exp(-w/b)) / (a - b)
			cases = append(cases, tc{1, a, w, math.Log(exact)})
		}
	}
	for _, c := range cases {
		got := weightedGammaLogTail(c.n, c.a, 1-c.a, c.w)
		slack := 0.1
		if c.w/(max(c.a, 1-c.a)*0.05) > maxBins {
			slack = 0.5
		}
		if got < c.logWant-1e-9 || got > c.logWant+slack {
			t.Errorf("n %d a %v w %v: bound %v, exact %v", c.n, c.a, c.w, got, c.logWant)
		}
	}
}

func logGammaTail(n int, x float64) float64 { return stats.LogGammaUpperTail(n, x) }

// TestGumbelTermAgainstExp measures how far one Gumbel score term
// −log(1 − u), u = ToUniform of a uniform 32-bit word, is from Exp(1),
// whose n-fold sum Gamma(n, 1) DetectGumbel's p-value assumes: the term
// takes 2^24 values (at most about 16.6), so its upper tail is cut. It
// checks, over the whole grid, that the term's moment generating function
// lies below Exp(1)'s at every θ tried (so a Chernoff bound of the sum is
// at most the Gamma's), and logs the mean and variance. The p-value's
// validity rests on GumbelShift instead (TestGumbelShiftOverGrid).
func TestGumbelTermAgainstExp(t *testing.T) {
	measure.Require(t, "a pass over the 2^24 values of the uniform grid")
	const n = 1 << 24
	thetas := []float64{0.1, 0.3, 0.5, 0.7, 0.9, 0.99}
	mgf := make([]float64, len(thetas))
	var sum, sum2 float64
	for m := range n {
		s := -math.Log1p(-float64(ToUniform(uint32(m) << 8)))
		sum += s
		sum2 += s * s
		for i, th := range thetas {
			mgf[i] += math.Exp(th * s)
		}
	}
	mean := sum / n
	t.Logf("term: mean %.9f, variance %.9f (Exp(1): 1, 1)", mean, sum2/n-mean*mean)
	for i, th := range thetas {
		d := math.Log(mgf[i]/n) + math.Log1p(-th)
		t.Logf("θ %.2f: log MGF − log MGF of Exp(1) = %.3e", th, d)
		if d > 0 {
			t.Errorf("θ %.2f: the term's MGF exceeds Exp(1)'s by %.3e (log)", th, d)
		}
	}
}
