package stats

import (
	"context"
	"math/rand/v2"
	"testing"
)

func meanDiff(a, b []float64) float64 {
	return mean(a) - mean(b)
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func TestPermutationTestSeparated(t *testing.T) {
	// Complete separation of 5 vs 5: only 1 of C(10,5)=252 labellings is as
	// extreme, so p ≈ 1/252 plus the +1 correction.
	a := []float64{10, 11, 12, 13, 14}
	b := []float64{1, 2, 3, 4, 5}
	res, err := PermutationTest(context.Background(), a, b, meanDiff, 20000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.P < 1.0/20001 || res.P > 0.008 {
		t.Fatalf("p = %v, want ≈ 1/252", res.P)
	}
	again, _ := PermutationTest(context.Background(), a, b, meanDiff, 20000, 1)
	if again != res {
		t.Fatal("same seed gave a different result")
	}
}

func TestPermutationTestCalibrated(t *testing.T) {
	// Under the null (both samples from one distribution) the share of
	// p ≤ 0.05 must be near 0.05: over 400 experiments, a binomial 99.9%
	// range for a true rate 0.05 is about [8, 35].
	rng := rand.New(rand.NewPCG(7, 7))
	rejections := 0
	const experiments = 400
	for e := 0; e < experiments; e++ {
		a := make([]float64, 12)
		b := make([]float64, 15)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		res, err := PermutationTest(context.Background(), a, b, meanDiff, 199, uint64(e))
		if err != nil {
			t.Fatal(err)
		}
		if res.P <= 0.05 {
			rejections++
		}
	}
	if rejections < 8 || rejections > 35 {
		t.Fatalf("%d of %d null experiments rejected at 0.05", rejections, experiments)
	}
	t.Logf("empirical rate at nominal 0.05: %d/%d = %.3f", rejections, experiments, float64(rejections)/experiments)
}

func TestPermutationTestErrors(t *testing.T) {
	if _, err := PermutationTest(context.Background(), nil, []float64{1}, meanDiff, 10, 1); err == nil {
		t.Fatal("empty sample accepted")
	}
	if _, err := PermutationTest(context.Background(), []float64{1}, []float64{1}, meanDiff, 0, 1); err == nil {
		t.Fatal("zero rounds accepted")
	}
}
