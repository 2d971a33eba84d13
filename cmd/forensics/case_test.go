package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/caseledger"
	"forensics/evidence"
	"forensics/serve"
)

// TestCaseCommands runs a gateway with cases and drives it with case
// open, list and close; the ledger it wrote then verifies.
func TestCaseCommands(t *testing.T) {
	dir := t.TempDir()
	signer := filepath.Join(dir, "signer.key")
	if _, err := evidence.WriteSigningKey(signer, false); err != nil {
		t.Fatal(err)
	}
	adminKey := filepath.Join(dir, "admin.key")
	os.WriteFile(adminKey, []byte("admin-secret\n"), 0o600)
	ledger := filepath.Join(dir, "cases.jsonl")
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
keys: {k: %s}
defaults: {key: k}
accounts: [{name: dev, api_keys: [%q]}, {name: dev2, api_keys: [%q]}]
admin_api_keys: [%q]
log: {path: %s, signing_key: %s}
cases: {ledger: %s}
`, newKeyFile(t), serve.HashAPIKey("dev"), serve.HashAPIKey("dev2"), serve.HashAPIKey("admin-secret"), filepath.Join(dir, "requests.jsonl"), signer, ledger)
	cfgPath := filepath.Join(dir, "serve.yaml")
	os.WriteFile(cfgPath, []byte(cfg), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	var errOut bytes.Buffer
	opts := &serveOptions{io: &ioStreams{Out: &bytes.Buffer{}, ErrOut: &errOut}, Config: cfgPath, ready: func(a string) { addrc <- a }}
	done := make(chan error, 1)
	go func() { done <- serveRun(ctx, opts) }()
	var gw string
	select {
	case a := <-addrc:
		gw = "http://" + a
	case err := <-done:
		t.Fatalf("serve exited: %v (%s)", err, errOut.String())
	}
	wrongKey := filepath.Join(dir, "wrong.key")
	os.WriteFile(wrongKey, []byte("nope"), 0o600)
	flags := []string{"--gateway", gw, "--admin-key-file", adminKey}
	steps := []struct {
		args []string
		code int
		want string
	}{
		{append([]string{"case", "open", "--accounts", "dev,dev2", "--note", "ticket 9"}, flags...), 0, "case-0001  effective "},
		{append([]string{"case", "open", "--accounts", "dev"}, flags...), 1, "already in open case case-0001"},
		{append([]string{"case", "list", "--json"}, flags...), 0, `"members"`},
		{append([]string{"case", "close", "--case", "case-0001"}, flags...), 0, "closed"},
		{[]string{"case", "list", "--gateway", gw, "--admin-key-file", wrongKey}, 1, "401"},
	}
	for _, s := range steps {
		code, out, stderr := runCLI(t, "", s.args...)
		if code != s.code || !strings.Contains(out+stderr, s.want) {
			t.Errorf("%q: %d\n%s%s\nwant %d and %q", s.args, code, out, stderr, s.code, s.want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	reqLog := filepath.Join(dir, "requests.jsonl")
	if code, out, stderr := runCLI(t, "", "verify-ledger", "--public-key", signer+".pub", "--request-log", reqLog, ledger); code != 0 || !strings.Contains(out, "dev, dev2") ||
		!strings.Contains(out, "records 2 of the 2 events") {
		t.Errorf("the gateway's ledger: %d %s%s", code, out, stderr)
	}
	// The ledger cut after its opening (the closing dropped) still chains
	// and verifies alone, but not against the gateway's request log.
	data, _ := os.ReadFile(ledger)
	first := data[:bytes.IndexByte(data, '\n')+1]
	cut := filepath.Join(dir, "cut.jsonl")
	os.WriteFile(cut, first, 0o600)
	if code, _, _ := runCLI(t, "", "verify-ledger", "--public-key", signer+".pub", cut); code != 0 {
		t.Errorf("the cut ledger alone: exit %d", code)
	}
	if code, out, stderr := runCLI(t, "", "verify-ledger", "--public-key", signer+".pub", "--request-log", reqLog, cut); code != 1 || !strings.Contains(out+stderr, "it was cut or replaced") {
		t.Errorf("the cut ledger against the request log: %d %s%s", code, out, stderr)
	}
	// Another ledger (another id) in its place: the log records none of
	// its events.
	sign, _ := evidence.LoadSigningKey(signer)
	other := filepath.Join(dir, "other.jsonl")
	l, err := caseledger.Open(other, sign, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(caseledger.Event{Kind: caseledger.KindOpened, Case: "case-0001", MasterKey: "k", MasterCommitment: "c", KeyID: "k.case-0001", KeyCommitment: "kc",
		Nonce: "00112233aabbccdd", Accounts: []string{"dev"}, Trigger: caseledger.Trigger{Source: caseledger.SourceOperator}}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if code, out, stderr := runCLI(t, "", "verify-ledger", "--public-key", signer+".pub", "--request-log", reqLog, other); code != 1 || !strings.Contains(out+stderr, "none of this ledger's") {
		t.Errorf("a replaced ledger against the request log: %d %s%s", code, out, stderr)
	}
}
