package watermark

import (
	"testing"

	"forensics/corpora"
	"forensics/llm/embedded"
)

// BenchmarkTextPipeline compares detection from raw text (normalise,
// tokenize with the embedded model's BPE, score) with tokenizing alone, on
// the same 100 kB of human text: the ratio of the two is what detection
// adds to the tokenizer's cost.
func BenchmarkTextPipeline(b *testing.B) {
	raw, err := corpora.Raw("tolstoy-war-and-peace.txt")
	if err != nil {
		b.Fatal(err)
	}
	text := string(raw[:100_000])
	m, err := embedded.Load()
	if err != nil {
		b.Fatal(err)
	}
	tk := m.Tokenizer()
	d := &Detector{Scheme: NewScheme(testKey(1, 1)), Tokenizer: tk, Normalize: true, Alpha: 1e-6}
	b.Run("tokenize", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for i := 0; i < b.N; i++ {
			if _, err := tk.Pieces(text); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("detect", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for i := 0; i < b.N; i++ {
			if _, err := d.DetectText("", text); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("detect-no-normalize", func(b *testing.B) {
		dn := *d
		dn.Normalize = false
		b.SetBytes(int64(len(text)))
		for i := 0; i < b.N; i++ {
			if _, err := dn.DetectText("", text); err != nil {
				b.Fatal(err)
			}
		}
	})
}
