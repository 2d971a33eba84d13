package vllm

import (
	"crypto/sha256"
	"encoding/binary"
	"math"

	"forensics/stats"
)

// DeriveKey is vLLM's derive_watermark_key (vllm/config/watermarking.py,
// commit 01c268bcd2def3eec9548e33c94184eb6b905867): the first 8 bytes,
// big-endian, of SHA-256 over the domain and the key's 8 big-endian bytes.
func DeriveKey(key uint64, domain string) uint64 {
	h := sha256.New()
	h.Write([]byte(domain))
	h.Write(binary.BigEndian.AppendUint64(nil, key))
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

// DualKeyPRFs are the two Philox PRFs of vLLM's dual-key Gumbel scheme
// under an engine key: key A (domain "key_a", the draft watermarker,
// chosen with probability 1 − alpha) and key B ("key_b").
func DualKeyPRFs(key uint64) (a, b PhiloxPRF) {
	return PhiloxPRF{Key: DeriveKey(key, "key_a")}, PhiloxPRF{Key: DeriveKey(key, "key_b")}
}

// DetectDualKeyGumbel is vLLM's dual-key Gumbel test (gumbel.py,
// DualKeyGumbelWatermarkDetector): each scored token's score is
// (1 − alpha)·T_A + alpha·T_B, the Gumbel terms under keys A and B. vLLM
// approximates the null of the sum by a Gamma with the same mean and
// variance, which is exact only for alpha 0, 1/2 and 1; here the p-value
// bounds the exact null from above (see weightedGammaLogTail), so it is
// valid for every alpha in [0, 1]; outside it (vLLM refuses such a
// config) nothing is scored and the p-value is 1.
func DetectDualKeyGumbel(a, b PRF, tokens []int64, width int, alpha float64, dedup bool) Detection {
	if !(alpha >= 0 && alpha <= 1) {
		return Detection{}
	}
	scored := ScoredTokens(tokens, width, dedup)
	score := 0.0
	for _, s := range scored {
		ta := gumbelTerm(a.UniformOf(s.Context, s.Token))
		tb := gumbelTerm(b.UniformOf(s.Context, s.Token))
		score += (1-alpha)*ta + alpha*tb
	}
	d := Detection{Scored: len(scored), Score: score}
	if n := len(scored); n > 0 {
		// Each term is at most Exp(1) + s under either key and the weights
		// sum to one; the float64 arithmetic is off by at most a few
		// ulps of each term.
		x := score - float64(n)*GumbelShift - float64(n)*0x1p-50*score
		d.Log10P = weightedGammaLogTail(n, 1-alpha, alpha, x) / math.Ln10
	}
	return d
}

// maxBins bounds the work of weightedGammaLogTail.
const maxBins = 4096

// weightedGammaLogTail returns an upper bound on log P(aX + bY ≥ w) for
// independent X, Y ~ Gamma(n, 1) and a, b ≥ 0. It conditions on the
// variable with the smaller weight, V (weight c), the other being U
// (weight d ≥ c): cutting [0, w/c] into bins, on each bin
// P(U ≥ (w − c·v)/d) is at most its value at the bin's right end, and
// V's mass beyond w/c counts whole. The bins are fine enough that one
// moves U's threshold by at most 0.05 (at most maxBins of them, looser
// beyond): the bound is then within a factor of about e^0.05 of the exact
// tail wherever U's tail falls at most at rate 1.
func weightedGammaLogTail(n int, a, b, w float64) float64 {
	if w <= 0 {
		return 0
	}
	c, d := min(a, b), max(a, b)
	if c == 0 {
		return stats.LogGammaUpperTail(n, w/d)
	}
	top := w / c
	bins := int(min(math.Ceil(w/(d*0.05)), maxBins))
	terms := []float64{stats.LogGammaUpperTail(n, top)}
	prev := 0.0 // log P(V ≥ 0)
	for j := 1; j <= bins; j++ {
		v := top * float64(j) / float64(bins)
		cur := stats.LogGammaUpperTail(n, v)
		if cur >= prev { // no mass in this bin
			continue
		}
		mass := prev + math.Log1p(-math.Exp(cur-prev))
		terms = append(terms, mass+stats.LogGammaUpperTail(n, (w-c*v)/d))
		prev = cur
	}
	return min(0, logSumExp(terms))
}

func logSumExp(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = max(m, x)
	}
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for _, x := range xs {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}
