package stats

import (
	"context"
	"fmt"
	"math/rand/v2"
)

// checkEvery is how many rounds a randomization or permutation test draws
// between looks at its context. A look is a non-blocking receive (a few
// nanoseconds), so the loops stay as fast as without one, and a cancelled
// test stops within checkEvery rounds: milliseconds even when a round
// re-assigns a hundred thousand values.
const checkEvery = 64

// stopped reports whether done is closed (a nil done never is).
func stopped(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// errStopped is the error of a test cancelled after r of rounds.
func errStopped(ctx context.Context, test string, r, rounds int) error {
	return fmt.Errorf("stats: %s test stopped after %d of %d rounds: %w", test, r, rounds, ctx.Err())
}

// RandomizationTest is the Monte Carlo form of any randomization test: draw
// returns the statistic under one random re-assignment allowed by the null
// (a sign flip per pair, a shuffle within a block, ...), and the p-value is
// (1 + #{draw ≥ observed}) / (1 + rounds), exactly valid for a finite
// number of draws (Phipson & Smyth 2010). The stream is PCG seeded with
// seed, so a result is reproducible bit for bit.
//
// The test stops early, with an error wrapping ctx.Err(), when
// ctx is done; it looks every checkEvery rounds. Its time is rounds times
// draw's, so a caller taking rounds from outside input bounds it first.
func RandomizationTest(ctx context.Context, observed float64, rounds int, seed uint64, draw func(rng *rand.Rand) float64) (PermutationResult, error) {
	if rounds < 1 {
		return PermutationResult{}, fmt.Errorf("stats: randomization test needs at least one round, got %d", rounds)
	}
	done := ctx.Done()
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	count := 0
	for r := range rounds {
		if r%checkEvery == 0 && stopped(done) {
			return PermutationResult{}, errStopped(ctx, "randomization", r, rounds)
		}
		if draw(rng) >= observed {
			count++
		}
	}
	return PermutationResult{Observed: observed, P: float64(1+count) / float64(1+rounds), Rounds: rounds, AsLarge: count}, nil
}

// SignFlipTest tests whether paired differences x have a positive centre:
// under the null each difference is symmetric about 0, so flipping its sign
// (swapping the pair's labels) leaves the distribution unchanged. The
// statistic is the sum of x. It stops early when ctx is done, as
// RandomizationTest does.
func SignFlipTest(ctx context.Context, x []float64, rounds int, seed uint64) (PermutationResult, error) {
	if len(x) == 0 {
		return PermutationResult{}, fmt.Errorf("stats: sign-flip test on no pairs")
	}
	obs := 0.0
	for _, v := range x {
		obs += v
	}
	return RandomizationTest(ctx, obs, rounds, seed, func(rng *rand.Rand) float64 {
		s := 0.0
		var bits uint64
		for i, v := range x {
			if i%64 == 0 {
				bits = rng.Uint64()
			}
			if bits&1 == 1 {
				s += v
			} else {
				s -= v
			}
			bits >>= 1
		}
		return s
	})
}
