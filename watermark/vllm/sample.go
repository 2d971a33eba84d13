package vllm

import (
	"math"
	"math/rand/v2"
)

// Ordinary draws a token from logits without a watermark: vLLM's random
// sampler, which every scheme falls back on for a skipped position and
// red-green draws from after the bias. Its randomness is vLLM's seeded
// per-request noise, not keyed, so any exact sampler of softmax(logits)
// reproduces it in distribution.
type Ordinary func(logits []float32) int

// SoftmaxSampler is an Ordinary sampler of softmax(logits), drawing from
// rng; −Inf logits are never drawn.
func SoftmaxSampler(rng *rand.Rand) Ordinary {
	return func(logits []float32) int {
		m := float32(math.Inf(-1))
		for _, l := range logits {
			m = max(m, l)
		}
		total := 0.0
		w := make([]float64, len(logits))
		for i, l := range logits {
			w[i] = math.Exp(float64(l - m))
			total += w[i]
		}
		r := rng.Float64() * total
		last := 0
		for i, x := range w {
			if x == 0 {
				continue
			}
			if r < x {
				return i
			}
			r -= x
			last = i
		}
		return last
	}
}

// Watermarker picks a token the way one of vLLM's watermarkers does
// (vllm/v1/watermarking), from the processed logits (float32, after
// temperature and top-k/top-p, as vLLM's sampler passes them) and the
// context: the ContextWidth generated tokens before it, −1 where the
// generation has not reached back that far.
type Watermarker interface {
	ContextWidth() int
	Sample(logits []float32, context []int64, ordinary Ordinary) int
}

// RedGreen is vLLM's red-green watermarker (red_green.py, commit
// 381f94544575cafec2cd808be7d4948a632374e0): delta is added to the
// logits of the green tokens (uniform below gamma, Green), in float32
// (`logits.float() + self.delta * green`: a float32 tensor times a Python
// float), and the ordinary sampler draws from the result. vLLM's defaults:
// width 4, gamma 0.25, delta 2.
type RedGreen struct {
	PRF          PRF
	Width        int
	Gamma, Delta float64
}

// ContextWidth implements Watermarker.
func (r RedGreen) ContextWidth() int { return r.Width }

// Sample implements Watermarker.
func (r RedGreen) Sample(logits []float32, context []int64, ordinary Ordinary) int {
	return ordinary(r.Bias(logits, context))
}

// Bias returns the logits with delta added to the green tokens' (a new
// slice).
func (r RedGreen) Bias(logits []float32, context []int64) []float32 {
	out := make([]float32, len(logits))
	d := float32(r.Delta)
	us := vocabUniforms(r.PRF, context, len(logits))
	for i, l := range logits {
		out[i] = l
		if Green(us[i], r.Gamma) {
			out[i] = l + d
		}
	}
	return out
}

// Gumbel is vLLM's Gumbel-max watermarker (gumbel.py, commit
// 01c268bcd2def3eec9548e33c94184eb6b905867, and the CUDA kernel in
// vllm/v1/worker/gpu/sample/watermark.py, commit
// 01b21056d9ef95ac8c60654181bd868446ffbace): the token is the argmax of
// logit − log(−log u) in float32, the first on ties, NaN logits treated
// as −Inf. Given the context it is deterministic: a repeated context
// repeats the token (which is why vLLM's sampler skips repeated contexts).
type Gumbel struct {
	PRF   PRF
	Width int
}

// ContextWidth implements Watermarker.
func (g Gumbel) ContextWidth() int { return g.Width }

// Sample implements Watermarker; the ordinary sampler is not used.
func (g Gumbel) Sample(logits []float32, context []int64, _ Ordinary) int {
	best, arg := float32(math.Inf(-1)), -1
	us := vocabUniforms(g.PRF, context, len(logits))
	for i, l := range logits {
		if l != l {
			l = float32(math.Inf(-1))
		}
		v := l - GumbelNoise(us[i])
		if arg < 0 || v > best {
			best, arg = v, i
		}
	}
	return arg
}

// GumbelNoise is log(−log u) in float32, each operation rounded to
// float32 as torch and Triton compute it on float32 tensors. Go has no
// float32 logarithm; the float64 one rounded is the correctly rounded
// float32 value except in rare near-ties, where torch's or CUDA's float32
// log (not correctly rounded: within an ulp or two) can differ by an ulp.
// That can change an argmax only between two candidates whose values
// agree to about 1e-7 relative.
func GumbelNoise(u float32) float32 {
	l := float32(math.Log(float64(u)))
	return float32(math.Log(float64(-l)))
}

// DualKeyGumbel is vLLM's dual-key Gumbel watermarker (gumbel.py,
// DualKeyGumbelWatermarker, commit 01c268bc): for each token the ordinary
// sampler chooses key B with probability alpha (routing logits
// log(1 − alpha), log(alpha) in float32) and key A otherwise, and the
// token is that key's Gumbel-max choice. vLLM's default alpha is 0.1.
type DualKeyGumbel struct {
	A, B  PRF
	Width int
	Alpha float64
}

// ContextWidth implements Watermarker.
func (d DualKeyGumbel) ContextWidth() int { return d.Width }

// Sample implements Watermarker.
func (d DualKeyGumbel) Sample(logits []float32, context []int64, ordinary Ordinary) int {
	switch d.Alpha {
	case 0:
		return Gumbel{PRF: d.A, Width: d.Width}.Sample(logits, context, ordinary)
	case 1:
		return Gumbel{PRF: d.B, Width: d.Width}.Sample(logits, context, ordinary)
	}
	route := []float32{float32(math.Log(float64(float32(1 - d.Alpha)))), float32(math.Log(float64(float32(d.Alpha))))}
	if ordinary(route) == 0 {
		return Gumbel{PRF: d.A, Width: d.Width}.Sample(logits, context, ordinary)
	}
	return Gumbel{PRF: d.B, Width: d.Width}.Sample(logits, context, ordinary)
}

// vocabUniforms are the uniforms of tokens 0 … n−1 after a context, from
// the PRF's batch method when it has one.
func vocabUniforms(prf PRF, context []int64, n int) []float32 {
	if b, ok := prf.(interface {
		Uniforms(context []int64, n int) []float32
	}); ok {
		return b.Uniforms(context, n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = prf.UniformOf(context, int64(i))
	}
	return out
}
