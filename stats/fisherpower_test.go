package stats

import (
	"math"
	"testing"
)

// TestFisherCritical: the binary search gives what scanning every count
// from 0 gives. The scan's p-values are computed once per table and shared
// by the three levels.
func TestFisherCritical(t *testing.T) {
	alphas := []float64{0.05, 0.002, 1e-6}
	for n1 := 1; n1 <= 40; n1++ {
		for n0 := 1; n0 <= 40; n0 += 3 {
			for k0 := 0; k0 <= n0; k0++ {
				var lp []float64 // log10 p at k = 0, 1, …, as far as the scans go
				scan := func(la float64) int {
					for k := 0; k <= n1; k++ {
						if k == len(lp) {
							f, _ := FisherGreater(k, n1, k0, n0)
							lp = append(lp, f.Log10P)
						}
						if lp[k] <= la {
							return k
						}
					}
					return n1 + 1
				}
				for _, alpha := range alphas {
					la := math.Log10(alpha)
					if got, want := FisherCritical(n1, k0, n0, la), scan(la); got != want {
						t.Fatalf("n1 %d, k0 %d of n0 %d, alpha %g: %d, scanning gives %d", n1, k0, n0, alpha, got, want)
					}
				}
			}
		}
	}
}

func TestBinomMinRate(t *testing.T) {
	for _, c := range []struct {
		s, n  int
		power float64
	}{{1, 1, 0.8}, {5, 20, 0.8}, {17, 40, 0.9}, {40, 40, 0.5}, {3, 500, 0.99}} {
		r := BinomMinRate(c.s, c.n, c.power)
		if BinomPower(c.s, c.n, r) < c.power || BinomPower(c.s, c.n, r-1e-9) >= c.power {
			t.Errorf("%+v: rate %v is not the smallest with that power (%v at it, %v just below)", c, r, BinomPower(c.s, c.n, r), BinomPower(c.s, c.n, r-1e-9))
		}
	}
	if r := BinomMinRate(21, 20, 0.8); r != 1 {
		t.Errorf("a count above n: rate %v, want 1", r)
	}
}
