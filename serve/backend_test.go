package serve

import (
	"strings"
	"testing"

	"forensics/corpora"
	"forensics/llm/embedded"
)

// TestEmbeddedPiecesInChunks: counting a prompt chunk by chunk (to stop
// early on an over-long one) gives exactly the pieces of the whole text
// for prose.
func TestEmbeddedPiecesInChunks(t *testing.T) {
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	b := NewEmbeddedBackend(m)
	paras, _ := corpora.Paragraphs()
	text := strings.Join(paras[:200], "\n")
	whole, _ := m.Tokenizer().Pieces(text)
	got, over := b.Pieces("", text, 0)
	if over || strings.Join(got, "\x00") != strings.Join(whole, "\x00") {
		t.Fatalf("chunked: %d pieces, whole text: %d", len(got), len(whole))
	}
	if _, over := b.Pieces("", text, len(whole)-1); !over {
		t.Fatal("a text one piece over the limit is not reported over")
	}
	if p, over := b.Pieces("", text, len(whole)); over || len(p) != len(whole) {
		t.Fatal("a text at the limit is reported over")
	}
}
