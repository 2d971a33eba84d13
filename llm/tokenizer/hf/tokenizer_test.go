package hf

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func loadTestdata(t testing.TB, name string) *Tokenizer {
	t.Helper()
	tk, err := ReadPath("testdata/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// TestEncodeSmall checks the two small tokenizers of testdata against the
// ids Hugging Face's JavaScript tokenizers give (recorded with
// reference.mjs): added tokens raw and normalized, lstrip and rstrip,
// ignore_merges, digit groups, byte fallback, unknown characters fused,
// a prepended ▁.
func TestEncodeSmall(t *testing.T) {
	tests := []struct {
		file, text string
		want       []int32
	}{
		{"bytelevel", "hello the world", []int32{263, 258, 32, 119, 111, 114, 108, 100}},
		{"bytelevel", "Hello<|end|>it's 1234", []int32{72, 261, 111, 266, 105, 116, 39, 115, 32, 265, 51, 52}},
		{"bytelevel", "a  <tool>  b", []int32{97, 267, 98}},
		{"bytelevel", "héllo €", []int32{104, 195, 169, 260, 111, 32, 226, 130, 172}},
		{"bytelevel", " hello", []int32{32, 257, 260, 111}},
		{"bytelevel", "", nil},
		{"sentencepiece", "hello the world", []int32{275, 259, 270, 265, 264, 278, 266, 263}},
		{"sentencepiece", "Hello<|end|>it's 1234", []int32{259, 75, 273, 267, 63, 127, 264, 113, 263, 127, 65, 108, 270, 42, 118, 259, 52, 53, 54, 55}},
		{"sentencepiece", "héllo €", []int32{271, 198, 172, 266, 266, 267, 259, 229, 133, 175}},
		{"sentencepiece", "zz", []int32{259, 125, 125}},
		{"sentencepiece", " hello", []int32{259, 275}},
		{"sentencepiece", "", nil},
	}
	tks := map[string]*Tokenizer{"bytelevel": loadTestdata(t, "bytelevel"), "sentencepiece": loadTestdata(t, "sentencepiece")}
	for _, tt := range tests {
		got, err := tks[tt.file].Encode(tt.text)
		if err != nil {
			t.Fatalf("%s %q: %v", tt.file, tt.text, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %q: got %v, want %v", tt.file, tt.text, got, tt.want)
		}
	}
}

// TestPiecesAreTheText checks that pieces concatenate to the text as the
// model reads it: byte for byte for byte-level BPE (after NFC, with
// invalid bytes read as U+FFFD), with ▁ read as a space and a space
// prepended for the SentencePiece style, including byte-fallback pieces
// that are single bytes of a longer character.
func TestPiecesAreTheText(t *testing.T) {
	bl, sp := loadTestdata(t, "bytelevel"), loadTestdata(t, "sentencepiece")
	for _, text := range []string{"hello world", "it's   1234\n\n", "héllo € 👍🏽", "e\u0301", "<|end|>x"} {
		ps, err := bl.Pieces(text)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(ps, ""), norm.NFC.String(text); got != want {
			t.Errorf("byte-level pieces of %q join to %q, want %q", text, got, want)
		}
		ps, err = sp.Pieces(text)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(ps, ""), " "+text; got != want {
			t.Errorf("SentencePiece pieces of %q join to %q, want %q", text, got, want)
		}
	}
	ps, _ := sp.Pieces("€")
	if !slices.Equal(ps, []string{" ", "\xe2", "\x82", "\xac"}) {
		t.Errorf("byte-fallback pieces of € are %q, want a space and its three bytes", ps)
	}
	ps, _ = bl.Pieces("a\xffb")
	if strings.Join(ps, "") != "a\ufffdb" {
		t.Errorf("invalid byte: pieces %q, want it read as U+FFFD", ps)
	}
}

// TestArrange checks the Split behaviors on Hugging Face's documented
// example, "the-final--countdown" split at "-".
func TestArrange(t *testing.T) {
	tests := []struct {
		b      behavior
		invert bool
		want   []string
	}{
		{removed, false, []string{"the", "final", "countdown"}},
		{isolated, false, []string{"the", "-", "final", "-", "-", "countdown"}},
		{mergedWithPrevious, false, []string{"the-", "final-", "-", "countdown"}},
		{mergedWithNext, false, []string{"the", "-final", "-", "-countdown"}},
		{contiguous, false, []string{"the", "-", "final", "--", "countdown"}},
		{removed, true, []string{"-", "-", "-"}},
	}
	const s = "the-final--countdown"
	for _, tt := range tests {
		sp, _ := stringMatcher("-").spans(s)
		var got []string
		for _, x := range arrange(sp, tt.b, tt.invert) {
			got = append(got, s[x.start:x.end])
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("behavior %d invert %v: got %q, want %q", tt.b, tt.invert, got, tt.want)
		}
	}
}

// TestRegexOniguruma checks the translated patterns match what Oniguruma
// matches where regexp2's own reading differs.
func TestRegexOniguruma(t *testing.T) {
	tests := []struct {
		pat, text string
		match     bool
	}{
		{`(?i:'s)`, "'S", true},
		{`(?i:'s)`, "'ſ", true}, // U+017F folds to s in Oniguruma
		{`(?i:'k)`, "'\u212a", true},
		{`(?i:'s)`, "'t", false},
		{`\s`, "\u3000", true},
		{`\s`, "\u0085", true},
		{`\s`, "\u200b", false},
		{`[^\s\p{L}]`, "\u00a0", false},
		{`\w`, "\u0903", true}, // a spacing mark
		{`\h`, "F", true},
		{`\h`, "g", false},
		{`\x{1F600}`, "😀", true},
		{`^b`, "a\nb", true},
		{`a$`, "a\nb", true},
		{`\p{N}{1,3}`, "١", true},
	}
	for _, tt := range tests {
		re, err := compileRegex(tt.pat)
		if err != nil {
			t.Fatalf("%s: %v", tt.pat, err)
		}
		got, err := re.MatchString(tt.text)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.match {
			t.Errorf("%s on %q: match %v, want %v", tt.pat, tt.text, got, tt.match)
		}
	}
	for _, pat := range []string{`(?i)abc`, `(?i:[a-z])`, `[\S]`, `\G`, `[a`, `(?x: a )`} {
		if _, err := compileRegex(pat); err == nil {
			t.Errorf("%s compiled; want it refused", pat)
		}
	}
}

// TestCanonicalIsStable checks the canonical form parses to itself and
// that the two merge layouts give the same tokenizer.
func TestCanonicalIsStable(t *testing.T) {
	tk := loadTestdata(t, "bytelevel")
	again, err := Parse(tk.Canonical())
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != tk.ID() || string(again.Canonical()) != string(tk.Canonical()) {
		t.Error("canonical form does not parse to the same tokenizer")
	}
	if !strings.HasPrefix(tk.ID(), "tokenizer.json:sha256:") {
		t.Errorf("id %s", tk.ID())
	}
}

// TestLowercase checks Lowercase is Rust's per-character to_lowercase:
// İ becomes two characters, and a final Σ stays σ.
func TestLowercase(t *testing.T) {
	for in, want := range map[string]string{"ΣΊΣΥΦΟΣ": "σίσυφοσ", "İstanbul": "i\u0307stanbul", "ABC déF": "abc déf"} {
		if got := lowercase(in); got != want {
			t.Errorf("lowercase(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestConcurrentEncode encodes from several goroutines at once (for the
// race detector: the word cache is shared).
func TestConcurrentEncode(t *testing.T) {
	tk := loadTestdata(t, "sentencepiece")
	want, _ := tk.Encode(strings.Join(oddTexts, " "))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				got, err := tk.Encode(strings.Join(oddTexts, " "))
				if err != nil || !slices.Equal(got, want) {
					t.Errorf("concurrent encode differs (%v)", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestEncodeWithSpecialTokens checks the post-processor's tokens: <s>
// before the text for the SentencePiece-style template, none for
// ByteLevel, and an error (for this call only) for a post-processor that
// is not special tokens around the text.
func TestEncodeWithSpecialTokens(t *testing.T) {
	sp := loadTestdata(t, "sentencepiece")
	plain, _ := sp.Encode("hello")
	got, err := sp.EncodeWithSpecialTokens("hello")
	if err != nil || !slices.Equal(got, append([]int32{1}, plain...)) {
		t.Errorf("template: got %v (%v), want <s> (1) then %v", got, err, plain)
	}
	bl := loadTestdata(t, "bytelevel")
	plain, _ = bl.Encode("hello")
	if got, err := bl.EncodeWithSpecialTokens("hello"); err != nil || !slices.Equal(got, plain) {
		t.Errorf("ByteLevel: got %v (%v), want %v", got, err, plain)
	}
	bert, err := Parse(mutated(t, func(d map[string]any) {
		d["post_processor"] = map[string]any{"type": "BertProcessing", "sep": []any{"[SEP]", 102}, "cls": []any{"[CLS]", 101}}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bert.Encode("hello"); err != nil {
		t.Errorf("Encode with a BertProcessing post-processor: %v", err)
	}
	if _, err := bert.EncodeWithSpecialTokens("hello"); err == nil || !strings.Contains(err.Error(), `"BertProcessing"`) {
		t.Errorf("EncodeWithSpecialTokens with BertProcessing: error %v, want one naming it", err)
	}
}
