package vllm

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// hmacDomain starts every message of hmac-sha256-v1 (with its NUL).
const hmacDomain = "vllm-watermark-hmac-sha256-v1\x00"

// HMACPRF is vLLM's "hmac-sha256-v1" PRF (prfs/hmac_sha256.py, commit
// 3da8712b5fbb61c79f4cf97345120f96a6cd955e): HMAC-SHA-256 under a 256-bit
// key, given as the key integer's 32 little-endian bytes, of the domain,
// the context's length (uint32), each context token and the candidate
// (int64), all little-endian; the word is the digest's first four bytes,
// little-endian.
type HMACPRF struct{ Key [32]byte }

// Version is the PRF's name in vLLM's watermark config.
func (HMACPRF) Version() string { return "hmac-sha256-v1" }

// MaxContextWidth is the widest context vLLM allows this PRF.
const MaxContextWidth = 16

// Uint32 is the PRF's word for a token after a context.
func (p HMACPRF) Uint32(context []int64, token int64) uint32 {
	msg := make([]byte, 0, len(hmacDomain)+4+8*(len(context)+1))
	msg = append(msg, hmacDomain...)
	msg = binary.LittleEndian.AppendUint32(msg, uint32(len(context)))
	for _, c := range context {
		msg = binary.LittleEndian.AppendUint64(msg, uint64(c))
	}
	msg = binary.LittleEndian.AppendUint64(msg, uint64(token))
	mac := hmac.New(sha256.New, p.Key[:])
	mac.Write(msg)
	return binary.LittleEndian.Uint32(mac.Sum(nil))
}

// Uniform is the PRF's uniform for a token after a context.
func (p HMACPRF) Uniform(context []int64, token int64) float32 {
	return ToUniform(p.Uint32(context, token))
}

// Green reports whether a uniform falls in the green list of fraction
// gamma, as vLLM's red-green scheme decides it (red_green.py, commit
// 381f94544575cafec2cd808be7d4948a632374e0: `uniforms < gamma`). The
// uniforms are a float32 tensor and gamma a Python float, which torch
// casts to the tensor's float32 before comparing: a gamma that float32
// cannot hold exactly is rounded first.
func Green(u float32, gamma float64) bool { return u < float32(gamma) }

// Uniforms returns the uniforms of tokens 0 … n−1 after a context, as
// UniformOf would one by one: the HMAC's inner hash is fed the key block
// and the message up to the candidate once, then cloned per candidate.
func (p HMACPRF) Uniforms(context []int64, n int) []float32 {
	var ipad, opad [sha256.BlockSize]byte
	for i := range ipad {
		ipad[i], opad[i] = 0x36, 0x5c
		if i < len(p.Key) {
			ipad[i] ^= p.Key[i]
			opad[i] ^= p.Key[i]
		}
	}
	inner := sha256.New()
	inner.Write(ipad[:])
	msg := append([]byte(hmacDomain), binary.LittleEndian.AppendUint32(nil, uint32(len(context)))...)
	for _, c := range context {
		msg = binary.LittleEndian.AppendUint64(msg, uint64(c))
	}
	inner.Write(msg)
	outer := sha256.New()
	outer.Write(opad[:])
	out := make([]float32, n)
	var tok [8]byte
	var sum [sha256.Size]byte
	for i := range out {
		in, _ := inner.(hash.Cloner).Clone()
		binary.LittleEndian.PutUint64(tok[:], uint64(i))
		in.Write(tok[:])
		o, _ := outer.(hash.Cloner).Clone()
		o.Write(in.Sum(sum[:0]))
		out[i] = ToUniform(binary.LittleEndian.Uint32(o.Sum(sum[:0])))
	}
	return out
}
