package stats

import (
	"math"
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
