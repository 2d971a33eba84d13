package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"forensics/llm/tokenizer"
	"forensics/watermark"
)

// runCLI runs a command line in-process with captured streams.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &ioStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	code = run(context.Background(), args, io)
	return code, out.String(), errOut.String()
}

// newKeyFile writes a fresh key with keygen and returns its path.
func newKeyFile(t *testing.T, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.yaml")
	code, _, stderr := runCLI(t, "", append([]string{"keygen", "--out", path}, extra...)...)
	if code != 0 {
		t.Fatalf("keygen: %d %s", code, stderr)
	}
	return path
}

// fixedKeyFile writes a key with a fixed secret: tests that need the
// watermark found (p ≤ 1e-6) in a short text use one, so that they do not
// depend on a random key's luck.
func fixedKeyFile(t *testing.T, seed byte) string {
	t.Helper()
	k, err := watermark.NewKeyFromSecret(fmt.Sprintf("fixed-%d", seed), watermark.DefaultParams(), [32]byte{seed, 42}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.yaml")
	if err := k.WriteFile(path, false); err != nil {
		t.Fatal(err)
	}
	return path
}

// watermarkedText generates n pieces with the embedded model under the
// key, through the generate command.
func watermarkedText(t *testing.T, keyPath string, n int, seed uint64) string {
	t.Helper()
	code, out, errOut := runCLI(t, "", "generate", "--key", keyPath, "--prompt", "The letter said",
		"--min-tokens", strconv.Itoa(n), "--max-tokens", strconv.Itoa(n), "--seed", strconv.FormatUint(seed, 10))
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errOut)
	}
	return out
}

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.yaml")
	code, out, errOut := runCLI(t, "", "keygen", "--out", path, "--id", "acme-1", "--context-width", "2", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		KeyID      string           `json:"key_id"`
		Commitment string           `json:"commitment"`
		Params     watermark.Params `json:"params"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	k, err := watermark.LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if res.KeyID != "acme-1" || res.Commitment != k.Commitment() || res.Params.ContextWidth != 2 {
		t.Fatalf("keygen reported %+v for %v", res, k)
	}
	data, _ := os.ReadFile(path)
	secret := ""
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "secret: ") {
			secret = strings.TrimPrefix(line, "secret: ")
		}
	}
	if len(secret) != 64 || strings.Contains(out, secret) {
		t.Fatal("secret missing from the file or printed")
	}
	// A second keygen to the same path must not destroy the key.
	if code, _, errOut := runCLI(t, "", "keygen", "--out", path); code != 1 || !strings.Contains(errOut, "exists") {
		t.Fatalf("overwrite: exit %d %q", code, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	key := newKeyFile(t)
	tests := [][]string{
		{"keygen"},
		{"keygen", "--out", "x.yaml", "--gamma", "1.5"},
		{"keygen", "--out", "x.yaml", "--context-width", "9"},
		{"keygen", "--bogus"},
		{"detect"},
		{"detect", "--key", key, "--alpha", "0"},
		{"detect", "--key", key, "a", "b"},
		{"detect", "--key", key, "--tokenizer", "nope"},
		{"detect", "--key", key, "--jsonl", "--prompt", "x"},
		{"no-such-command"},
	}
	for _, args := range tests {
		code, _, errOut := runCLI(t, "text", args...)
		if code != 2 {
			t.Errorf("%q: exit %d (%s), want 2", args, code, errOut)
		}
		if n := strings.Count(strings.TrimSpace(errOut), "\n"); n != 0 {
			t.Errorf("%q: error is %d lines: %q", args, n+1, errOut)
		}
	}
}

func TestDetectBadInput(t *testing.T) {
	key := newKeyFile(t)
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	good, _ := os.ReadFile(key)
	cut := bytes.Index(good, []byte("\nsecret:"))
	truncated := write("trunc.yaml", string(good[:cut+1]), 0o600)
	cutMid := write("cutmid.yaml", string(good[:len(good)-20]), 0o600)
	malformed := write("bad.yaml", "{{{{", 0o600)
	open := write("open.yaml", string(good), 0o644)
	gamma := write("gamma.yaml", strings.Replace(string(good), "gamma: 0.25", "gamma: 1.25", 1), 0o600)
	big := filepath.Join(dir, "big.txt")
	f, _ := os.Create(big)
	chunk := bytes.Repeat([]byte("all work and no play "), 50000) // ~1 MB
	for i := 0; i < 100; i++ {
		f.Write(chunk)
	}
	f.Close()
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"empty text", "", []string{"detect", "--key", key}, "empty input"},
		{"blank text", " \n\t", []string{"detect", "--key", key}, "empty input"},
		{"invalid utf-8", "ok \xff\xfe bad", []string{"detect", "--key", key}, "not valid UTF-8 (first bad byte at offset 3)"},
		{"100 MB input", "", []string{"detect", "--key", key, big}, "larger than --max-bytes"},
		{"missing key", "text", []string{"detect", "--key", filepath.Join(dir, "none.yaml")}, "no such file"},
		{"truncated key", "text", []string{"detect", "--key", truncated}, "lacks"},
		{"malformed key", "text", []string{"detect", "--key", malformed}, "malformed"},
		{"key cut mid-line", "text", []string{"detect", "--key", cutMid}, "secret must be 64 hex digits"},
		{"open key", "text", []string{"detect", "--key", open}, "chmod 600"},
		{"gamma out of range", "text", []string{"detect", "--key", gamma}, "gamma 1.25 is outside (0,1)"},
		{"missing input file", "", []string{"detect", "--key", key, filepath.Join(dir, "nope.txt")}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.stdin, tt.args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1 (stderr %q)", code, errOut)
			}
			if !strings.Contains(errOut, tt.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("stderr %q, want one line mentioning %q", errOut, tt.want)
			}
			if out != "" {
				t.Fatalf("printed output on failure: %q", out)
			}
		})
	}
}

func TestDetectFindsWatermark(t *testing.T) {
	key := fixedKeyFile(t, 1)
	other := fixedKeyFile(t, 2)
	text := watermarkedText(t, key, 200, 1)
	code, out, errOut := runCLI(t, text, "detect", "--key", key, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res watermark.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if !res.Watermarked || res.Log10P > -6 || res.TokensScored == 0 || !strings.HasPrefix(res.Tokenizer, "gpt2:sha256:") {
		t.Fatalf("watermarked text not found: %+v", res)
	}
	// The same text under another key is not watermarked.
	code, out, _ = runCLI(t, text, "detect", "--key", other, "--json")
	var res2 watermark.Result
	json.Unmarshal([]byte(out), &res2)
	if code != 0 || res2.Watermarked {
		t.Fatalf("other key: exit %d %+v", code, res2)
	}
	// Human output states the verdict.
	_, out, _ = runCLI(t, text, "detect", "--key", key, "--tokens", "--windows")
	if !strings.Contains(out, "WATERMARKED") || !strings.Contains(out, "G \"") {
		t.Fatalf("human output: %s", out)
	}
}

func TestDetectJSONL(t *testing.T) {
	key := fixedKeyFile(t, 3)
	wm := watermarkedText(t, key, 200, 2)
	lines := []string{
		mustJSON(map[string]any{"id": "a", "text": wm}),
		`{"id": 7, "text": "plain words written by a person, nothing more"}`,
		`not json`,
		`{"text": ""}`,
		`{"id": {"x":1}, "text": "hello"}`,
		"",
		mustJSON(map[string]any{"id": "b", "text": wm, "prompt": wm}),
	}
	code, out, errOut := runCLI(t, strings.Join(lines, "\n"), "detect", "--key", key, "--jsonl")
	if code != 1 || !strings.Contains(errOut, "3 of 6 lines") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var got []detectLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r detectLine
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("bad output line %q: %v", l, err)
		}
		got = append(got, r)
	}
	if len(got) != 6 {
		t.Fatalf("%d results for 6 records", len(got))
	}
	if got[0].Result == nil || !got[0].Watermarked || string(got[0].ID) != `"a"` || got[0].Line != 1 {
		t.Errorf("line 1: %+v", got[0])
	}
	if got[1].Result == nil || got[1].Watermarked || string(got[1].ID) != "7" {
		t.Errorf("line 2: %+v", got[1])
	}
	for i, want := range map[int]string{2: "not a JSON object", 3: "empty input", 4: "string or a number"} {
		if !strings.Contains(got[i].Error, want) || got[i].Result != nil {
			t.Errorf("line %d: error %q, want %q", got[i].Line, got[i].Error, want)
		}
	}
	// A text identical to its prompt has nothing left to score.
	if got[5].Result == nil || got[5].TokensScored != 0 || got[5].Watermarked || got[5].Line != 7 {
		t.Errorf("prompt copy: %+v", got[5])
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func FuzzDetectJSONL(f *testing.F) {
	f.Add([]byte(`{"text":"hello world","prompt":"hi","id":"x"}` + "\n" + `{"text":1}`))
	f.Add([]byte("{\"text\":\"\\u200b\"}\r\n\n[1,2]\n\xff\n"))
	f.Add([]byte(`{"text":"a","text":"b"} {"text":"c"}`))
	f.Add([]byte(`{"id":-1e400,"text":"x"}`))
	var secret [32]byte
	k, _ := watermark.NewKeyFromSecret("fuzz", watermark.DefaultParams(), secret, time.Time{})
	f.Fuzz(func(t *testing.T, in []byte) {
		d := &watermark.Detector{Scheme: watermark.NewScheme(k), Tokenizer: tokenizer.Words{}, Normalize: true, Alpha: 1e-6, Windows: watermark.DefaultWindows}
		var out bytes.Buffer
		opts := &detectOptions{io: &ioStreams{Out: &out, ErrOut: &bytes.Buffer{}}, MaxBytes: 1 << 10}
		_ = detectJSONL(context.Background(), opts, d, bytes.NewReader(in), -1)
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if l == "" {
				continue
			}
			var r detectLine
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("output line is not JSON: %q", l)
			}
			if (r.Error == "") == (r.Result == nil) || r.Line < 1 {
				t.Fatalf("line must carry a result or an error: %q", l)
			}
		}
	})
}

func TestGenerate(t *testing.T) {
	key := newKeyFile(t)
	code, out, errOut := runCLI(t, "", "generate", "--key", key, "--prompt", "It was", "--max-tokens", "50", "--min-tokens", "50", "--seed", "7", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Text   string `json:"text"`
		Tokens []struct {
			Piece       string `json:"piece"`
			Green       bool   `json:"green"`
			Watermarked bool   `json:"watermarked"`
		} `json:"tokens"`
		Model string `json:"model"`
		KeyID string `json:"key_id"`
		Seed  uint64 `json:"seed"`
		Stop  string `json:"stop"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	var joined strings.Builder
	greens := 0
	for _, tok := range res.Tokens {
		joined.WriteString(tok.Piece)
		if tok.Green {
			greens++
		}
	}
	if len(res.Tokens) != 50 || joined.String() != res.Text || res.Seed != 7 || res.Stop != "length" ||
		!strings.HasPrefix(res.Model, "embedded-kn4-") || greens < 15 {
		t.Fatalf("unexpected generation: %d tokens, %d green, model %q, stop %q", len(res.Tokens), greens, res.Model, res.Stop)
	}
	// The same seed gives the same text; the plain run reports no greens.
	_, again, _ := runCLI(t, "", "generate", "--key", key, "--prompt", "It was", "--max-tokens", "50", "--min-tokens", "50", "--seed", "7", "--json")
	if again != out {
		t.Fatal("same seed, different output")
	}
	for _, args := range [][]string{
		{"generate"},
		{"generate", "--no-watermark", "--model", "gpt-9"},
		{"generate", "--no-watermark", "--temperature", "-1"},
		{"generate", "--no-watermark", "--max-tokens", "-5"},
	} {
		if code, _, errOut := runCLI(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d (%s), want 2", args, code, errOut)
		}
	}
}

func TestTokenizerExportAndDetect(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "tok.json")
	code, out, errOut := runCLI(t, "", "tokenizer", "export", "--from", "embedded", "--out", tok, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		ID     string `json:"id"`
		Tokens int    `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Tokens != 4096 || !strings.HasPrefix(res.ID, "sha256:") {
		t.Fatalf("export reported %s (%v)", out, err)
	}
	// A fixed key and seed: with a random key, 150 pieces now and then fall
	// short of 1e-6 (a flaky test, seen once in CI).
	key := fixedKeyFile(t, 9)
	text := watermarkedText(t, key, 300, 3)
	_, viaDefault, _ := runCLI(t, text, "detect", "--key", key, "--json")
	_, viaFile, _ := runCLI(t, text, "detect", "--key", key, "--json", "--tokenizer", tok)
	if viaDefault != viaFile || !strings.Contains(viaFile, `"watermarked": true`) {
		t.Fatalf("detection through the exported file differs:\n%s\n%s", viaDefault, viaFile)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"tokenizer", "export", "--from", "embedded"}, 2},
		{[]string{"tokenizer", "export", "--from", "bogus:x", "--out", tok}, 1},
		{[]string{"tokenizer", "export", "--from", "gguf:" + filepath.Join(dir, "missing.gguf"), "--out", tok}, 1},
		{[]string{"tokenizer", "export", "--from", "ollama://", "--out", tok}, 1},
		{[]string{"detect", "--key", key, "--tokenizer", "nosuch"}, 2},
		{[]string{"detect", "--key", key, "--tokenizer", filepath.Join(dir, "missing.json")}, 1},
	} {
		if code, _, errOut := runCLI(t, "some text", c.args...); code != c.code {
			t.Errorf("%q: exit %d (%s), want %d", c.args, code, errOut, c.code)
		}
	}
}
