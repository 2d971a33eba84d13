package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/canary"
	"forensics/caseledger"
	"forensics/evidence"
	"forensics/watermark"
)

// writeLedger writes a signed ledger of two cases of master key prod (one
// closed), as the gateway does, and returns the paths of the ledger, the
// signer's public key and the master key.
func writeLedger(t *testing.T) (ledger, pub, keyPath string) {
	t.Helper()
	dir := t.TempDir()
	signerPath := filepath.Join(dir, "signer.key")
	if _, err := evidence.WriteSigningKey(signerPath, false); err != nil {
		t.Fatal(err)
	}
	signer, err := evidence.LoadSigningKey(signerPath)
	if err != nil {
		t.Fatal(err)
	}
	master, err := watermark.NewKey("prod", watermark.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	keyPath = filepath.Join(dir, "prod.key")
	if err := master.WriteFile(keyPath, false); err != nil {
		t.Fatal(err)
	}
	ledger = filepath.Join(dir, "cases.jsonl")
	l, err := caseledger.Open(ledger, signer, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, c := range []struct {
		id       string
		accounts []string
	}{{"case-0001", []string{"acme-3", "acme-7"}}, {"case-0002", []string{"solo"}}} {
		nonce, _ := caseledger.NewNonce()
		k, _ := master.DeriveCase(l.ID(), c.id, nonce)
		cs, _ := canary.NewSecret(k.CanarySeed(), k.ID)
		_, err := l.Append(caseledger.Event{Kind: caseledger.KindOpened, Case: c.id, MasterKey: master.ID, MasterCommitment: master.Commitment(),
			KeyID: k.ID, KeyCommitment: k.Commitment(), CanaryCommitment: cs.SHA256, Nonce: nonce, Accounts: c.accounts, Trigger: caseledger.Trigger{Source: caseledger.SourceOperator}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Append(caseledger.Event{Kind: caseledger.KindClosed, Case: "case-0002", Trigger: caseledger.Trigger{Source: caseledger.SourceOperator}}); err != nil {
		t.Fatal(err)
	}
	return ledger, signerPath + ".pub", keyPath
}

// TestVerifyLedgerCommand: a ledger as the gateway writes it verifies,
// with the signer pinned and the case keys re-derived; an edited line, a
// ledger of another master key and another signer each exit 1 naming why.
func TestVerifyLedgerCommand(t *testing.T) {
	ledger, pub, keyPath := writeLedger(t)
	code, out, stderr := runCLI(t, "", "verify-ledger", "--public-key", pub, "--key", keyPath, ledger)
	if code != 0 || !strings.Contains(out, "every signature verified") || !strings.Contains(out, "acme-3, acme-7") || !strings.Contains(out, "every case key and canary set matches") {
		t.Fatalf("clean ledger: %d\n%s%s", code, out, stderr)
	}
	if code, out, _ := runCLI(t, "", "verify-ledger", "--json", ledger); code != 0 || !strings.Contains(out, `"ok":true`) || !strings.Contains(out, `"signatures_checked":false`) {
		t.Fatalf("--json: %d %s", code, out)
	}
	if code, out, _ := runCLI(t, "", "case", "list", "--ledger", ledger, "--public-key", pub); code != 0 || !strings.Contains(out, "case-0002") || !strings.Contains(out, "closed") {
		t.Errorf("case list --ledger: %d %s", code, out)
	}
	other, err := watermark.NewKey("prod", watermark.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	otherPath := filepath.Join(t.TempDir(), "other.key")
	other.WriteFile(otherPath, false)
	if code, _, stderr := runCLI(t, "", "verify-ledger", "--key", otherPath, ledger); code != 1 || !strings.Contains(stderr, "is not the given key") {
		t.Errorf("another master key: %d %s", code, stderr)
	}
	otherSigner := filepath.Join(t.TempDir(), "s.key")
	evidence.WriteSigningKey(otherSigner, false)
	if code, _, stderr := runCLI(t, "", "verify-ledger", "--public-key", otherSigner+".pub", ledger); code != 1 || !strings.Contains(stderr, "line 1") || !strings.Contains(stderr, "signature") {
		t.Errorf("another signer: %d %s", code, stderr)
	}
	data, _ := os.ReadFile(ledger)
	os.WriteFile(ledger, []byte(strings.Replace(string(data), `"acme-7"`, `"acme-8"`, 1)), 0o600)
	if code, _, stderr := runCLI(t, "", "verify-ledger", "--public-key", pub, ledger); code != 1 || !strings.Contains(stderr, "line 1") || !strings.Contains(stderr, "edited") {
		t.Errorf("edited line: %d %s", code, stderr)
	}
	os.WriteFile(ledger, data[:len(data)-5], 0o600)
	if code, _, stderr := runCLI(t, "", "verify-ledger", ledger); code != 1 || !strings.Contains(stderr, "line 3") || !strings.Contains(stderr, "incomplete") {
		t.Errorf("cut ledger: %d %s", code, stderr)
	}
}
