package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"forensics/llm/embedded"
)

// TestBundleNamesNoLocalPath makes a bundle from targets under one
// folder, as an examiner's home would hold them (a key file, a model
// file, answers collected elsewhere), renders its reports, resumes it and
// verifies it: no file of the bundle, rendered reports and the PDF's text
// included, may name that folder or the key file's path. A bundle is
// handed to others, and a key's path says where the secret is kept.
func TestBundleNamesNoLocalPath(t *testing.T) {
	home := filepath.Join(t.TempDir(), "examiner-home")
	keyPath := filepath.Join(home, "keys", "main.yaml")
	os.MkdirAll(filepath.Dir(keyPath), 0o700)
	if err := os.Rename(fixedKeyFile(t, 7), keyPath); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(home, "models", "control.model")
	writeModel(t, model)
	answers := filepath.Join(home, "collected", "answers.jsonl")
	os.MkdirAll(filepath.Dir(answers), 0o755)
	os.WriteFile(answers, []byte(`{"prompt":"Tell me about the sea.","text":"The sea is wide and the wind is cold."}`+"\n"), 0o644)
	sign := filepath.Join(home, "keys", "signer.key")
	if code, _, stderr := runCLI(t, "", "keygen", "--signing", "--out", sign); code != 0 {
		t.Fatalf("keygen: %s", stderr)
	}
	bundle := filepath.Join(home, "cases", "case-17")
	args := []string{"probe", "--target", "embedded:reference?plant=1&key=" + keyPath, "--key", keyPath,
		"--reference", "embedded:reference?key=" + keyPath, "--control", "embedded:" + model, "--control", "file:" + answers,
		"--tokenizer", "embedded", "--prompts", "12", "--equality-prompts", "4", "--triggers", "2", "--max-tokens", "40",
		"--null-keys", "20", "--rounds", "99", "--sign", sign, "--out", bundle}
	if code, out, stderr := runCLI(t, "", args...); code != 0 {
		t.Fatalf("probe: %d\n%s\n%s", code, out, stderr)
	}
	// The same command resumes: the manifest's names are made again from
	// the same specs and match.
	if code, out, stderr := runCLI(t, "", args...); code != 0 || !strings.Contains(stderr, "resuming") {
		t.Fatalf("re-run: %d\n%s\n%s", code, out, stderr)
	}
	if code, out, stderr := runCLI(t, "", "report", "--sign", sign, "--case-id", "X-17", bundle); code != 0 {
		t.Fatalf("report: %d\n%s\n%s", code, out, stderr)
	}
	if code, out, stderr := runCLI(t, "", "verify", "--key", keyPath, "--pub", sign+".pub", bundle); code != 0 || strings.Contains(out, "FAIL") {
		t.Fatalf("verify: %d\n%s\n%s", code, out, stderr)
	}
	secrets := []string{home, keyPath, filepath.Dir(home), "keys/main.yaml", "collected/answers.jsonl"}
	files := map[string][]byte{}
	filepath.WalkDir(bundle, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, rerr := os.ReadFile(path)
			if rerr != nil {
				t.Fatal(rerr)
			}
			files[filepath.Base(path)] = data
		}
		return nil
	})
	if pdftotext, err := exec.LookPath("pdftotext"); err == nil {
		text, err := exec.Command(pdftotext, filepath.Join(bundle, "report.pdf"), "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		files["report.pdf as text"] = text
	} else if os.Getenv("FORENSICS_REQUIRE_REPORT_TOOLS") != "" {
		t.Fatal("pdftotext is not installed")
	}
	for _, want := range []string{"manifest.json", "transcripts.jsonl", "results.json", "report.html", "report.md", "report.json", "source-control-2.jsonl"} {
		if files[want] == nil {
			t.Errorf("the bundle has no %s", want)
		}
	}
	for name, data := range files {
		for _, s := range secrets {
			if i := bytes.Index(data, []byte(s)); i >= 0 {
				t.Errorf("%s names %q: …%s…", name, s, data[max(0, i-80):min(len(data), i+len(s)+40)])
			}
		}
	}
	// What the report names instead: the model by base name and hash, the
	// key by id and commitment.
	for _, want := range []string{"embedded:control.model?sha256=", "key_id=fixed-7&amp;key_commitment=", "file:answers.jsonl?sha256=", "--key=main.yaml"} {
		if !bytes.Contains(files["report.html"], []byte(want)) {
			t.Errorf("report.html does not name %q", want)
		}
	}
}

// writeModel trains a small n-gram model file.
func writeModel(t *testing.T, path string) {
	t.Helper()
	var texts []string
	for i := range 200 {
		texts = append(texts, fmt.Sprintf("The harbour master counted %d boats at dawn, and the gulls followed the last one home.", i))
	}
	a, err := embedded.Train(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := embedded.WriteModelFile(path, a, 3, "test control"); err != nil {
		t.Fatal(err)
	}
}
