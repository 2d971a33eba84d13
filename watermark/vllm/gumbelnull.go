package vllm

import (
	"math"

	"forensics/stats"
)

// GumbelShift is s in the bound that makes the Gumbel p-values valid: one
// score term T = −log1p(−u), u = ToUniform of a uniform 32-bit word, is
// stochastically at most Exp(1) + s, that is P(T > t) ≤ e^{−(t−s)} for
// every t. T takes one value per point m of the 2^24-point grid and is
// non-decreasing in m, so the tightest such s is
// max_m [T_m + log P(T ≥ T_m)], attained at m = 0, where T_0 ≈ 2^−24 and
// P(T ≥ T_0) = 1. TestGumbelShiftOverGrid recomputes it over the whole
// grid, with T computed as the detectors compute it.
const GumbelShift = 0x1p-24

// gumbelLogTail is a valid natural-log p-value for a Gumbel score: the sum
// of n terms, each at most Exp(1) + GumbelShift, is at most
// Gamma(n, 1) + n·GumbelShift, so P(score ≥ x) ≤ P(Gamma(n, 1) ≥ x − n·s).
// The score is a float64 sum of n positive terms, off by at most
// n·2^−53 of itself; that is taken off too.
func gumbelLogTail(n int, score float64) float64 {
	if n == 0 {
		return 0
	}
	x := score - float64(n)*GumbelShift - float64(n)*0x1p-52*score
	return stats.LogGammaUpperTail(n, x)
}

// gumbelTerm is one token's Gumbel score, as vLLM's detector computes it
// (in float64 from the float32 uniform).
func gumbelTerm(u float32) float64 { return -math.Log1p(-float64(u)) }
