package logscan

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"sync"
)

// The shipped prior: a baseline of simulated benign traffic (every benign
// kind of internal/traffic, including the legitimate pipelines), written
// by TestShippedPrior with -update. Without --baseline a scan's reference
// is its own accounts pooled with these: in a small log the prior gives
// the tails their resolution, in a large one the log's own accounts
// dominate, and in either a campaign of many alike accounts cannot make
// itself the norm. It is simulated traffic, not yours: calibrate on your
// own benign logs (scan-logs calibrate) and give --baseline.
//
//go:embed scanprior.json
var priorJSON []byte

var (
	priorOnce sync.Once
	prior     *Baseline
	priorErr  error
)

// ShippedPrior returns the shipped prior baseline.
func ShippedPrior() (*Baseline, error) {
	priorOnce.Do(func() {
		prior, priorErr = ReadBaseline(bytes.NewReader(priorJSON))
		if priorErr != nil {
			priorErr = fmt.Errorf("shipped scan prior: %w", priorErr)
		}
	})
	return prior, priorErr
}

// pool merges two distributions that each list every value they stand
// for (a log's, and a prior of at most maxBaselineValues accounts).
func pool(a, b dist) dist {
	if len(b.Sorted) == 0 {
		return a
	}
	if len(a.Sorted) == 0 {
		return b
	}
	out := make([]float64, 0, len(a.Sorted)+len(b.Sorted))
	out = append(append(out, a.Sorted...), b.Sorted...)
	sort.Float64s(out)
	// A thinned distribution stands for more accounts than it lists;
	// pooling keeps the sum of both (the scale is then approximate).
	return dist{Sorted: out, N: a.N + b.N}
}
