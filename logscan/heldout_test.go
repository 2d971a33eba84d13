package logscan_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"forensics/internal/heldout"
	"forensics/internal/measure"
	"forensics/logscan"
)

// TestHeldOutEvaluation judges the scanner on traffic it was not tuned on:
// internal/heldout, written by a helper that read neither the scanner nor
// the project's simulator, run with the thresholds fixed before it was
// first scanned (docs/experiments/scan-heldout-plan.md). It reports what
// it measures and asserts nothing about detection: the plan's criteria are
// compared in docs/scan-logs.md, whatever the numbers are.
func TestHeldOutEvaluation(t *testing.T) {
	measure.Require(t, "the scanner on the held-out generator at scale 1 (about 670,000 lines), three ways; several minutes")
	dir := t.TempDir()
	var log, accts bytes.Buffer
	labels, err := heldout.Generate(heldout.Config{Seed: 1, Scale: 1}, &log, &accts)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "heldout.jsonl")
	if err := os.WriteFile(logPath, log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	business, err := logscan.ReadAccounts(context.Background(), &accts)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Count(log.Bytes(), []byte("\n"))
	log.Reset()
	for _, run := range []struct {
		name string
		opts logscan.Options
	}{
		{"the shipped prior as the reference, with the accounts file", logscan.Options{Business: business}},
		{"the shipped prior as the reference, without the accounts file", logscan.Options{}},
		{"the log's own accounts as the reference, with the accounts file", logscan.Options{Business: business, Reference: logscan.RefLog}},
	} {
		start := time.Now()
		rep, err := logscan.ScanWith(context.Background(), logscan.DefaultConfig(), run.opts, []string{logPath}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("== %s (scan %.0f s)", run.name, time.Since(start).Seconds())
		ev := logscan.Evaluate(rep, labels)
		logEvaluation(t, lines, ev)
		benignInClusters(t, rep, labels, ev.Threshold1)
	}
}
