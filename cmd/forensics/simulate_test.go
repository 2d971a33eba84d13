package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/logscan"
)

// TestSimulateTrafficAccountsOut: --accounts-out writes an accounts file
// scan-logs reads, with every labelled account.
func TestSimulateTrafficAccountsOut(t *testing.T) {
	dir := t.TempDir()
	logPath, labelsPath, acctsPath := filepath.Join(dir, "sim.jsonl"), filepath.Join(dir, "labels.json"), filepath.Join(dir, "accounts.jsonl")
	code, out, errOut := runCLI(t, "", "simulate-traffic", "--accounts", "50", "--attackers", "2", "--days", "1", "--out", logPath, "--labels", labelsPath, "--accounts-out", acctsPath)
	if code != 0 || !strings.Contains(out, "wrote "+acctsPath) {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	var labels logscan.Labels
	data, _ := os.ReadFile(labelsPath)
	if err := json.Unmarshal(data, &labels); err != nil {
		t.Fatal(err)
	}
	accts, err := logscan.LoadAccounts(context.Background(), acctsPath)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(labels.Benign) + len(labels.Attackers); len(accts) != want {
		t.Errorf("%d accounts in the file, %d labelled", len(accts), want)
	}
	for _, a := range labels.Benign {
		if accts[a] == nil || accts[a].Created.IsZero() {
			t.Errorf("%s: %+v", a, accts[a])
		}
	}
}
