package logscan_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"forensics/internal/measure"
	"forensics/internal/traffic"
	"forensics/logscan"
)

// simulated is a scan of simulated traffic.
type simulated struct {
	opts    logscan.Options
	labels  *logscan.Labels
	scanner *logscan.Scanner
	records []logscan.Record
	lines   int
}

// scanSimulated simulates a log under cfg and feeds it to a scanner.
func scanSimulated(t *testing.T, cfg traffic.Config) simulated {
	t.Helper()
	var buf, accts bytes.Buffer
	cfg.AccountsOut = &accts
	labels, err := traffic.Simulate(cfg, &buf)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sim.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := logscan.NewScanner(logscan.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	opts := simOptions()
	if opts.Business, err = logscan.ReadAccounts(context.Background(), &accts); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOptions(opts); err != nil {
		t.Fatal(err)
	}
	sim := simulated{opts: opts, labels: labels, scanner: s}
	st, err := logscan.Read(context.Background(), []string{path}, logscan.DefaultLayout(),
		func(r logscan.Record) error { s.Add(r); sim.records = append(sim.records, r); return nil }, nil)
	if err != nil || st.Malformed != 0 {
		t.Fatalf("read: %v %+v", err, st)
	}
	sim.lines = st.Lines
	return sim
}

// logEvaluation logs the evaluation's headline and per-kind numbers.
func logEvaluation(t *testing.T, lines int, ev logscan.Evaluation) {
	t.Logf("%d lines; %d benign, %d attacker accounts: AUC %.3f; detected %.3f at 1%% false alarms (threshold %.3f), %.3f at 0.1%% (threshold %.3f); campaigns caught %d/%d",
		lines, ev.Benign, ev.Attackers, ev.AUC, ev.DetectedAt, ev.Threshold1, ev.Detected01, ev.Threshold0, ev.CampaignsCaught, ev.Campaigns)
	t.Logf("  actions with the default thresholds: benign %+v of %d; attackers %+v of %d", ev.BenignActions, ev.Benign, ev.AttackerActions, ev.Attackers)
	for _, k := range ev.PerKind {
		t.Logf("  %-14s %3d accounts: AUC %.3f, detected %.2f at 1%%, %.2f at 0.1%%, mean score %.2f, actions %+v",
			k.Kind, k.Accounts, k.AUC, k.DetectedAt, k.Detected01, k.MeanScore, k.Actions)
	}
	for _, k := range ev.PerBenignKind {
		t.Logf("  benign %-14s %3d accounts: %.3f above the 1%% threshold, max score %.2f, actions %+v", k.Kind, k.Accounts, k.Above1, k.MaxScore, k.Actions)
	}
}

// benignInClusters counts the benign accounts linked into clusters, and
// those in clusters scored above threshold, logging each such cluster.
func benignInClusters(t *testing.T, rep *logscan.Report, labels *logscan.Labels, threshold float64) (linked, flagged int) {
	clusters := 0
	for _, c := range rep.Clusters {
		nb := 0
		for _, a := range c.Accounts {
			if _, bad := labels.Attackers[a]; !bad {
				nb++
			}
		}
		linked += nb
		if nb > 0 {
			clusters++
			if c.Score > threshold {
				flagged += nb
			}
			t.Logf("  cluster with benign accounts: %d accounts (score %.2f), e.g. %v", len(c.Accounts), c.Score, c.Links[:min(1, len(c.Links))])
		}
	}
	t.Logf("  %d clusters; %d benign accounts linked into %d of them, %d in a cluster above the 1%% threshold", len(rep.Clusters), linked, clusters, flagged)
	return linked, flagged
}

// TestSimulatorEvaluation runs the scanner on simulated traffic (500 benign
// accounts of eleven kinds, 28 campaigns of fourteen kinds, 7 days) and
// reports ROC AUC, detection at 1% and 0.1% false alarms per kind, the
// actions the default thresholds give per kind, campaigns caught, benign
// accounts linked, time and requests to detection per kind, and an
// ablation. It asserts only what the note claims as met.
func TestSimulatorEvaluation(t *testing.T) {
	measure.Require(t, "the scanner on 175,000 simulated requests, with replay and ablation; about a minute")
	sim := scanSimulated(t, traffic.Config{Accounts: 500, Attackers: 28, Days: 7, Seed: 42})
	ev := sim.scanner.EvaluateWithAblation(sim.labels)
	logEvaluation(t, sim.lines, ev)
	benignInClusters(t, sim.scanner.Report(), sim.labels, ev.Threshold1)
	timing, err := logscan.ReplayDetection(logscan.DefaultConfig(), sim.opts, sim.records, sim.labels, ev.Threshold1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range timing {
		t.Logf("  %-9s detected %d/%d while the log was written (hourly judgement at the 1%% threshold); median %.1f h and %d requests after its first request",
			k.Kind, k.Detected, k.Accounts, k.MedianHours, k.MedianRequests)
	}
	for _, a := range ev.Ablation {
		t.Logf("  without %-18s AUC %.3f, detected %.3f at 1%%", a.Without, a.AUC, a.DetectedAt)
	}
	// What the closing note of issue 19 claims on this simulator: no
	// benign account throttled or suspended, and the ranking's AUC.
	if n := ev.BenignActions.Throttle + ev.BenignActions.Suspend; n > 0 {
		t.Errorf("%d benign accounts throttled or suspended", n)
	}
	if ev.AUC < 0.95 {
		t.Errorf("AUC %.3f", ev.AUC)
	}
}

// TestSimulatorEvaluationSmall is the unit-suite version: 200 benign
// accounts and the first eight campaign kinds over 2 days (the log
// internal/bench scans). It asserts what does not depend on the
// population's size: AUC at least 0.9, no benign account in a cluster
// above the 1% threshold, and a single account harvesting at volume, for
// reasoning traces, or sweeping parameters caught at 1% false alarms.
func TestSimulatorEvaluationSmall(t *testing.T) {
	sim := scanSimulated(t, traffic.Config{Accounts: 200, Attackers: 8, Days: 2, Seed: 1})
	rep := sim.scanner.Report()
	ev := logscan.Evaluate(rep, sim.labels)
	logEvaluation(t, sim.lines, ev)
	_, benignFlagged := benignInClusters(t, rep, sim.labels, ev.Threshold1)
	if ev.AUC < 0.9 {
		t.Errorf("AUC %.3f, want at least 0.9", ev.AUC)
	}
	if benignFlagged > 0 {
		t.Errorf("%d benign accounts in clusters above the 1%% threshold", benignFlagged)
	}
	// A single account harvesting at volume, for reasoning traces, or
	// sweeping parameters with logprobs is caught whatever the crowd.
	caught := map[string]bool{}
	for _, k := range ev.PerKind {
		caught[k.Kind] = k.DetectedAt == 1
	}
	for _, kind := range []string{logscan.KindBulk, logscan.KindCoT, logscan.KindSweep} {
		if !caught[kind] {
			t.Errorf("%s campaign not detected at 1%% false alarms", kind)
		}
	}
}

// TestCalibratedThresholds calibrates on benign-only simulated traffic and
// scans a separate simulated log against that baseline.
func TestCalibratedThresholds(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, cfg traffic.Config) (string, *logscan.Labels) {
		var buf bytes.Buffer
		labels, err := traffic.Simulate(cfg, &buf)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, buf.Bytes(), 0o644)
		return p, labels
	}
	benign, _ := write("benign.jsonl", traffic.Config{Accounts: 400, Days: 5, Seed: 7})
	mixed, labels := write("mixed.jsonl", traffic.Config{Accounts: 300, Attackers: 6, Days: 5, Seed: 8})
	cfg := logscan.DefaultConfig()
	base, _, err := logscan.Calibrate(context.Background(), cfg, logscan.Options{}, []string{benign})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "base.json")
	if err := base.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if base, err = logscan.LoadBaseline(path); err != nil {
		t.Fatal(err)
	}
	rep, err := logscan.ScanWith(context.Background(), cfg, logscan.Options{Baseline: base}, []string{mixed}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Reference.Source != "baseline" || rep.Reference.Accounts != 400 {
		t.Errorf("reference %+v", rep.Reference)
	}
	ev := logscan.Evaluate(rep, labels)
	t.Logf("against a baseline of 400 benign accounts: AUC %.3f, detected %.2f at 1%% false alarms; benign actions %+v, attacker actions %+v",
		ev.AUC, ev.DetectedAt, ev.BenignActions, ev.AttackerActions)
	if ev.AUC < 0.9 {
		t.Errorf("AUC %.3f", ev.AUC)
	}
}
