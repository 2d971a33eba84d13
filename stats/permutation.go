package stats

import (
	"context"
	"fmt"
	"math/rand/v2"
)

// PermutationResult is the outcome of a permutation test.
type PermutationResult struct {
	Observed float64 // the statistic on the real labelling
	P        float64 // (1 + #{permuted ≥ observed}) / (1 + rounds)
	Rounds   int     // number of random relabellings drawn
	AsLarge  int     // how many of them reached the observed statistic
}

// PermutationTest runs a two-sample permutation test: it pools a and b,
// draws rounds random relabellings into groups of the original sizes, and
// counts how often stat(a', b') ≥ stat(a, b). Larger statistics must mean
// more evidence against the null of exchangeability.
//
// The p-value is (1+AsLarge)/(1+rounds), which is exactly valid for a finite
// number of random permutations (Phipson & Smyth 2010); it is never 0, so a
// test with R rounds cannot claim p < 1/(R+1). The random stream is PCG seeded
// with seed, so a run is reproducible bit for bit.
//
// The test stops early, with an error wrapping ctx.Err(), when
// ctx is done, as RandomizationTest does.
func PermutationTest(ctx context.Context, a, b []float64, stat func(a, b []float64) float64, rounds int, seed uint64) (PermutationResult, error) {
	if len(a) == 0 || len(b) == 0 {
		return PermutationResult{}, fmt.Errorf("stats: permutation test needs two non-empty samples (got %d and %d)", len(a), len(b))
	}
	if rounds < 1 {
		return PermutationResult{}, fmt.Errorf("stats: permutation test needs at least one round, got %d", rounds)
	}
	obs := stat(a, b)
	pool := make([]float64, 0, len(a)+len(b))
	pool = append(append(pool, a...), b...)
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	n := len(a)
	count := 0
	done := ctx.Done()
	for r := 0; r < rounds; r++ {
		if r%checkEvery == 0 && stopped(done) {
			return PermutationResult{}, errStopped(ctx, "permutation", r, rounds)
		}
		rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		if stat(pool[:n], pool[n:]) >= obs {
			count++
		}
	}
	return PermutationResult{
		Observed: obs,
		P:        float64(1+count) / float64(1+rounds),
		Rounds:   rounds,
		AsLarge:  count,
	}, nil
}
