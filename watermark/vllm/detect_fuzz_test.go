package vllm

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzDetect feeds arbitrary token ids (any int64, negative and huge
// included, as a caller's input may hold) to every detector: none may
// panic, and every p-value must be a probability (log10 in [−∞, 0], not
// NaN), with no more tokens scored than given.
func FuzzDetect(f *testing.F) {
	f.Add([]byte{}, uint8(4))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, uint8(1))
	f.Add(make([]byte, 800), uint8(16))
	f.Fuzz(func(t *testing.T, raw []byte, w uint8) {
		width := int(w%16) + 1
		toks := make([]int64, len(raw)/8)
		for i := range toks {
			toks[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
		}
		a, b := DualKeyPRFs(5)
		for _, d := range []Detection{
			DetectRedGreen(a, toks, width, 0.25, true),
			DetectGumbel(a, toks, width, true),
			DetectGumbel(HMACPRF{}, toks, width, false),
			DetectDualKeyGumbel(a, b, toks, width, 0.1, true),
		} {
			if math.IsNaN(d.Log10P) || d.Log10P > 0 || d.Scored > len(toks) {
				t.Fatalf("%d tokens, width %d: %+v", len(toks), width, d)
			}
		}
	})
}
