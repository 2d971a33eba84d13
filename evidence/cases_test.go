package evidence

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/canary"
	"forensics/caseledger"
	"forensics/internal/bundlefile"
	"forensics/probe"
	"forensics/probe/probetest"
	"forensics/watermark"
)

// testNonce is the nonce writeLedger gives the i-th case.
func testNonce(i int) string { return fmt.Sprintf("%016x", i) }

// writeLedger writes a signed ledger of the given cases (id → accounts),
// opened a minute apart, under master.
func writeLedger(t *testing.T, path string, master *watermark.Key, sign ed25519.PrivateKey, cases [][2]string) {
	t.Helper()
	clock := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	l, err := caseledger.Open(path, sign, func() time.Time { clock = clock.Add(time.Minute); return clock })
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		ck, err := master.DeriveCase(l.ID(), c[0], testNonce(i+1))
		if err != nil {
			t.Fatal(err)
		}
		cs, err := canary.NewSecret(ck.CanarySeed(), ck.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(caseledger.Event{Kind: "opened", Case: c[0], MasterKey: master.ID, MasterCommitment: master.Commitment(),
			KeyID: ck.ID, KeyCommitment: ck.Commitment(), CanaryCommitment: cs.SHA256, Nonce: testNonce(i + 1), Accounts: strings.Split(c[1], ","),
			Trigger: caseledger.Trigger{Source: "operator", Note: "test"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestProbeAttributesCase: a suspect that serves text watermarked under
// case-0002's key (as a relay of that case's accounts would) is attributed
// to case-0002 and to no other case, the master key's test does not
// reject, and verify re-derives it all, with and without the key; an
// edited ledger copy fails verify.
func TestProbeAttributesCase(t *testing.T) {
	w := sharedWorld(t)
	dir := t.TempDir()
	_, sign, _ := ed25519.GenerateKey(nil)
	ledger := filepath.Join(t.TempDir(), "cases.jsonl")
	writeLedger(t, ledger, w.key, sign, [][2]string{{"case-0001", "a1,a2"}, {"case-0002", "b1"}, {"case-0003", "c1,c2,c3"}})
	cs, err := LoadCases(ledger, sign.Public().(ed25519.PublicKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	ck, _ := w.key.DeriveCase(cs.Plan.Ledger, "case-0002", testNonce(2))
	ckPath := filepath.Join(t.TempDir(), "case2.yaml")
	if err := ck.WriteFile(ckPath, false); err != nil {
		t.Fatal(err)
	}
	s := probetest.Options{
		Targets: probe.Targets{Suspect: "embedded:reference?key=" + ckPath, Controls: []string{"embedded:" + w.control}},
		Plan:    probe.Plan{Prompts: 60, Triggers: 0},
		Seed:    11, Rounds: 99, NullKeys: 50, Cases: &cs.Plan,
	}
	// The gateway's log: b1 was answered three times in case-0002 (once
	// refused), a1 once in case-0001.
	line := func(acct, cas string, status int) map[string]any {
		return map[string]any{"ts": "2026-11-25T12:00:00Z", "account": acct, "endpoint": "/api/generate", "prompt": "Tell me about rivers.", "status": status, "case": cas}
	}
	s.RequestLog = probetest.WriteLog(t, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		line("b1", "case-0002", 200), line("b1", "case-0002", 200), line("b1", "case-0002", 429), line("b1", "case-0002", 200), line("a1", "case-0001", 200), line("x", "", 200))
	writeAfterPrepare = map[string][]byte{probe.FileLedger: cs.Ledger}
	defer func() { writeAfterPrepare = nil }()
	res, _ := runProbe(t, dir, w.key, w.canaries, s)
	logResults(t, res)
	att := probetest.TestNamed(res.Tests, probe.TestAttribution)
	if att == nil || att.Attribution == nil {
		t.Fatalf("no attribution test in %+v", res.Tests)
	}
	for _, c := range att.Attribution.Cases {
		want := probe.StatusNotRejected
		if c.ID == "case-0002" {
			want = probe.StatusRejected
		}
		if c.Status != want {
			t.Errorf("case %s: %s (log10 p %.2f), want %s", c.ID, c.Status, c.Log10P, want)
		}
	}
	if got := fmt.Sprint(res.RelayLog.ServedByCase); got != "[{case-0001 1} {case-0002 3} {case-0003 0}]" {
		t.Errorf("served by case %s", got)
	}
	if radio := probetest.TestNamed(res.Tests, probe.TestRadioactivity); radio.Status == probe.StatusRejected {
		t.Errorf("the master key's test rejected on text served only under a case key (log10 p %.2f)", radio.Log10P)
	}
	if v := verdictOf(res, probe.PropCase); v != probe.VerdictSupported {
		t.Errorf("proposition %s: %s", probe.PropCase, v)
	}
	for _, opts := range []VerifyOptions{{Key: w.key}, {}} {
		checks, err := Verify(context.Background(), dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range checks {
			if !c.OK {
				t.Errorf("verify (key %v) %s: %s", opts.Key != nil, c.Name, c.Detail)
			}
		}
	}
	// The ledger key pinned: ours passes, another fails.
	_, otherSign, _ := ed25519.GenerateKey(nil)
	for _, pin := range []struct {
		key ed25519.PublicKey
		ok  bool
	}{{sign.Public().(ed25519.PublicKey), true}, {otherSign.Public().(ed25519.PublicKey), false}} {
		checks, _ := Verify(context.Background(), dir, VerifyOptions{Key: w.key, LedgerPub: pin.key})
		if c := checkNamed(checks, "case ledger"); c == nil || c.OK != pin.ok {
			t.Errorf("ledger key pinned (ours %v): %+v", pin.ok, c)
		}
	}
	forgeWithoutKey(t, dir)
	edited := strings.Replace(string(cs.Ledger), `"b1"`, `"b9"`, 1)
	if err := os.WriteFile(filepath.Join(dir, probe.FileLedger), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	checks, err := Verify(context.Background(), dir, VerifyOptions{Key: w.key})
	if err == nil {
		ok := true
		for _, c := range checks {
			ok = ok && c.OK
		}
		if ok {
			t.Error("verify passed an edited ledger copy")
		}
	}
}

// writeAfterPrepare are files runProbe writes into the folder right after
// Prepare (what probe.Collect does for the ledger copy).
var writeAfterPrepare map[string][]byte

func writeExtra(t testing.TB, dir string) {
	for name, data := range writeAfterPrepare {
		if err := bundlefile.WriteSync(filepath.Join(dir, name), data); err != nil {
			t.Fatal(err)
		}
	}
}

// forgeWithoutKey: results.json rewritten to name another account, or to
// drop cases, and sealed again, must fail verify even without the key
// (the cases' accounts and times come from the ledger copy, not from
// the recorded results). The bundle is restored afterwards.
func forgeWithoutKey(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, FileResults)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		os.WriteFile(path, orig, 0o644)
		if err := Seal(dir, nil); err != nil {
			t.Fatal(err)
		}
	}()
	for name, edit := range map[string]func(*probe.AttributionDetail){
		"another account": func(d *probe.AttributionDetail) { d.Cases[1].Accounts[0].Account = "victim-corp" },
		"a case dropped":  func(d *probe.AttributionDetail) { d.Cases = d.Cases[1:2] },
		"cases renamed":   func(d *probe.AttributionDetail) { d.Cases[0].ID, d.Cases[1].ID = d.Cases[1].ID, d.Cases[0].ID },
	} {
		var res probe.Results
		if err := json.Unmarshal(orig, &res); err != nil {
			t.Fatal(err)
		}
		edit(probetest.TestNamed(res.Tests, probe.TestAttribution).Attribution)
		b, _ := MarshalResults(&res)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := Seal(dir, nil); err != nil {
			t.Fatal(err)
		}
		checks, err := Verify(context.Background(), dir, VerifyOptions{})
		ok := err == nil
		for _, c := range checks {
			ok = ok && c.OK
		}
		if ok {
			t.Errorf("%s: verify without the key passed a forged results.json", name)
		}
	}
}

// TestProbeOtherLedgerNotAttributed: a second gateway under the same
// master key numbers its cases from case-0001 too; a suspect serving text
// of that gateway's case-0002 is not attributed to this ledger's
// case-0002 (the ledger id is part of every case key's derivation).
func TestProbeOtherLedgerNotAttributed(t *testing.T) {
	w := sharedWorld(t)
	_, sign, _ := ed25519.GenerateKey(nil)
	ours, theirs := filepath.Join(t.TempDir(), "a.jsonl"), filepath.Join(t.TempDir(), "b.jsonl")
	writeLedger(t, ours, w.key, sign, [][2]string{{"case-0001", "alice"}, {"case-0002", "bob"}})
	writeLedger(t, theirs, w.key, sign, [][2]string{{"case-0001", "carol"}, {"case-0002", "mallory"}})
	cs, err := LoadCases(ours, sign.Public().(ed25519.PublicKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := LoadCases(theirs, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if other.Plan.Ledger == cs.Plan.Ledger {
		t.Fatal("two ledgers got the same id")
	}
	ck, _ := w.key.DeriveCase(other.Plan.Ledger, "case-0002", testNonce(2))
	ckPath := filepath.Join(t.TempDir(), "theirs.yaml")
	if err := ck.WriteFile(ckPath, false); err != nil {
		t.Fatal(err)
	}
	writeAfterPrepare = map[string][]byte{probe.FileLedger: cs.Ledger}
	defer func() { writeAfterPrepare = nil }()
	res, _ := runProbe(t, t.TempDir(), w.key, w.canaries, probetest.Options{
		Targets: probe.Targets{Suspect: "embedded:reference?key=" + ckPath, Controls: []string{"embedded:" + w.control}},
		Plan:    probe.Plan{Prompts: 60}, Seed: 11, Rounds: 99, NullKeys: 50, Cases: &cs.Plan,
	})
	att := probetest.TestNamed(res.Tests, probe.TestAttribution)
	if att.Status == probe.StatusRejected {
		t.Errorf("attributed to our ledger on text of another ledger's case: %+v", att.Attribution.Cases)
	}
	if v := verdictOf(res, probe.PropCase); v == probe.VerdictSupported {
		t.Errorf("proposition %s: %s", probe.PropCase, v)
	}
}

// TestLoadCasesOrder: --cases in another order or with a repeat gives the
// cases in ledger order, each once (the analysis requires the ledger's
// order, and learning it after the queries wasted them); an unknown case
// is refused before any query.
func TestLoadCasesOrder(t *testing.T) {
	_, sign, _ := ed25519.GenerateKey(nil)
	path := filepath.Join(t.TempDir(), "cases.jsonl")
	_, key := probetest.Key(t, t.TempDir(), 3)
	writeLedger(t, path, key, sign, [][2]string{{"case-0001", "a"}, {"case-0002", "b"}, {"case-0003", "c"}})
	cs, err := LoadCases(path, nil, []string{"case-0003", "case-0001", "case-0003"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cs.Plan.Cases, ","); got != "case-0001,case-0003" {
		t.Errorf("cases %s, want case-0001,case-0003", got)
	}
	if _, err := LoadCases(path, nil, []string{"case-0009"}); err == nil {
		t.Error("an unknown case was accepted")
	}
}
