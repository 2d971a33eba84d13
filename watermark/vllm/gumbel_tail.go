package vllm

import (
	"math"

	"forensics/stats"
)

// GumbelLog10P is the log10 p-value of a Gumbel score over n scored
// tokens, as DetectGumbel computes it.
func GumbelLog10P(n int, score float64) float64 {
	if n == 0 {
		return 0
	}
	return stats.LogGammaUpperTail(n, score) / math.Ln10
}
