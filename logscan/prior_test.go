package logscan_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"forensics/internal/measure"
	"forensics/internal/traffic"
	"forensics/logscan"
	"forensics/logscan/benchmarks"
)

var updatePrior = flag.Bool("update-prior", false, "rewrite logscan/scanprior.json from the simulator's benign traffic")

// priorTraffic is the simulated benign population the shipped prior is
// calibrated on: every benign kind of internal/traffic, no campaign.
var priorTraffic = traffic.Config{Accounts: 1500, Days: 7, Seed: 2026}

// simOptions are the scan's options in the simulated world: its
// evaluation labs run the simulator's synthetic suites, which are public
// benchmarks there, so their fingerprints join the shipped ones.
func simOptions() logscan.Options {
	set := benchmarks.Default()
	suites := traffic.EvalSuites()
	names := make([]string, 0, len(suites))
	for n := range suites {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		set = set.Merge(benchmarks.Build("sim-"+n, suites[n]))
	}
	return logscan.Options{Public: set}
}

// buildPrior computes the prior from the simulator's benign traffic.
func buildPrior(t *testing.T) []byte {
	dir := t.TempDir()
	var buf bytes.Buffer
	if _, err := traffic.Simulate(priorTraffic, &buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "benign.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b, _, err := logscan.Calibrate(context.Background(), logscan.DefaultConfig(), simOptions(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	b.Features = featuresHash(t)
	out := filepath.Join(dir, "prior.json")
	if err := b.WriteFile(out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// featuresHash hashes every indicator value this build computes on a
// small fixed simulated log.
func featuresHash(t *testing.T) string {
	var buf bytes.Buffer
	if _, err := traffic.Simulate(traffic.Config{Accounts: 60, Attackers: 14, Days: 1, Seed: 1}, &buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "small.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := simOptions()
	opts.Reference = logscan.RefLog
	rep, err := logscan.ScanWith(context.Background(), logscan.DefaultConfig(), opts, []string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, a := range rep.Accounts {
		fmt.Fprintln(h, a.Account)
		for _, in := range a.Indicators {
			fmt.Fprintln(h, in.Name, in.Value, in.Judged)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestShippedPrior: the shipped prior was made by this build's features
// (a hash of what they compute on a small log; the full recomputation is
// TestShippedPriorRecomputed). After a change to the features:
// go test ./logscan -run ShippedPrior -update-prior.
func TestShippedPrior(t *testing.T) {
	if *updatePrior {
		data := buildPrior(t)
		if err := os.WriteFile("scanprior.json", data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote scanprior.json, %d bytes", len(data))
		return
	}
	p, err := logscan.ShippedPrior()
	if err != nil || p.Accounts != priorTraffic.Accounts {
		t.Fatalf("shipped prior: %v, %+v", err, p)
	}
	if got := featuresHash(t); got != p.Features {
		t.Fatalf("scanprior.json was made by other features (%s, this build %s): run go test ./logscan -run ShippedPrior -update-prior", p.Features, got)
	}
}

// TestShippedPriorRecomputed: the shipped prior is byte for byte what this
// build computes.
func TestShippedPriorRecomputed(t *testing.T) {
	measure.Require(t, "the shipped prior recomputed from 1,500 simulated accounts; about 30 s")
	want, err := os.ReadFile("scanprior.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := buildPrior(t); !bytes.Equal(got, want) {
		t.Fatalf("scanprior.json is not what this build computes (%d bytes, want %d): run go test ./logscan -run ShippedPrior -update-prior", len(got), len(want))
	}
}
