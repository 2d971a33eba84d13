package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/watermark"
)

// keyring writes n keys with fixed secrets (seeds from, from+1, …) into a
// new folder and returns it.
func keyring(t *testing.T, from byte, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		seed := from + byte(i)
		k, err := watermark.NewKeyFromSecret(fmt.Sprintf("wrong-%03d", seed), watermark.DefaultParams(), [32]byte{seed, 7, 7}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if err := k.WriteFile(filepath.Join(dir, fmt.Sprintf("k%03d.yaml", seed)), false); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// detectKeysJSON is detect --json's output with several keys.
type detectKeysJSON struct {
	watermark.KeysResult
}

func TestDetectRightKeyAmongWrongKeys(t *testing.T) {
	right := fixedKeyFile(t, 1)
	text := watermarkedText(t, right, 200, 1)
	// The right key in the middle of 20 wrong ones: 10 --key files before
	// it, and a keyring of 10 (keyring files come after the --key files).
	before, after := keyring(t, 100, 10), keyring(t, 110, 10)
	args := []string{"detect", "--keyring", after}
	for _, e := range mustReadDir(t, before) {
		args = append(args, "--key", filepath.Join(before, e))
	}
	args = append(args, "--key", right)
	code, out, errOut := runCLI(t, text, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res detectKeysJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	_, alone, _ := runCLI(t, text, "detect", "--key", right, "--json")
	var one detectKeysJSON
	if err := json.Unmarshal([]byte(alone), &one); err != nil {
		t.Fatal(err)
	}
	t.Logf("right key alone: log10 p %.2f; among 21 keys: adjusted %.2f (Holm), verdict %v", one.Log10P, res.AdjustedLog10P, res.Watermarked)
	if !res.Watermarked || res.KeyID != "fixed-1" || res.KeysTried != 21 || len(res.Keys) != 21 || res.Correction != "holm over keys" {
		t.Fatalf("right key among 20 wrong: %+v", res.KeySearch)
	}
	if res.Keys[10].KeyID != "fixed-1" || !res.Keys[10].Watermarked {
		t.Fatalf("keys out of order or the right key not flagged: %+v", res.Keys[10])
	}
	for i, k := range res.Keys {
		if i != 10 && (k.Watermarked || k.AdjustedLog10P < k.Log10P) {
			t.Errorf("wrong key %s: %+v", k.KeyID, k)
		}
	}
	// The most significant of 21 is multiplied by 21, in log space.
	if want := one.Log10P + math.Log10(21); math.Abs(res.AdjustedLog10P-want) > 1e-9 || res.Log10P != one.Log10P {
		t.Fatalf("adjusted %v, want %v", res.AdjustedLog10P, want)
	}
	// One key: the numbers are the key's own, and the output says 1 key.
	if one.KeysTried != 1 || one.AdjustedLog10P != one.Log10P || one.DecisionLog10P != one.Log10P || !one.Watermarked || one.Correction != "holm over keys" {
		t.Fatalf("one key: %+v", one)
	}
	_, human, _ := runCLI(t, text, append(args, "--windows")...)
	for _, want := range []string{"21 keys tried, corrected by Holm over keys", "WATERMARKED under key fixed-1: Holm-adjusted p ≤ α", "Holm over 21 keys", "wrong-119"} {
		if !strings.Contains(human, want) {
			t.Errorf("text output lacks %q:\n%s", want, human)
		}
	}
	_, human, _ = runCLI(t, text, "detect", "--key", right)
	if !strings.Contains(human, "1 key tried") || !strings.Contains(human, "Holm over 1 key") {
		t.Errorf("one key, text output:\n%s", human)
	}
}

func TestDetectManyKeysOnHumanText(t *testing.T) {
	dir := keyring(t, 1, 20)
	text := "It was a bright cold day in April, and the clocks were striking thirteen. " +
		"Winston Smith, his chin nuzzled into his breast in an effort to escape the vile wind, " +
		"slipped quickly through the glass doors of Victory Mansions, though not quickly enough " +
		"to prevent a swirl of gritty dust from entering along with him."
	code, out, errOut := runCLI(t, text, "detect", "--keyring", dir, "--alpha", "0.01", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res detectKeysJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Watermarked || res.KeysTried != 20 || res.Keys[0].KeyID != "wrong-001" {
		t.Fatalf("human text under 20 keys: %+v", res.KeySearch)
	}
	_, human, _ := runCLI(t, text, "detect", "--keyring", dir)
	if !strings.Contains(human, "not shown to be watermarked under any of the 20 keys") {
		t.Errorf("text output:\n%s", human)
	}
}

func TestDetectKeyringErrors(t *testing.T) {
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("not a key"), 0o600)
	dup := keyring(t, 1, 2)
	k, _ := watermark.NewKeyFromSecret("wrong-001", watermark.DefaultParams(), [32]byte{9}, time.Time{})
	k.WriteFile(filepath.Join(dup, "again.yaml"), false)
	bad := keyring(t, 1, 2)
	os.WriteFile(filepath.Join(bad, "broken.yaml"), []byte("version: 1\n"), 0o600)
	key := fixedKeyFile(t, 1)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no keys", []string{"detect"}, 2, "--key or --keyring is required"},
		{"empty keyring", []string{"detect", "--keyring", empty}, 1, "holds no key files"},
		{"missing keyring", []string{"detect", "--keyring", filepath.Join(empty, "none")}, 1, "no such file"},
		{"one id twice", []string{"detect", "--keyring", dup}, 1, "key id wrong-001 is in both"},
		{"same file twice", []string{"detect", "--key", key, "--key", key}, 1, "give each key once"},
		{"bad file in keyring", []string{"detect", "--keyring", bad}, 1, "lacks"},
		{"pooled without jsonl", []string{"detect", "--key", key, "--pooled"}, 2, "--pooled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, "some text to score", tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d %q, want %d and %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}

// TestDetectJSONLNotice: --jsonl says once that per-document p-values
// under one key must not be counted (stderr, or the summary line with
// --json), and --pooled tests the documents' distinct tuples together.
func TestDetectJSONLNotice(t *testing.T) {
	key := fixedKeyFile(t, 3)
	wm := watermarkedText(t, key, 200, 2)
	in := strings.Join([]string{
		mustJSON(map[string]any{"id": "a", "text": wm}),
		mustJSON(map[string]any{"id": "b", "text": wm}), // the same text: its tuples count once when pooled
		`{"id": "c", "text": "plain words written by a person, nothing more"}`,
	}, "\n")
	code, out, errOut := runCLI(t, in, "detect", "--key", key, "--jsonl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if n := strings.Count(errOut, "not independent"); n != 1 || !strings.Contains(errOut, "5.5 times") || !strings.Contains(errOut, "k of n") {
		t.Fatalf("notice %d times on stderr: %q", n, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || strings.Contains(out, "not independent") || strings.Contains(out, "summary") {
		t.Fatalf("stdout is not the three results: %s", out)
	}
	var first detectLine
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.Result == nil || first.KeySearch == nil || first.KeysTried != 1 || first.AdjustedLog10P != first.Log10P {
		t.Fatalf("line 1: %v %s", err, lines[0])
	}

	// --json: the notice is a field of the last line, and not on stderr.
	code, out, errOut = runCLI(t, in, "detect", "--key", key, "--jsonl", "--json", "--pooled")
	if code != 0 || strings.Contains(errOut, "not independent") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 3 results and a summary: %s", len(lines), out)
	}
	var sum detectSummary
	if err := json.Unmarshal([]byte(lines[3]), &sum); err != nil {
		t.Fatal(err)
	}
	s := sum.Summary
	if !strings.Contains(s.Notice, "not independent") || s.Lines != 3 || s.Scored != 3 || s.KeysTried != 1 || s.Correction != "holm over keys" || s.Pooled == nil {
		t.Fatalf("summary: %+v", s)
	}
	if strings.Count(out, "not independent") != 1 {
		t.Fatalf("notice not once: %s", out)
	}
	var a, c detectLine
	json.Unmarshal([]byte(lines[0]), &a)
	json.Unmarshal([]byte(lines[2]), &c)
	// Pooled: the repeated document adds nothing; the plain one adds its own.
	if s.Pooled.TokensScored != a.TokensScored+c.TokensScored || s.Pooled.Green != a.Green+c.Green || !s.Pooled.Watermarked {
		t.Fatalf("pooled %+v; documents a %d/%d, c %d/%d", s.Pooled.Result, a.Green, a.TokensScored, c.Green, c.TokensScored)
	}
	t.Logf("pooled over 3 documents: %d of %d green, log10 p %.2f", s.Pooled.Green, s.Pooled.TokensScored, s.Pooled.Log10P)

	// Text mode with --pooled: the pooled test on stderr.
	_, _, errOut = runCLI(t, in, "detect", "--key", key, "--jsonl", "--pooled")
	if !strings.Contains(errOut, "pooled test over the 3 scored documents") || !strings.Contains(errOut, "WATERMARKED") {
		t.Fatalf("stderr: %s", errOut)
	}
}

func mustReadDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
