package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// examples.jsonl is what gen makes of src/ (go generate ./corpora/reasoning
// rewrites it after an edit).
func TestExamplesUpToDate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "examples.jsonl")
	if err := run("../src", out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../examples.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("examples.jsonl is not what gen makes of src/: run go generate ./corpora/reasoning")
	}
}

func TestReadSourcesRejects(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "xx.txt"), []byte("Q: not a kind\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readSources(dir); err == nil {
		t.Error("accepted a line of unknown kind")
	}
}
