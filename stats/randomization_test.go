package stats

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// TestRandomizationTestsStopOnCancel: with rounds that would never end,
// each test stops within checkEvery rounds of its context being cancelled
// and returns an error wrapping context.Canceled. Cancellation happens
// from inside the statistic after a fixed number of calls, so the test
// counts rounds rather than timing them.
func TestRandomizationTestsStopOnCancel(t *testing.T) {
	const cancelAt = 1000
	tests := []struct {
		name string
		run  func(ctx context.Context, tick func()) error
	}{
		{"randomization", func(ctx context.Context, tick func()) error {
			_, err := RandomizationTest(ctx, 0, math.MaxInt, 1, func(rng *rand.Rand) float64 {
				tick()
				return rng.Float64()
			})
			return err
		}},
		{"permutation", func(ctx context.Context, tick func()) error {
			_, err := PermutationTest(ctx, []float64{1, 2}, []float64{3, 4}, func(a, b []float64) float64 {
				tick()
				return meanDiff(a, b)
			}, math.MaxInt, 1)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			calls := 0
			err := tc.run(ctx, func() {
				calls++
				if calls == cancelAt {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want one wrapping context.Canceled", err)
			}
			if calls > cancelAt+checkEvery+1 {
				t.Errorf("%d calls of the statistic after cancelling at %d (want at most %d more)", calls, cancelAt, checkEvery+1)
			}
			t.Logf("%v (%d calls)", err, calls)
		})
	}
}

// TestSignFlipTestCancelled: an already cancelled context stops the test
// before its first round, however many rounds were asked for.
func TestSignFlipTestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := SignFlipTest(ctx, []float64{1, -2, 3}, math.MaxInt, 1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want one wrapping context.Canceled", err)
	}
}
