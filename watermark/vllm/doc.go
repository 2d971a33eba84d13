// Package vllm reads the watermarks vLLM's engine embeds
// (vllm/v1/watermarking), from the published definitions: their PRFs,
// schemes, samplers and detection, so that this project's detection,
// probes and evidence apply to text such an engine watermarked (issue 18).
//
// The definitions follow vLLM's source at the commits each declaration
// names (prfs/philox.py 373305d6, prfs/base.py 773dc86d, red_green.py
// 381f9454, gumbel.py and config/watermarking.py 01c268bc, gpu_sampler.py
// and worker/gpu/sample/watermark.py 01b21056); vLLM calls the PRF's
// mapping and its uint32-to-float conversion part of the compatibility
// contract.
//
// # Valid p-values
//
// Every p-value here bounds the null tail from above; none is an
// approximation. The null is that the text's tokens do not depend on the
// key, so the PRF's 32-bit words of the scored (context, token) pairs,
// distinct after dedup, are independent and uniform.
//
// Red-green: a token is green when its uniform, a float32 on the grid
// ((m + 1)/(2^24 + 1), m < 2^24, rounded), is below float32(gamma). The
// null probability of green is the share of grid points below it
// (GreenProbability, counted point by point in a test), not gamma, and
// the green count's tail is the exact binomial's, in log space.
//
// Gumbel: the score is the sum of T = −log1p(−u) over the scored tokens.
// T takes one value per grid point, non-decreasing in m, so it is not
// Exp(1) and the sum is not Gamma(n, 1). For s ≥ max_m [T_m +
// log P(T ≥ T_m)], P(T > t) ≤ e^{−(t−s)} for every t (between grid values
// the left side is constant and the right grows), that is T is
// stochastically at most Exp(1) + s. Summing n independent terms, the
// score is stochastically at most Gamma(n, 1) + n·s, so
// P(score ≥ x) ≤ P(Gamma(n, 1) ≥ x − n·s). GumbelShift = 2^−24 is such an
// s: a test recomputes the maximum over all 2^24 grid points (it is
// 5.96046430e−8, at m = 0). The float64 sum of n positive terms is off by
// at most n·2^−53 of itself, which is taken off the score too. The shift
// changes log10 p by about n·2.6e−8: nothing in practice, but the claim is
// now a bound, not an approximation.
//
// Dual-key Gumbel: the score is Σ (1 − alpha)·T_A + alpha·T_B. vLLM's
// detector matches the sum's mean and variance with a Gamma, exact only
// for alpha in {0, 1/2, 1}. Here each term is again at most
// Exp(1) + GumbelShift under either key, so the score is at most
// (1 − alpha)·X + alpha·Y + n·GumbelShift with X, Y independent
// Gamma(n, 1); the tail of the weighted sum is bounded by conditioning on
// the variable of smaller weight over a grid of bins and taking, on each
// bin, the other's tail at the bin's worst end.
//
// # Samplers
//
// RedGreen, Gumbel and DualKeyGumbel choose tokens as vLLM's
// watermarkers do from float32 processed logits, and Engine runs them the
// way vLLM's GPU sampler does, with its single_turn context dedup: a
// position whose context was already used in this generation is sampled
// without the watermark, exactly the positions the detector skips.
// Gumbel-max is deterministic given the context; without dedup a repeated
// context repeats the token. The ordinary (unwatermarked) sampler is
// vLLM's seeded, unkeyed noise, reproduced here in distribution only.
package vllm
