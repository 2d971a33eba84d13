package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/logscan"
)

func TestScanLogs(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	topics := []string{"python", "integral", "contract", "recipe", "novel", "stock", "physics", "poem", "flight", "vaccine", "translate", "puzzle"}
	for i := 0; i < 400; i++ {
		lines = append(lines, fmt.Sprintf(`{"ts":%q,"account":"harvester","ip":"203.0.113.9","messages":[{"role":"user","content":"Explain %s case %d step by step and show your reasoning."}],"params":{"top_logprobs":5,"temperature":%.1f},"prompt_tokens":12,"completion_tokens":300}`,
			start.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), topics[i%len(topics)], i, 0.2*float64(i%6)))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	vocab := strings.Fields("so I think my teacher said the answer was wrong but maybe I missed something about how this works or why it matters for our project next week and also what should we do first honestly")
	for u := 0; u < 5; u++ {
		for i := 0; i < 25; i++ {
			n := 4 + rng.IntN(20)
			ws := []string{topics[u]}
			for k := 0; k < n; k++ {
				ws = append(ws, vocab[rng.IntN(len(vocab))])
			}
			rng.Shuffle(len(ws), func(a, b int) { ws[a], ws[b] = ws[b], ws[a] })
			lines = append(lines, fmt.Sprintf(`{"ts":%q,"account":"person%d","ip":"10.0.%d.1","prompt":%q,"params":{"temperature":0.7}}`,
				start.Add(time.Duration(u*97+i*i*13)*time.Minute).Format(time.RFC3339), u, u, strings.Join(ws, " ")))
		}
	}
	lines = append(lines, "this is not json")
	path := filepath.Join(dir, "requests.jsonl")
	os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)

	code, out, errOut := runCLI(t, "", "scan-logs", "--json", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep logscan.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Read.Malformed != 1 || rep.Read.Examples[0].Line != len(lines) {
		t.Fatalf("malformed line not reported: %+v", rep.Read)
	}
	top := rep.Accounts[0]
	if top.Account != "harvester" || (top.Action != "suspend" && top.Action != "throttle") {
		t.Fatalf("top account %s %.2f %s %v", top.Account, top.Risk, top.Action, top.Fired)
	}
	for _, a := range rep.Accounts[1:] {
		if a.Action != "none" {
			t.Errorf("%s flagged: %.2f %v", a.Account, a.Risk, a.Fired)
		}
	}
	// The table names the harvester first and says what fired.
	_, table, _ := runCLI(t, "", "scan-logs", path)
	if !strings.Contains(table, "harvester") || !strings.Contains(table, "reasoning_harvest") || !strings.Contains(table, "malformed: ") {
		t.Fatalf("table:\n%s", table)
	}
	// --out writes the HTML page and CSVs.
	outDir := filepath.Join(dir, "out")
	if code, _, errOut := runCLI(t, "", "scan-logs", "--out", outDir, "--html-accounts", "1", path); code != 0 {
		t.Fatalf("--out: %s", errOut)
	}
	html, _ := os.ReadFile(filepath.Join(outDir, "report.html"))
	csvData, _ := os.ReadFile(filepath.Join(outDir, "accounts.csv"))
	if !strings.Contains(string(html), "harvester") || strings.Contains(string(html), "<script") ||
		!strings.HasPrefix(string(csvData), "account,requests") || strings.Count(string(csvData), "\n") != len(rep.Accounts)+1 {
		t.Fatalf("outputs: html %d bytes, csv %q…", len(html), string(csvData[:min(80, len(csvData))]))
	}
	// The page details the one flagged account asked for, replayed.
	if !strings.Contains(string(html), `id="fig-activity-1"`) || !strings.Contains(string(html), "first fired by") || strings.Contains(string(html), `id="fig-activity-2"`) {
		t.Errorf("the page does not detail exactly the harvester, replayed")
	}
	// Bad config and missing files are clear errors.
	bad := filepath.Join(dir, "rules.yaml")
	os.WriteFile(bad, []byte("rules:\n  volumes: {lo: 1, hi: 2, strength: 0.5}\n"), 0o644)
	if code, _, errOut := runCLI(t, "", "scan-logs", "--config", bad, path); code != 1 || !strings.Contains(errOut, "unknown indicator") {
		t.Fatalf("bad config: %d %s", code, errOut)
	}
	if code, _, _ := runCLI(t, "", "scan-logs"); code != 2 {
		t.Fatal("no files must be a usage error")
	}
	if code, _, errOut := runCLI(t, "", "scan-logs", filepath.Join(dir, "nope.jsonl")); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Fatalf("missing file: %d %s", code, errOut)
	}
}

func TestSimulateTrafficThenScan(t *testing.T) {
	dir := t.TempDir()
	logPath, labelsPath := filepath.Join(dir, "sim.jsonl"), filepath.Join(dir, "labels.json")
	code, out, errOut := runCLI(t, "", "simulate-traffic", "--accounts", "60", "--attackers", "6", "--days", "2", "--seed", "3", "--out", logPath, "--labels", labelsPath)
	if code != 0 || !strings.Contains(out, "60 benign accounts") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	var labels logscan.Labels
	data, _ := os.ReadFile(labelsPath)
	if err := json.Unmarshal(data, &labels); err != nil || len(labels.Benign) != 60 || len(labels.Attackers) < 6 || len(labels.Clusters) != 1 {
		t.Fatalf("labels: %v %+v", err, labels)
	}
	code, out, _ = runCLI(t, "", "scan-logs", "--json", logPath)
	if code != 0 {
		t.Fatal(out)
	}
	var rep logscan.Report
	json.Unmarshal([]byte(out), &rep)
	ev := logscan.Evaluate(&rep, &labels)
	t.Logf("AUC %.3f, detected %.2f at 1%% false alarms", ev.AUC, ev.DetectedAt)
	if ev.AUC < 0.9 {
		t.Errorf("AUC %.3f on the simulated log", ev.AUC)
	}
	if code, _, _ := runCLI(t, "", "simulate-traffic", "--out", logPath); code != 2 {
		t.Fatal("missing --labels must be a usage error")
	}
}

func TestScanLogsCalibrate(t *testing.T) {
	dir := t.TempDir()
	logPath, labelsPath := filepath.Join(dir, "sim.jsonl"), filepath.Join(dir, "labels.json")
	if code, _, errOut := runCLI(t, "", "simulate-traffic", "--accounts", "120", "--attackers", "0", "--days", "2", "--out", logPath, "--labels", labelsPath); code != 0 {
		t.Fatal(errOut)
	}
	calib := filepath.Join(dir, "calib.json")
	code, out, errOut := runCLI(t, "", "scan-logs", "calibrate", "--out", calib, logPath)
	if code != 0 || !strings.Contains(out, "distributions of") {
		t.Fatalf("calibrate: %d %s %s", code, out, errOut)
	}
	// A config of the thresholds before issue 19 says what replaced them.
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, []byte("rules:\n  volume: {lo_percentile: 99, hi_percentile: 99.9}\n"), 0o644)
	if code, _, errOut := runCLI(t, "", "scan-logs", "--config", rules, logPath); code != 1 || !strings.Contains(errOut, "no longer used") {
		t.Fatalf("old percentile rules: %d %s", code, errOut)
	}
	code, out, errOut = runCLI(t, "", "scan-logs", "--baseline", calib, "--json", logPath)
	var rep logscan.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Reference.Source != "baseline" || rep.Reference.Accounts != 120 {
		t.Fatalf("with baseline: %d %s %+v", code, errOut, rep.Reference)
	}
	if code, _, errOut := runCLI(t, "", "scan-logs", "--reference", "mine", logPath); code != 2 || !strings.Contains(errOut, "--reference") {
		t.Fatalf("bad --reference: %d %s", code, errOut)
	}
}

// TestScanLogsBenchmarks: a suite added with --benchmarks is recognised:
// an account that sends only its items counts them as public and is
// judged on nothing else.
func TestScanLogsBenchmarks(t *testing.T) {
	dir := t.TempDir()
	var items, lines []string
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(19, 1))
	vocab := strings.Fields("farmer goats market river bakery bicycle lantern orchard pebbles violin harbour copper meadow thimble glacier parcel kettle ribbon tunnel walnut saddle compass beacon marble ferry quilt anvil cider hedge")
	for i := 0; i < 40; i++ {
		ws := make([]string, 24)
		for k := range ws {
			ws[k] = vocab[rng.IntN(len(vocab))]
		}
		item := strings.Join(ws, " ") + "?"
		items = append(items, item)
		lines = append(lines, fmt.Sprintf(`{"ts":%q,"account":"lab","messages":[{"role":"user","content":%q}],"params":{"temperature":0},"prompt_tokens":60,"completion_tokens":5}`,
			start.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), "Question: "+item+"\nAnswer:"))
	}
	itemsPath, fp, logPath := filepath.Join(dir, "items.txt"), filepath.Join(dir, "suite.fp"), filepath.Join(dir, "log.jsonl")
	os.WriteFile(itemsPath, []byte(strings.Join(items, "\n")+"\n"), 0o644)
	os.WriteFile(logPath, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	if code, _, errOut := runCLI(t, "", "scan-logs", "fingerprints", "build", "--suite", "goats", "-o", fp, itemsPath); code != 0 {
		t.Fatalf("fingerprints build: %s", errOut)
	}
	public := func(args ...string) float64 {
		code, out, errOut := runCLI(t, "", append([]string{"scan-logs", "--json"}, args...)...)
		var rep logscan.Report
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
			t.Fatalf("scan: %d %s", code, errOut)
		}
		for _, in := range rep.Accounts[0].Indicators {
			if in.Name == logscan.IndPublic {
				return in.Value
			}
		}
		return -1
	}
	if v := public(logPath); v != 0 {
		t.Errorf("public_items %v without the suite", v)
	}
	if v := public("--benchmarks", fp, logPath); v != 1 {
		t.Errorf("public_items %v with the suite, want 1", v)
	}
}
