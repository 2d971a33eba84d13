package logscan

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"
)

// The shipped prior: a baseline of simulated benign traffic (every benign
// kind of internal/traffic, including the legitimate pipelines), written
// by TestShippedPrior with -update-prior. Without --baseline it is a
// scan's reference: benign traffic the client cannot write to, where the
// scanned log is not (a campaign of alike accounts, or a few decoys, would
// make itself the norm). It is simulated traffic, not yours: calibrate on
// your own benign logs (scan-logs calibrate) and give --baseline.
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
