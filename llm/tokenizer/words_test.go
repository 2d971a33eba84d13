package tokenizer

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWordsPieces(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Hello, world!", []string{"Hello", ",", " world", "!"}},
		{"  two spaces", []string{" ", " two", " spaces"}},
		{"line\nnext", []string{"line", "\n", "next"}},
		{"x  \n\n y", []string{"x", "  \n\n", " y"}},
		{"year 20261126", []string{"year", " 202", "611", "26"}},
		{"naïve café", []string{"naïve", " café"}},
		{"a->b", []string{"a", "->", "b"}},
		{"trailing ", []string{"trailing", " "}},
		{"日本語 テキスト", []string{"日本語", " テキスト"}},
		{"emoji 🙂🙂", []string{"emoji", " 🙂🙂"}},
	}
	for _, tt := range tests {
		got, _ := Words{}.Pieces(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Pieces(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzWordsPieces(f *testing.F) {
	for _, s := range []string{"", "Hello, world!", "  a\n\tb", "\xff\xfe x", "12345678", "🙂 é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var pieces []string
		// At most one piece (16 bytes) per input byte, in a slice grown by
		// append (80 bytes per byte of invalid UTF-8 measured).
		if n := allocated(func() { pieces, _ = Words{}.Pieces(s) }); n > 1<<20+128*uint64(len(s)) {
			t.Fatalf("%d bytes allocated for %d bytes of input", n, len(s))
		}
		if strings.Join(pieces, "") != s {
			t.Fatalf("pieces of %q do not concatenate back: %q", s, pieces)
		}
		for _, p := range pieces {
			if p == "" {
				t.Fatalf("empty piece in %q", pieces)
			}
			if utf8.ValidString(s) && !utf8.ValidString(p) {
				t.Fatalf("valid input split inside a rune: %q", pieces)
			}
		}
	})
}

func BenchmarkWordsPieces(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog, 42 times.\n", 200)
	b.SetBytes(int64(len(text)))
	for i := 0; i < b.N; i++ {
		Words{}.Pieces(text)
	}
}
