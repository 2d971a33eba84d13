package caseledger

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	testSigner = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	otherKey   = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
)

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// stepClock is a clock that advances a second a call.
func stepClock() func() time.Time {
	t := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func opening(id string, accounts ...string) Event {
	return Event{Kind: KindOpened, Case: id, MasterKey: "prod", MasterCommitment: "mc", KeyID: "prod." + id,
		KeyCommitment: "kc-" + id, CanaryCommitment: "cc-" + id, Nonce: "00112233aabbccdd", Accounts: accounts, Trigger: Trigger{Source: SourceOperator, Note: "test"}}
}

// writeTestLedger writes a ledger of four events and returns its path.
func writeTestLedger(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cases.jsonl")
	l, err := Open(path, testSigner, stepClock())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []Event{opening("case-0001", "a", "b"), opening("case-0002", "c"),
		{Kind: KindExtended, Case: "case-0001", Accounts: []string{"d"}, Trigger: Trigger{Source: SourceScan, SHA256: "ab"}},
		{Kind: KindClosed, Case: "case-0002", Trigger: Trigger{Source: SourceOperator}}} {
		if _, err := l.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLedgerRoundTrip(t *testing.T) {
	path := writeTestLedger(t)
	events, err := ReadFile(path, pubOf(testSigner))
	if err != nil {
		t.Fatal(err)
	}
	cases, err := Replay(events)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 2 || !cases[0].Open() || cases[1].Open() {
		t.Fatalf("cases %+v", cases)
	}
	if got := strings.Join(cases[0].Accounts(), ","); got != "a,b,d" {
		t.Errorf("case-0001 accounts %s, want a,b,d", got)
	}
	if cases[0].Members[2].Seq != 3 || cases[1].KeyID != "prod.case-0002" {
		t.Errorf("members %+v, case 2 key %s", cases[0].Members, cases[1].KeyID)
	}
	if Head(events) != events[3].Hash || Head(nil) != "" {
		t.Error("Head is not the last hash")
	}
	if got := NextCaseID(cases); got != "case-0003" {
		t.Errorf("NextCaseID = %s", got)
	}
	// Reopening appends after the verified events.
	l, err := Open(path, testSigner, stepClock())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e, err := l.Append(Event{Kind: KindClosed, Case: "case-0001", Trigger: Trigger{Source: SourceOperator}})
	if err != nil || e.Seq != 5 || e.Prev != events[3].Hash {
		t.Fatalf("append after reopen: %+v %v", e, err)
	}
}

// TestTamper: every edit of a signed ledger is found, at the right line.
func TestTamper(t *testing.T) {
	path := writeTestLedger(t)
	orig, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(orig), "\n")
	lines = lines[:len(lines)-1] // the empty string after the last newline
	join := func(ls ...string) string { return strings.Join(ls, "") }
	forged := func() string {
		// A line re-hashed correctly after an edit, signed by another key.
		events, _ := Parse(strings.NewReader(string(orig)), nil)
		e := events[0]
		e.Accounts = []string{"a"}
		e.Hash, _ = e.ComputeHash()
		e.sign(otherKey)
		b, _ := e.marshal()
		return string(b) + "\n"
	}
	cases := []struct {
		name string
		text string
		pub  ed25519.PublicKey
		line int
		want string
	}{
		{"edited account", strings.Replace(string(orig), `"accounts":["a","b"]`, `"accounts":["a","x"]`, 1), pubOf(testSigner), 1, "edited"},
		{"edited time", strings.Replace(string(orig), "09:00:02Z", "09:00:03Z", 1), nil, 2, "edited"},
		{"dropped line", join(lines[0], lines[2], lines[3]), nil, 2, "seq 3, want 2"},
		{"reordered", join(lines[1], lines[0], lines[2], lines[3]), nil, 1, "seq 2, want 1"},
		{"dropped first", join(lines[1], lines[2], lines[3]), nil, 1, "seq 2, want 1"},
		{"wrong key", string(orig), pubOf(otherKey), 1, "does not verify"},
		{"bad sig", strings.Replace(string(orig), `"sig":"`, `"sig":"AAAA`, 1), pubOf(testSigner), 1, "signature"},
		{"forged line", join(forged(), lines[1], lines[2], lines[3]), pubOf(testSigner), 1, "does not verify"},
		{"forged line breaks chain", join(forged(), lines[1], lines[2], lines[3]), nil, 2, "prev"},
		{"extra field", strings.Replace(string(orig), `{"format"`, `{"x":1,"format"`, 1), nil, 1, "unknown field"},
		{"spacing", strings.Replace(string(orig), `{"format":`, `{"format": `, 1), nil, 1, "canonical"},
		{"truncated", string(orig[:len(orig)-10]), nil, 4, "incomplete"},
		{"unsigned", unsigned(orig), pubOf(testSigner), 1, "unsigned"},
		{"unsigned without a key", unsigned(orig) + "x", nil, 5, "incomplete"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.text), tc.pub)
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("err %v, want a LineError", err)
			}
			if le.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want line %d and %q", err, tc.line, tc.want)
			}
		})
	}
}

// unsigned is the ledger with its signatures removed (hashes intact).
func unsigned(ledger []byte) string {
	events, _ := Parse(bytes.NewReader(ledger), nil)
	var b strings.Builder
	for _, e := range events {
		e.Sig = ""
		line, _ := e.marshal()
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestTruncatedLastLine(t *testing.T) {
	path := writeTestLedger(t)
	orig, _ := os.ReadFile(path)
	cut := len(orig) - 10
	os.WriteFile(path, orig[:cut], 0o600)
	_, err := Open(path, testSigner, nil)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("Open of a cut ledger: %v, want ErrTruncated", err)
	}
	var le *LineError
	errors.As(err, &le)
	lastStart := bytes.LastIndexByte(orig[:cut], '\n') + 1
	if le.Offset != int64(lastStart) || !strings.Contains(err.Error(), "truncate -s") {
		t.Errorf("offset %d (want %d), message %v", le.Offset, lastStart, err)
	}
	if got, _ := os.ReadFile(path); len(got) != cut {
		t.Error("Open changed a ledger it refused")
	}
}

func TestAppendRefuses(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "l.jsonl"), testSigner, stepClock())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(opening("c1", "a", "b")); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		e    Event
		want string
	}{
		{"reopen", opening("c1", "z"), "opened again"},
		{"account in two open cases", opening("c2", "b"), "already in open case c1"},
		{"extend unknown", Event{Kind: KindExtended, Case: "c9", Accounts: []string{"z"}}, "no case c9"},
		{"extend without accounts", Event{Kind: KindExtended, Case: "c1"}, "no accounts"},
		{"bad case id", opening("c.1", "z"), "case id"},
		{"key id not derived", func() Event { e := opening("c3", "z"); e.KeyID = "other"; return e }(), "key_id"},
		{"no trigger source", func() Event { e := opening("c3", "z"); e.Trigger.Source = ""; return e }(), "trigger source"},
		{"repeated account", opening("c3", "z", "z"), "twice"},
		{"unknown kind", Event{Kind: "paused", Case: "c1"}, "unknown event"},
	}
	for _, tc := range bad {
		if _, err := l.Append(tc.e); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := l.Append(Event{Kind: KindClosed, Case: "c1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(Event{Kind: KindExtended, Case: "c1", Accounts: []string{"z"}}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("extend a closed case: %v", err)
	}
	if _, err := l.Append(opening("c2", "b")); err != nil {
		t.Errorf("an account of a closed case joins a new one: %v", err)
	}
	if n := len(l.Events()); n != 3 {
		t.Errorf("%d events, want 3 (refused ones are not written)", n)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "x"), nil, nil); err == nil {
		t.Error("Open without a signer")
	}
}

func TestConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.jsonl")
	l, err := Open(path, testSigner, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			id := NextCaseID(nil)[:5] + string(rune('a'+i))
			if _, err := l.Append(opening(id, id+"-acct")); err != nil {
				t.Error(err)
			}
			l.Cases()
		})
	}
	wg.Wait()
	l.Close()
	events, err := ReadFile(path, pubOf(testSigner))
	if err != nil || len(events) != 16 {
		t.Fatalf("%d events, %v", len(events), err)
	}
}

func TestParseBounds(t *testing.T) {
	long := strings.Repeat("x", MaxLine+10) + "\n"
	if _, err := Parse(strings.NewReader(long), nil); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("a long line: %v", err)
	}
	if ev, err := Parse(strings.NewReader(""), nil); err != nil || len(ev) != 0 {
		t.Errorf("empty ledger: %v %v", ev, err)
	}
}

func FuzzParse(f *testing.F) {
	path := writeTestLedger(f)
	data, _ := os.ReadFile(path)
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"format":"forensics-case-ledger/1","seq":1}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		events, err := Parse(bytes.NewReader(b), nil)
		if err != nil {
			return
		}
		// Whatever verifies is its own canonical encoding and replays.
		var out bytes.Buffer
		for _, e := range events {
			line, _ := e.marshal()
			out.Write(line)
			out.WriteByte('\n')
		}
		if !bytes.Equal(out.Bytes(), b) {
			t.Fatalf("accepted bytes differ from their events' encoding:\n%q\n%q", b, out.Bytes())
		}
		if _, err := Replay(events); err != nil {
			t.Fatalf("Parse accepted a ledger Replay refuses: %v", err)
		}
	})
}

// TestAppendRefusesUnreadableLine: an event longer than MaxLine would stop
// every reader at it, so Append refuses it and the ledger stays readable.
func TestAppendRefusesUnreadableLine(t *testing.T) {
	_, sign, _ := ed25519.GenerateKey(nil)
	path := filepath.Join(t.TempDir(), "cases.jsonl")
	l, err := Open(path, sign, nil)
	if err != nil {
		t.Fatal(err)
	}
	var accts []string
	for i := range 80_000 { // 80,000 × 17 bytes: over MaxLine
		accts = append(accts, fmt.Sprintf("account-%06d", i))
	}
	if _, err := l.Append(Event{Kind: KindOpened, Case: "case-0001", MasterKey: "m", MasterCommitment: "c", KeyID: "m.case-0001", KeyCommitment: "k", Nonce: "00112233aabbccdd", Accounts: accts, Trigger: Trigger{Source: SourceOperator}}); err == nil {
		t.Fatal("appended an event longer than MaxLine")
	}
	if _, err := l.Append(Event{Kind: KindOpened, Case: "case-0001", MasterKey: "m", MasterCommitment: "c", KeyID: "m.case-0001", KeyCommitment: "k", Nonce: "00112233aabbccdd", Accounts: accts[:10], Trigger: Trigger{Source: SourceOperator}}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := ReadFile(path, sign.Public().(ed25519.PublicKey)); err != nil {
		t.Errorf("the ledger no longer reads: %v", err)
	}
}

// TestOpenGuards: one writer at a time; a ledger that went missing, or
// was replaced by another, is refused rather than started anew (the
// second adversarial review of issue 16: a fresh ledger returned every
// cased account to the master key mid-window, and two copies of one
// ledger issued one case id twice).
func TestOpenGuards(t *testing.T) {
	_, sign, _ := ed25519.GenerateKey(nil)
	dir := t.TempDir()
	path := filepath.Join(dir, "cases.jsonl")
	l, err := Open(path, sign, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(opening("case-0001", "alice")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, sign, nil); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("a second writer: %v", err)
	}
	l.Close()
	saved, _ := os.ReadFile(path)
	os.Remove(path)
	if _, err := Open(path, sign, nil); err == nil || !strings.Contains(err.Error(), "is missing") {
		t.Errorf("a missing ledger: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the refused Open left a file behind: %v", err)
	}
	other := filepath.Join(t.TempDir(), "other.jsonl")
	lo, err := Open(other, sign, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lo.Append(opening("case-0001", "bob")); err != nil {
		t.Fatal(err)
	}
	lo.Close()
	data, _ := os.ReadFile(other)
	os.WriteFile(path, data, 0o600)
	if _, err := Open(path, sign, nil); err == nil || !strings.Contains(err.Error(), "put in its place") {
		t.Errorf("another ledger in its place: %v", err)
	}
	os.WriteFile(path, saved, 0o600)
	l, err = Open(path, sign, nil)
	if err != nil {
		t.Fatalf("the restored ledger: %v", err)
	}
	l.Close()
}
