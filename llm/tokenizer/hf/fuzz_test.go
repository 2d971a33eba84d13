package hf

import (
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

// FuzzParse feeds arbitrary bytes to Parse, seeded with the two small
// tokenizers and variations: it must return a tokenizer or an error,
// never panic or hang, and whatever it builds must encode.
func FuzzParse(f *testing.F) {
	// A mutated pattern may backtrack catastrophically on the probe text.
	defer func(d time.Duration) { matchTimeout = d }(matchTimeout)
	matchTimeout = 20 * time.Millisecond
	for _, name := range []string{"bytelevel", "sentencepiece"} {
		data, err := os.ReadFile("testdata/" + name + ".json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add([]byte(`{"added_tokens":[],"normalizer":null,"pre_tokenizer":null,"post_processor":null,"decoder":null,"model":{"type":"BPE","vocab":{"a":0},"merges":[]}}`))
	f.Add([]byte(`{"added_tokens":[{"id":1,"content":"x","lstrip":true,"rstrip":true,"single_word":true,"normalized":true}],"normalizer":{"type":"Lowercase"},"pre_tokenizer":{"type":"Metaspace","prepend_scheme":"first"},"post_processor":null,"decoder":null,"model":{"type":"BPE","vocab":{"a":0},"merges":[["a","a"]]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := Parse(data)
		if err != nil {
			return
		}
		if _, err := tk.Encode("Hello, world! it's 123 <x> ▁ \n\n héllo"); err != nil && !strings.Contains(err.Error(), "regex") {
			t.Fatalf("encode: %v", err)
		}
	})
}

// FuzzEncode encodes arbitrary text with the byte-level tokenizer: every
// id must be in the vocabulary and the pieces must be the text as the
// model reads it (invalid bytes read as U+FFFD, NFC between the raw added
// tokens), unless the text has the added token that strips the
// whitespace around it.
func FuzzEncode(f *testing.F) {
	tk := loadTestdata(f, "bytelevel")
	for _, s := range oddTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ids, err := tk.Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, id := range ids {
			if id < 0 || int(id) >= tk.Size() {
				t.Fatalf("id %d outside the vocabulary", id)
			}
			b.WriteString(tk.Piece(id))
		}
		var want strings.Builder
		for _, c := range tk.raw.split(validUTF8(text)) {
			if c.token != nil {
				want.WriteString(c.text)
			} else {
				want.WriteString(norm.NFC.String(c.text))
			}
		}
		if b.String() != want.String() && !strings.Contains(norm.NFC.String(text), "<tool>") {
			t.Fatalf("pieces join to %q, want %q", b.String(), want.String())
		}
	})
}
