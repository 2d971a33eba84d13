package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/evidence"
	"forensics/reqlog"
)

// TestVerifyLogCommand writes a signed log with the log writer, verifies it
// with the command (pinned signer and side file), then edits one line and
// cuts the tail: each time the command exits 1 and names the line.
func TestVerifyLogCommand(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "signer.key")
	if _, err := evidence.WriteSigningKey(keyPath, false); err != nil {
		t.Fatal(err)
	}
	key, err := evidence.LoadSigningKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "requests.jsonl")
	w, err := reqlog.Open(reqlog.Options{Path: path, Signer: key, CheckpointEvery: time.Nanosecond, MaxBytes: 2 << 10, Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 60; i++ {
		w.Append([]byte(`{"ts":"2026-11-26T12:00:00Z","account":"a","status":200,"prompt":"hello there"}`))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	args := []string{"verify-log", "--pub", keyPath + ".pub", "--checkpoints", path + ".checkpoints", path}
	code, out, stderr := runCLI(t, "", args...)
	if code != 0 || !strings.Contains(out, "chain intact") || !strings.Contains(out, "with a verified signature") {
		t.Fatalf("clean log: %d\n%s%s", code, out, stderr)
	}
	if code, out, _ := runCLI(t, "", append([]string{"verify-log", "--json"}, path)...); code != 0 || !strings.Contains(out, `"ok":true`) {
		t.Fatalf("--json: %d %s", code, out)
	}
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	edited := strings.Replace(strings.Join(lines, ""), "hello there", "hello THERE", 1)
	os.WriteFile(path, []byte(edited), 0o640)
	code, _, stderr = runCLI(t, "", args...)
	if code != 1 || !strings.Contains(stderr, "line ") || !strings.Contains(stderr, "prev does not match") {
		t.Fatalf("edited line: %d %s", code, stderr)
	}
	os.WriteFile(path, []byte(strings.Join(lines[:2], "")), 0o640)
	code, _, stderr = runCLI(t, "", args...)
	if code != 1 || !strings.Contains(stderr, "the log was cut") {
		t.Fatalf("cut log: %d %s", code, stderr)
	}
}
