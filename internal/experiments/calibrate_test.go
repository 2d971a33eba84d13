package experiments

import (
	"context"
	"errors"
	"testing"

	"forensics/watermark"
)

// TestNullScoresSurfaceErrors: a document that could not be scored (an
// injected key error, or a cancelled run) must fail the calibration rather
// than leave log10 p = 0 in its place, which would count as a trial
// without a false positive and pull the reported rate down.
func TestNullScoresSurfaceErrors(t *testing.T) {
	docs := [][]string{{"It", " was", " in", " July"}, {",", " 1805"}, {" and", " the"}}
	c := &calibrator{o: CalibrateOptions{Keys: 2, Seed: 1}}
	scheme := func(d, j int) (*watermark.Scheme, error) { return c.schemeFor(1, d, j) }
	lp, err := nullScores(context.Background(), docs, 2, scheme)
	if err != nil || len(lp) != 6 {
		t.Fatalf("%d scores, %v", len(lp), err)
	}

	injected := errors.New("injected key failure")
	failing := func(d, j int) (*watermark.Scheme, error) {
		if d == 1 && j == 1 {
			return nil, injected
		}
		return scheme(d, j)
	}
	if lp, err := nullScores(context.Background(), docs, 2, failing); !errors.Is(err, injected) {
		t.Errorf("injected error: got scores %v, error %v", lp, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if lp, err := nullScores(ctx, docs, 2, scheme); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got scores %v, error %v", lp, err)
	}
}
