package tokenizer

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"forensics/llm/tokenizer/hf"
)

// hfDir returns a model directory with the small byte-level
// tokenizer.json of hf/testdata and a tokenizer_config.json naming its
// EOS token.
func hfDir(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("hf/testdata/bytelevel.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `{"bos_token": null, "eos_token": {"content": "<|end|>", "special": true}}`
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestHFFileRoundTrip checks that an exported tokenizer.json loads back
// through LoadFile and New (the path of --tokenizer FILE), encodes as
// package hf does, and keeps its id.
func TestHFFileRoundTrip(t *testing.T) {
	dir := hfDir(t)
	f, err := FromSource(t.Context(), "hf:"+dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "tok.json")
	if err := f.WriteFile(out); err != nil {
		t.Fatal(err)
	}
	g, err := LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(g)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := hf.ReadPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if g.ID() != f.ID() || v.ID() != "hf:"+f.ID() {
		t.Errorf("ids %s, %s, %s do not agree", f.ID(), g.ID(), v.ID())
	}
	text := "Hello<|end|>it's 1234 héllo 👍🏽"
	want, _ := direct.Encode(text)
	got, err := v.Encode(text)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Vocab encodes %v (%v), package hf %v", got, err, want)
	}
	ps, err := v.Pieces(text)
	if err != nil || strings.Join(ps, "") != text {
		t.Errorf("pieces %q (%v) do not join to the text", ps, err)
	}
	end, _ := direct.TokenID("<|end|>")
	if !slices.Equal(g.EOS, []int32{end}) || !v.IsEOS(end) || v.IsEOS(end-1) {
		t.Errorf("EOS %v, want [%d] from tokenizer_config.json", g.EOS, end)
	}
	if v.Size() != direct.Size() || v.Piece(end) != "<|end|>" {
		t.Errorf("size %d piece %q", v.Size(), v.Piece(end))
	}
}

// TestHFFileRefusals checks that an hf File must carry its tokenizer.json
// canonically and nothing of a GGUF tokenizer, so that one tokenizer has
// one id.
func TestHFFileRefusals(t *testing.T) {
	f, err := FromHF(hfDir(t))
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, f.HF, "", " "); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*File)
		want   string
	}{
		{"not canonical", func(f *File) { f.HF = indented.Bytes() }, "canonical"},
		{"gguf fields", func(f *File) { f.Tokens = []string{"a"} }, "fields of a GGUF tokenizer"},
		{"eos outside", func(f *File) { f.EOS = []int32{1 << 20} }, "outside the vocabulary"},
		{"wrong model", func(f *File) { f.Model = "gpt2" }, "carries a tokenizer.json"},
		{"broken json", func(f *File) { f.HF = f.HF[:len(f.HF)/2] }, "malformed"},
	}
	for _, tt := range tests {
		g := *f
		g.hf = nil
		tt.change(&g)
		var b bytes.Buffer
		b.WriteString(`{"format":"` + FileFormat + `","model":"` + g.Model + `","hf":`)
		b.Write(g.HF)
		if len(g.Tokens) > 0 {
			b.WriteString(`,"tokens":["a"]`)
		}
		if len(g.EOS) > 0 {
			b.WriteString(`,"eos":[1048576]`)
		}
		b.WriteString("}")
		if _, err := ReadFile(&b); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}
