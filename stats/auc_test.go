package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// aucBrute is the definition: the share of (positive, negative) pairs in
// the right order, ties counting half, and DeLong's variance from the
// pairwise kernel.
func aucBrute(pos, neg []float64) (float64, float64) {
	psi := func(x, y float64) float64 {
		switch {
		case x > y:
			return 1
		case x == y:
			return 0.5
		}
		return 0
	}
	n, m := len(pos), len(neg)
	v10, v01 := make([]float64, n), make([]float64, m)
	total := 0.0
	for i, x := range pos {
		for j, y := range neg {
			s := psi(x, y)
			v10[i] += s / float64(m)
			v01[j] += s / float64(n)
			total += s
		}
	}
	return total / float64(n*m), math.Sqrt(variance(v10)/float64(n) + variance(v01)/float64(m))
}

func TestAUCMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := 0; trial < 50; trial++ {
		n, m := 2+rng.IntN(60), 2+rng.IntN(60)
		pos, neg := make([]float64, n), make([]float64, m)
		for i := range pos {
			pos[i] = float64(rng.IntN(8)) + 0.5 // ties on purpose
		}
		for j := range neg {
			neg[j] = float64(rng.IntN(7))
		}
		r, err := AUC(pos, neg, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		want, se := aucBrute(pos, neg)
		if math.Abs(r.AUC-want) > 1e-12 || math.Abs(r.SE-se) > 1e-12 {
			t.Fatalf("n=%d m=%d: AUC %v SE %v, want %v %v", n, m, r.AUC, r.SE, want, se)
		}
	}
	// Hanley & McNeil's (1982) radiologist data: 58 normal and 51
	// abnormal cases rated 1–5; the published area is 0.893.
	normal := []int{33, 6, 6, 11, 2}
	abnormal := []int{3, 2, 2, 11, 33}
	var pos, neg []float64
	for k := range 5 {
		for range normal[k] {
			neg = append(neg, float64(k+1))
		}
		for range abnormal[k] {
			pos = append(pos, float64(k+1))
		}
	}
	r, _ := AUC(pos, neg, 0.95)
	if math.Abs(r.AUC-0.893) > 0.0005 {
		t.Fatalf("Hanley-McNeil data: AUC %.4f, published 0.893", r.AUC)
	}
}

// TestAUCCoverage: on scores with no information, the 95% interval holds
// 0.5 in about 95% of trials.
func TestAUCCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	covered := 0
	const trials = 1000
	for trial := 0; trial < trials; trial++ {
		pos, neg := make([]float64, 80), make([]float64, 120)
		for i := range pos {
			pos[i] = rng.NormFloat64()
		}
		for j := range neg {
			neg[j] = rng.NormFloat64()
		}
		r, _ := AUC(pos, neg, 0.95)
		if r.Lo <= 0.5 && 0.5 <= r.Hi {
			covered++
		}
	}
	lo, hi, _ := ClopperPearson(covered, trials, 0.99)
	t.Logf("coverage of 0.5: %d/%d (99%% CI %.3f–%.3f)", covered, trials, lo, hi)
	if lo > 0.95 || hi < 0.95 {
		t.Errorf("coverage %d/%d is not 95%%", covered, trials)
	}
}

func TestNewcombeDiff(t *testing.T) {
	// Newcombe (1998), Table II, example (a): 56/70 − 48/80, method 10:
	// 0.0524 to 0.3339.
	d, lo, hi, err := NewcombeDiff(56, 70, 48, 80, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(d-0.2) > 1e-12 || math.Abs(lo-0.0524) > 0.0001 || math.Abs(hi-0.3339) > 0.0001 {
		t.Fatalf("d %.4f CI %.4f–%.4f, published 0.2000 (0.0524, 0.3339)", d, lo, hi)
	}
}
