package logscan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSimulatorEvaluation runs the scanner on simulated traffic (500 benign
// accounts, 16 campaigns of eight kinds, 7 days) and reports ROC AUC,
// detection at 1% and 0.1% false alarms per kind, hydra clusters caught,
// benign accounts wrongly linked, time and requests to detection per kind,
// and an ablation. It asserts only what the note claims as met.
func TestSimulatorEvaluation(t *testing.T) {
	tax, err := ParseTaxonomy(mustTopics(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	labels, err := Simulate(SimConfig{Accounts: 500, Attackers: 16, Days: 7, Seed: 42}, tax, &buf)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sim.jsonl")
	os.WriteFile(path, buf.Bytes(), 0o644)
	s, err := NewScanner(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var records []Record
	st, err := Read(context.Background(), []string{path}, DefaultLayout(), func(r Record) error { s.Add(r); records = append(records, r); return nil }, nil)
	if err != nil || st.Malformed != 0 {
		t.Fatalf("read: %v %+v", err, st)
	}
	ev := s.EvaluateWithAblation(labels)
	t.Logf("%d lines; %d benign, %d attacker accounts: AUC %.3f; detected %.3f at 1%% false alarms (threshold %.3f), %.3f at 0.1%% (threshold %.3f); hydras caught %d/%d",
		st.Lines, ev.Benign, ev.Attackers, ev.AUC, ev.DetectedAt, ev.Threshold1, ev.Detected01, ev.Threshold0, ev.HydraCaught, ev.Hydras)
	for _, k := range ev.PerKind {
		t.Logf("  %-9s %2d accounts: detected %.2f at 1%%, %.2f at 0.1%%, mean score %.2f", k.Kind, k.Accounts, k.DetectedAt, k.Detected01, k.MeanScore)
	}
	rep := s.Report()
	benignLinked, benignClusters, benignFlagged := 0, 0, 0
	for _, c := range rep.Clusters {
		nb := 0
		for _, a := range c.Accounts {
			if _, bad := labels.Attackers[a]; !bad {
				nb++
			}
		}
		benignLinked += nb
		if nb > 0 {
			benignClusters++
			if c.Risk > ev.Threshold1 {
				benignFlagged += nb
			}
			t.Logf("  cluster with benign accounts: %d accounts (risk %.2f), e.g. %v", len(c.Accounts), c.Risk, c.Links[:min(1, len(c.Links))])
		}
	}
	t.Logf("  %d clusters; %d benign accounts linked into %d of them, %d in a cluster above the 1%% threshold", len(rep.Clusters), benignLinked, benignClusters, benignFlagged)
	timing, err := ReplayDetection(DefaultConfig(), records, labels, ev.Threshold1, time.Hour)
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
	if ev.HydraCaught != ev.Hydras {
		t.Errorf("hydras caught %d of %d", ev.HydraCaught, ev.Hydras)
	}
	if benignFlagged > 0 {
		t.Errorf("%d benign accounts in clusters above the 1%% threshold", benignFlagged)
	}
	if ev.AUC < 0.9 {
		t.Errorf("AUC %.3f", ev.AUC)
	}
}

// TestCalibratedThresholds calibrates on benign-only simulated traffic and
// scans a separate simulated log with thresholds at benign percentiles.
func TestCalibratedThresholds(t *testing.T) {
	tax, _ := ParseTaxonomy(mustTopics(t))
	dir := t.TempDir()
	write := func(name string, cfg SimConfig) (string, *Labels) {
		var buf bytes.Buffer
		labels, err := Simulate(cfg, tax, &buf)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, buf.Bytes(), 0o644)
		return p, labels
	}
	benign, _ := write("benign.jsonl", SimConfig{Accounts: 400, Days: 5, Seed: 7})
	mixed, labels := write("mixed.jsonl", SimConfig{Accounts: 300, Attackers: 6, Days: 5, Seed: 8})
	cfg := DefaultConfig()
	base, _, err := Calibrate(context.Background(), cfg, []string{benign})
	if err != nil {
		t.Fatal(err)
	}
	if base.Percentiles[IndVolume]["p99"] <= base.Percentiles[IndVolume]["p50"] {
		t.Fatalf("volume percentiles %v", base.Percentiles[IndVolume])
	}
	for name, r := range cfg.Rules {
		r.LoPercentile, r.HiPercentile = 99, 99.9
		cfg.Rules[name] = r
	}
	if err := cfg.Resolve(base); err != nil {
		t.Fatal(err)
	}
	rep, err := Scan(context.Background(), cfg, []string{mixed}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := Evaluate(rep, labels)
	flagged := 0
	for _, a := range rep.Accounts {
		if _, bad := labels.Attackers[a.Account]; !bad && a.Action != "none" {
			flagged++
		}
	}
	t.Logf("percentile thresholds (p99→p99.9 of benign): AUC %.3f, detected %.2f at 1%% false alarms; %d of %d benign accounts given an action",
		ev.AUC, ev.DetectedAt, flagged, len(labels.Benign))
	if ev.AUC < 0.9 {
		t.Errorf("AUC %.3f", ev.AUC)
	}
	var noBase Config = DefaultConfig()
	r := noBase.Rules[IndVolume]
	r.LoPercentile = 99
	noBase.Rules[IndVolume] = r
	if err := noBase.Resolve(nil); err == nil {
		t.Fatal("percentile thresholds without a baseline accepted")
	}
}
