package stats

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

func log10s(ps ...float64) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = math.Log10(p)
	}
	return out
}

func TestHolm(t *testing.T) {
	tests := []struct {
		name  string
		p     []float64
		alpha float64
		want  []bool
	}{
		// Sorted: 0.005 ≤ .05/4, 0.01 ≤ .05/3, 0.03 > .05/2: stop.
		{"textbook", []float64{0.01, 0.04, 0.03, 0.005}, 0.05, []bool{true, false, false, true}},
		{"all reject", []float64{0.001, 0.002, 0.003}, 0.05, []bool{true, true, true}},
		{"none", []float64{0.2, 0.5}, 0.05, []bool{false, false}},
		// Holm rejects the second where Bonferroni (0.05/2) would not.
		{"beats bonferroni", []float64{0.001, 0.04}, 0.05, []bool{true, true}},
		{"tiny", []float64{1e-400 * 0, 0.5}, 0.01, []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Holm(log10s(tt.p...), tt.alpha); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWeightedBonferroni(t *testing.T) {
	got, err := WeightedBonferroni(log10s(0.004, 0.004, 0.0001), []float64{0.5, 0.25, 0}, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	// 0.004 ≤ 0.005 yes; 0.004 ≤ 0.0025 no; weight 0 never rejects.
	if want := []bool{true, false, false}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if _, err := WeightedBonferroni(log10s(0.1), []float64{-1}, 0.01); err == nil {
		t.Fatal("negative weight accepted")
	}
	if _, err := WeightedBonferroni(log10s(0.1, 0.2), []float64{1}, 0.01); err == nil {
		t.Fatal("length mismatch accepted")
	}
	if _, err := WeightedBonferroni(log10s(0.1), []float64{1}, 1.5); err == nil {
		t.Fatal("alpha 1.5 accepted")
	}
	if _, err := WeightedBonferroni(log10s(0.1, 0.2), []float64{0.7, 0.6}, 0.01); err == nil {
		t.Fatal("weights summing above 1 accepted: that inflates alpha")
	}
}

func TestWeightedHolm(t *testing.T) {
	// Weights 0.5/0.3/0.2, alpha 0.01. Order by p/w: 0.002/0.5=0.004,
	// 0.0025/0.2=0.0125, 0.004/0.3=0.0133.
	// Step 1: 0.002 ≤ 0.5·0.01/1.0 = 0.005 → reject; remaining 0.5.
	// Step 2: 0.0025 ≤ 0.2·0.01/0.5 = 0.004 → reject; remaining 0.3.
	// Step 3: 0.004 ≤ 0.3·0.01/0.3 = 0.01 → reject.
	got, err := WeightedHolm(log10s(0.002, 0.004, 0.0025), []float64{0.5, 0.3, 0.2}, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, true, true}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// Weighted Bonferroni on the same input rejects only the first: Holm
	// must reject a superset.
	wb, _ := WeightedBonferroni(log10s(0.002, 0.004, 0.0025), []float64{0.5, 0.3, 0.2}, 0.01)
	for i := range wb {
		if wb[i] && !got[i] {
			t.Fatalf("weighted Holm is not a superset of weighted Bonferroni at %d", i)
		}
	}
}

func TestWeightedHolmExtremeWeights(t *testing.T) {
	// Weights 1e20 and 1: after rejecting the first, the remaining weight
	// is exactly 1, not rounding noise; a p-value of 0.5 must not reject.
	got, err := WeightedHolm(log10s(1e-30, 0.5), []float64{1e20, 1}, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if !got[0] || got[1] {
		t.Fatalf("got %v", got)
	}
}

func TestBonferroniLog10(t *testing.T) {
	if got := BonferroniLog10(-10, 100); math.Abs(got+8) > 1e-12 {
		t.Fatalf("got %v", got)
	}
	if got := BonferroniLog10(-1, 1000); got != 0 {
		t.Fatalf("adjusted p above 1: %v", got)
	}
}

func TestClopperPearson(t *testing.T) {
	// k = 0: the upper bound is 1-(α/2)^(1/n) in closed form.
	lo, hi, err := ClopperPearson(0, 1000, 0.99)
	if err != nil {
		t.Fatal(err)
	}
	if lo != 0 || math.Abs(hi-(1-math.Pow(0.005, 1.0/1000))) > 1e-9 {
		t.Fatalf("k=0: [%v, %v]", lo, hi)
	}
	// k = n: the lower bound is (α/2)^(1/n).
	lo, hi, _ = ClopperPearson(20, 20, 0.95)
	if hi != 1 || math.Abs(lo-math.Pow(0.025, 1.0/20)) > 1e-9 {
		t.Fatalf("k=n: [%v, %v]", lo, hi)
	}
	// The bounds are where the exact tails equal α/2.
	lo, hi, _ = ClopperPearson(7, 50, 0.95)
	if up := math.Exp(LogBinomUpperTail(7, 50, lo)); math.Abs(up-0.025) > 1e-7 {
		t.Fatalf("P(X≥7 | lo) = %v", up)
	}
	if low := 1 - math.Exp(LogBinomUpperTail(8, 50, hi)); math.Abs(low-0.025) > 1e-7 {
		t.Fatalf("P(X≤7 | hi) = %v", low)
	}
	if _, _, err := ClopperPearson(5, 3, 0.9); err == nil {
		t.Fatal("k > n accepted")
	}
}

func TestHolmAdjustedLog10(t *testing.T) {
	l2, l3 := math.Log10(2), math.Log10(3)
	tests := []struct {
		name string
		in   []float64 // log10 p
		want []float64 // log10 adjusted p
	}{
		{"one p-value is itself", []float64{-7.25}, []float64{-7.25}},
		{"one p-value far below 1e-308", []float64{-400}, []float64{-400}},
		// Sorted 0.005, 0.01, 0.03, 0.04 → 4·0.005, 3·0.01, 2·0.03, 1·0.04,
		// made monotone: 0.02, 0.03, 0.06, 0.06.
		{"textbook", log10s(0.01, 0.04, 0.03, 0.005), log10s(0.03, 0.06, 0.06, 0.02)},
		// 3·1e-400, 2·1e-399, 1·1e-300: no float64 p-value could hold these.
		{"around 1e-400", []float64{-300, -400, -399}, []float64{-300, -400 + l3, -399 + l2}},
		// Equal p-values get equal adjusted values whatever their order:
		// the second of the tie is max(3p, 2p) = 3p.
		{"equal p-values", []float64{-400, -400, -0.5}, []float64{-400 + l3, -400 + l3, -0.5}},
		{"all equal", []float64{-2, -2, -2, -2}, []float64{-2 + 2*l2, -2 + 2*l2, -2 + 2*l2, -2 + 2*l2}},
		// The step-down running maximum: the second smallest is lifted to
		// the first's adjusted value.
		{"monotone", []float64{-10, -10 + 1e-9}, []float64{-10 + l2, -10 + l2}},
		{"capped at 1", log10s(0.5, 0.6, 0.7), []float64{0, 0, 0}},
		{"p = 0", []float64{math.Inf(-1), -1}, []float64{math.Inf(-1), -1}},
		{"empty", nil, []float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := HolmAdjustedLog10(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] && math.Abs(got[i]-tt.want[i]) > 1e-12 {
					t.Fatalf("adjusted[%d] = %v, want %v (all: %v)", i, got[i], tt.want[i], got)
				}
			}
		})
	}
	for _, bad := range [][]float64{{-1, math.NaN()}, {0.1}} {
		if _, err := HolmAdjustedLog10(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestHolmAdjustedAgreesWithHolm: adjusted p ≤ α is exactly Holm's
// step-down decision, over random families with ties and tiny p-values.
func TestHolmAdjustedAgreesWithHolm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		m := 1 + rng.IntN(30)
		lp := make([]float64, m)
		for i := range lp {
			switch rng.IntN(4) {
			case 0:
				lp[i] = -rng.Float64() * 3 // ordinary
			case 1:
				lp[i] = -300 - rng.Float64()*200 // below float64's range as p
			case 2:
				if i > 0 {
					lp[i] = lp[rng.IntN(i)] // a tie
				}
			default:
				lp[i] = -rng.Float64() * 10
			}
		}
		alpha := []float64{0.05, 0.01, 1e-6}[trial%3]
		adj, err := HolmAdjustedLog10(lp)
		if err != nil {
			t.Fatal(err)
		}
		rej := Holm(lp, alpha)
		for i := range lp {
			if (adj[i] <= math.Log10(alpha)) != rej[i] {
				t.Fatalf("trial %d, α %g: adjusted %v vs Holm %v for %v", trial, alpha, adj, rej, lp)
			}
			if adj[i] < lp[i] || adj[i] > 0 {
				t.Fatalf("adjusted %v outside [p, 1] for %v", adj[i], lp[i])
			}
		}
	}
}
