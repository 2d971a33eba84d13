package logscan_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"forensics/internal/traffic"
	"forensics/logscan"
)

var updatePrior = flag.Bool("update-prior", false, "rewrite logscan/scanprior.json from the simulator's benign traffic")

// priorTraffic is the simulated benign population the shipped prior is
// calibrated on: every benign kind of internal/traffic, no campaign.
var priorTraffic = traffic.Config{Accounts: 1500, Days: 7, Seed: 2026}

// TestShippedPrior: the shipped prior is what this build's scanner
// computes on the simulator's benign traffic (go test ./logscan -run
// ShippedPrior -update-prior rewrites it after a change to the features).
func TestShippedPrior(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	if _, err := traffic.Simulate(priorTraffic, &buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "benign.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b, _, err := logscan.Calibrate(context.Background(), logscan.DefaultConfig(), logscan.Options{}, []string{path})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "prior.json")
	if err := b.WriteFile(out); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	if *updatePrior {
		if err := os.WriteFile("scanprior.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote scanprior.json: %d accounts, %d bytes", b.Accounts, len(got))
		return
	}
	want, err := os.ReadFile("scanprior.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("scanprior.json is not what this build computes (%d bytes, want %d): run go test ./logscan -run ShippedPrior -update-prior", len(got), len(want))
	}
	p, err := logscan.ShippedPrior()
	if err != nil || p.Accounts != priorTraffic.Accounts {
		t.Fatalf("shipped prior: %v, %+v", err, p)
	}
}
