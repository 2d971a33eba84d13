package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/logscan/benchmarks"
)

// Items written for this test; none is from a public benchmark.
var cliItems = []string{
	"A cyclist rides 18 kilometres to the lake, rests for 40 minutes, then rides home against the wind at two thirds of her outbound speed. How long is she away if she left at nine?",
	"A library lends 126 novels on Monday, twice as many on Tuesday, and 45 fewer than Tuesday on Wednesday. How many novels did it lend over the three days?",
}

func TestFingerprintsBuildAndList(t *testing.T) {
	dir := t.TempDir()
	items := filepath.Join(dir, "items.jsonl")
	var lines []string
	for _, it := range cliItems {
		b, _ := json.Marshal(map[string]string{"question": it})
		lines = append(lines, string(b))
	}
	if err := os.WriteFile(items, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(dir, "mine.fp")
	code, out, errOut := runCLI(t, "", "scan-logs", "fingerprints", "build", "--suite", "our-evals", "--field", "question", items, "-o", mine)
	if code != 0 || !strings.Contains(out, "2 items fingerprinted, 0 skipped") {
		t.Fatalf("build: %d %q %q", code, out, errOut)
	}
	set, err := benchmarks.Load(mine)
	if err != nil {
		t.Fatal(err)
	}
	if suite, ok := set.Match("Question: " + cliItems[1] + "\nAnswer: Let's think step by step."); !ok || suite != "our-evals" {
		t.Errorf("the built set: Match = %q, %v", suite, ok)
	}

	// Merged with a copy of the shipped set, listed as JSON.
	shipped := filepath.Join(dir, "shipped.fp")
	f, err := os.Create(shipped)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := benchmarks.Default().WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	all := filepath.Join(dir, "all.fp")
	if code, _, errOut := runCLI(t, "", "scan-logs", "fingerprints", "build", "--suite", "our-evals", "--field", "question", "--merge", shipped, items, "-o", all); code != 0 {
		t.Fatalf("build --merge: %d %s", code, errOut)
	}
	code, out, _ = runCLI(t, "", "scan-logs", "fingerprints", "list", "--json", all)
	var suites []benchmarks.SuiteInfo
	if code != 0 || json.Unmarshal([]byte(out), &suites) != nil {
		t.Fatalf("list --json: %d %q", code, out)
	}
	want := append(benchmarks.Default().Suites(), benchmarks.SuiteInfo{Name: "our-evals", Items: 2})
	if len(suites) != len(want) || suites[len(suites)-1] != want[len(want)-1] || suites[0] != want[0] {
		t.Errorf("list --json: %+v, want %+v", suites, want)
	}
}

func TestFingerprintsListShipped(t *testing.T) {
	code, out, errOut := runCLI(t, "", "scan-logs", "fingerprints", "list")
	if code != 0 {
		t.Fatalf("list: %d %s", code, errOut)
	}
	for _, s := range []string{"SUITE", "gsm8k", "humaneval", "mbpp", "truthfulqa", "total"} {
		if !strings.Contains(out, s) {
			t.Errorf("list output lacks %q:\n%s", s, out)
		}
	}
}

func TestFingerprintsErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.fp")
	os.WriteFile(bad, []byte("not fingerprints"), 0o644)
	if code, _, errOut := runCLI(t, "", "scan-logs", "fingerprints", "list", bad); code != 1 || !strings.Contains(errOut, "not a fingerprint file") {
		t.Errorf("list of a bad file: %d %q", code, errOut)
	}
	items := filepath.Join(dir, "items.jsonl")
	os.WriteFile(items, []byte(`{"q":"x"}`+"\n"), 0o644)
	if code, _, errOut := runCLI(t, "", "scan-logs", "fingerprints", "build", "--suite", "s", items, "-o", filepath.Join(dir, "o.fp")); code != 1 || !strings.Contains(errOut, `field "text": missing`) {
		t.Errorf("build with the wrong field: %d %q", code, errOut)
	}
	short := filepath.Join(dir, "short.txt")
	os.WriteFile(short, []byte("What is it?\nWho was he?\n"), 0o644)
	if code, _, errOut := runCLI(t, "", "scan-logs", "fingerprints", "build", "--suite", "s", short, "-o", filepath.Join(dir, "o.fp")); code != 1 || !strings.Contains(errOut, "none of 2 items") {
		t.Errorf("build of items too short to fingerprint: %d %q", code, errOut)
	}
}
