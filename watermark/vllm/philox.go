package vllm

import "forensics/watermark/philox"

// Domain separators of philox4x32-10-v1 ("WMCX" and "WMTK" in ASCII).
const (
	contextDomain = 0x574D4358
	tokenDomain   = 0x574D544B
)

// PhiloxPRF is vLLM's "philox4x32-10-v1" PRF under a 64-bit key.
type PhiloxPRF struct{ Key uint64 }

// Version is the PRF's name in vLLM's watermark config.
func (PhiloxPRF) Version() string { return "philox4x32-10-v1" }

// contextState absorbs a context (token ids, as uint32 words) four words a
// block: the state starts as (domain, length, 0, 0); each block of four
// (padded with 0xFFFFFFFF − index past the end) is xored into it and the
// result encrypted under (k0 ^ offset, k1).
func (p PhiloxPRF) contextState(context []uint32) [4]uint32 {
	k0, k1 := uint32(p.Key), uint32(p.Key>>32)
	state := [4]uint32{contextDomain, uint32(len(context)), 0, 0}
	for off := 0; off < len(context); off += 4 {
		var ctr [4]uint32
		for i := range 4 {
			w := ^uint32(0) - uint32(i)
			if off+i < len(context) {
				w = context[off+i]
			}
			ctr[i] = state[i] ^ w
		}
		state = philox.Block(ctr, [2]uint32{k0 ^ uint32(off), k1})
	}
	return state
}

// Uint32 is the PRF's raw word for a token after a context, on stream 0
// (the stream vLLM's uniform uses).
func (p PhiloxPRF) Uint32(context []uint32, token uint32) uint32 {
	return p.Uint32Stream(context, token, 0)
}

// Uint32Stream is the PRF's raw word for a token after a context on a
// stream.
func (p PhiloxPRF) Uint32Stream(context []uint32, token uint32, stream uint64) uint32 {
	k0, k1 := uint32(p.Key), uint32(p.Key>>32)
	s := p.contextState(context)
	s0, s1 := uint32(stream), uint32(stream>>32)
	out := philox.Block([4]uint32{token >> 2, s[0], s[1], s[2]}, [2]uint32{k0 ^ s[3] ^ s1, k1 ^ tokenDomain ^ s0})
	return out[token&3]
}

// Uniform is the PRF's uniform for a token after a context: the word's top
// 24 bits, (m + 1) / (2^24 + 1), in (0, 1), computed in float64 and
// rounded to float32 as vLLM does.
func (p PhiloxPRF) Uniform(context []uint32, token uint32) float32 {
	return ToUniform(p.Uint32(context, token))
}

// ToUniform is vLLM's uint32-to-uniform conversion (prfs/base.py).
func ToUniform(v uint32) float32 {
	return float32((float64(v>>8) + 1) / (1<<24 + 1))
}

// Uniforms returns the uniforms of tokens 0 … n−1 after a context, as
// UniformOf would one by one: the context is absorbed once and each
// Philox block gives four consecutive tokens (the CUDA kernel's layout).
func (p PhiloxPRF) Uniforms(context []int64, n int) []float32 {
	words := make([]uint32, len(context))
	for i, c := range context {
		words[i] = uint32(c)
	}
	k0, k1 := uint32(p.Key), uint32(p.Key>>32)
	s := p.contextState(words)
	key := [2]uint32{k0 ^ s[3], k1 ^ tokenDomain}
	out := make([]float32, n)
	for g := 0; 4*g < n; g++ {
		blk := philox.Block([4]uint32{uint32(g), s[0], s[1], s[2]}, key)
		for j := 0; j < 4 && 4*g+j < n; j++ {
			out[4*g+j] = ToUniform(blk[j])
		}
	}
	return out
}
