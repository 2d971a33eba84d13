package vllm

import "math"

// GumbelLog10P is the log10 p-value of a Gumbel score over n scored
// tokens, exactly as DetectGumbel computes it (the valid bound of
// gumbelLogTail), for callers that select the tokens themselves.
func GumbelLog10P(n int, score float64) float64 { return gumbelLogTail(n, score) / math.Ln10 }

// GumbelTerm is one scored token's term of the Gumbel score.
func GumbelTerm(u float32) float64 { return gumbelTerm(u) }
