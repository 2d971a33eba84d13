package hf

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// mutated returns testdata/bytelevel.json with one change applied.
func mutated(t testing.TB, change func(map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/bytelevel.json")
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	change(d)
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRefusesWhatItDoesNotImplement checks that every component or
// setting this package does not implement exactly is an error naming it,
// and that definitions that would make encoding unbounded or ambiguous
// are refused.
func TestRefusesWhatItDoesNotImplement(t *testing.T) {
	model := func(d map[string]any) map[string]any { return d["model"].(map[string]any) }
	tests := []struct {
		name   string
		change func(map[string]any)
		want   string
	}{
		{"unigram", func(d map[string]any) { model(d)["type"] = "Unigram" }, `model "Unigram" is not supported`},
		{"dropout", func(d map[string]any) { model(d)["dropout"] = 0.1 }, "dropout"},
		{"prefix", func(d map[string]any) { model(d)["continuing_subword_prefix"] = "##" }, "continuing_subword_prefix"},
		{"bert normalizer", func(d map[string]any) { d["normalizer"] = map[string]any{"type": "BertNormalizer"} }, `normalizer "BertNormalizer" is not supported`},
		{"precompiled", func(d map[string]any) {
			d["normalizer"] = map[string]any{"type": "Precompiled", "precompiled_charsmap": "AAAA"}
		}, `normalizer "Precompiled" is not supported`},
		{"unknown pre-tokenizer", func(d map[string]any) { d["pre_tokenizer"] = map[string]any{"type": "UnicodeScripts"} }, `pre-tokenizer "UnicodeScripts" is not supported`},
		{"unknown decoder", func(d map[string]any) { d["decoder"] = map[string]any{"type": "WordPiece"} }, `decoder "WordPiece" is not supported`},
		{"unknown field", func(d map[string]any) { model(d)["new_setting"] = true }, `does not implement: json: unknown field "new_setting"`},
		{"wordpiece", func(d map[string]any) { model(d)["type"] = "WordPiece"; model(d)["max_input_chars_per_word"] = 100 }, `model "WordPiece" is not supported`},
		{"truncation", func(d map[string]any) { d["truncation"] = map[string]any{"max_length": 512} }, "truncation"},
		{"bad behavior", func(d map[string]any) {
			d["pre_tokenizer"] = map[string]any{"type": "Split", "pattern": map[string]any{"String": "-"}, "behavior": "Sideways"}
		}, `"Sideways"`},
		{"bad regex", func(d map[string]any) {
			d["pre_tokenizer"] = map[string]any{"type": "Split", "pattern": map[string]any{"Regex": "(?i)abc"}, "behavior": "Isolated"}
		}, "inline flags"},
		{"merge outside vocab", func(d map[string]any) { model(d)["merges"] = []any{"x yz"} }, "not in the vocabulary"},
		{"bad merge line", func(d map[string]any) { model(d)["merges"] = []any{"a b c"} }, "not two tokens"},
		{"unk outside vocab", func(d map[string]any) { model(d)["unk_token"] = "<nope>" }, "unk_token"},
		{"negative id", func(d map[string]any) { model(d)["vocab"].(map[string]any)["!"] = -1 }, "outside"},
		{"shared id", func(d map[string]any) { model(d)["vocab"].(map[string]any)["!"] = 34 }, "share id"},
		{"added id conflict", func(d map[string]any) {
			d["added_tokens"] = []any{map[string]any{"id": 5, "content": "<x>", "special": true}}
		}, "vocabulary's"},
		{"added ids shared", func(d map[string]any) {
			d["added_tokens"] = []any{map[string]any{"id": 999, "content": "<x>", "special": true}, map[string]any{"id": 999, "content": "<y>"}}
		}, "is both"},
		{"added too long", func(d map[string]any) {
			d["added_tokens"] = []any{map[string]any{"id": 999, "content": strings.Repeat("x", maxAddedBytes+1), "special": true}}
		}, "more than"},
		{"deep nesting", func(d map[string]any) {
			n := map[string]any{"type": "NFC"}
			for range maxDepth + 2 {
				n = map[string]any{"type": "Sequence", "normalizers": []any{n}}
			}
			d["normalizer"] = n
		}, "nest deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(mutated(t, tt.change))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestRefusesOversizedFile checks the size cap is enforced before decoding.
func TestRefusesOversizedFile(t *testing.T) {
	if _, err := Parse(make([]byte, MaxFileBytes+1)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("error %v, want the size cap", err)
	}
}

// TestAcceptsRepeatedAddedToken checks an added token listed twice (as
// special and not) is one token, as in Hugging Face.
func TestAcceptsRepeatedAddedToken(t *testing.T) {
	data := mutated(t, func(d map[string]any) {
		tok := map[string]any{"id": 999, "content": "<x>", "special": true}
		d["added_tokens"] = []any{tok, map[string]any{"id": 999, "content": "<x>"}}
	})
	tk, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if ids, _ := tk.Encode("a<x>"); len(ids) != 2 || ids[1] != 999 || !tk.IsSpecial(999) {
		t.Errorf("ids %v, special %v", ids, tk.IsSpecial(999))
	}
}
