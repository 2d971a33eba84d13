package engine

import (
	"math/rand/v2"
	"strings"
	"testing"

	"forensics/llm/embedded"
	"forensics/llm/tokenizer"
	"forensics/watermark/vllm"
)

// TestDetectTextOfEngineOutput runs the path a provider's text takes:
// vLLM's sampler (watermark/vllm.Engine) writes token ids on the embedded
// model, the ids are decoded to text, and detection splits the text again
// with the model's tokenizer. Decoding and re-splitting may not give the
// same ids (a non-canonical split); the test states how many differ and
// still needs the watermark found (bars set before running: p ≤ 1e-6 in
// 150 tokens for both schemes, re-split ids at least 90% equal).
func TestDetectTextOfEngineOutput(t *testing.T) {
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	vocab, ok := m.Tokenizer().(*tokenizer.Vocab)
	if !ok {
		t.Skip("the embedded tokenizer is not a Vocab")
	}
	prompt, err := vocab.Encode("It was a bright cold day in April, and")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*Key{mustKey(t, SchemeGumbel, PRFPhilox, "73737373737373"), mustKey(t, SchemeRedGreen, PRFHMAC, "73737373737373")} {
		var wm vllm.Watermarker = vllm.Gumbel{PRF: k.NewPRF(), Width: k.ContextWidth}
		if k.Scheme == SchemeRedGreen {
			wm = vllm.RedGreen{PRF: k.NewPRF(), Width: k.ContextWidth, Gamma: k.Gamma, Delta: k.Delta}
		}
		eng := vllm.Engine{Watermarker: wm, Temperature: 1, Dedup: true, Ban: []int32{m.EOS()}}
		ids := eng.Generate(m, prompt, 150, vllm.SoftmaxSampler(rand.New(rand.NewPCG(1, 2))))
		var text strings.Builder
		for _, id := range ids {
			text.WriteString(vocab.Piece(int32(id)))
		}
		d, err := NewDetector(k)
		if err != nil {
			t.Fatal(err)
		}
		fromIDs := d.DetectIDs(ids)
		fromText, err := d.DetectText(vocab, text.String())
		if err != nil {
			t.Fatal(err)
		}
		again, _ := vocab.Encode(text.String())
		same := 0
		for i := range min(len(again), len(ids)) {
			if int64(again[i]) == ids[i] {
				same++
			}
		}
		t.Logf("%v: from ids log10 p %.1f (%d scored); from text %.1f (%d scored); re-split ids equal at %d of %d positions (%d ids again)",
			k, fromIDs.Log10P, fromIDs.Scored, fromText.Log10P, fromText.Scored, same, len(ids), len(again))
		if fromText.Log10P > -6 || fromIDs.Log10P > -6 {
			t.Errorf("%v: watermark not found (ids %.1f, text %.1f)", k, fromIDs.Log10P, fromText.Log10P)
		}
		if same*10 < len(ids)*9 {
			t.Errorf("%v: only %d of %d ids survive decoding and re-splitting", k, same, len(ids))
		}
	}
}
