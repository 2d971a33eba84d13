package heldout

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"forensics/internal/measure"
	"forensics/logline"
	"forensics/logscan"
)

// small is one generated log at a small scale, shared by the tests.
type small struct {
	log, accounts []byte
	labels        *logscan.Labels
}

var (
	smallOnce sync.Once
	smallLog  small
	smallErr  error
)

const testScale = 0.05

func generated(t *testing.T) small {
	t.Helper()
	smallOnce.Do(func() {
		var log, accts bytes.Buffer
		l, err := Generate(Config{Seed: 7, Scale: testScale}, &log, &accts)
		smallLog, smallErr = small{log.Bytes(), accts.Bytes(), l}, err
	})
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return smallLog
}

func TestGenerateIsDeterministic(t *testing.T) {
	want := generated(t)
	var log, accts bytes.Buffer
	l, err := Generate(Config{Seed: 7, Scale: testScale}, &log, &accts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(log.Bytes(), want.log) || !bytes.Equal(accts.Bytes(), want.accounts) || !reflect.DeepEqual(l, want.labels) {
		t.Fatal("the same Config wrote a different log, accounts file or labels")
	}
	var other bytes.Buffer
	if _, err := Generate(Config{Seed: 8, Scale: testScale}, &other, io.Discard); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other.Bytes(), want.log) {
		t.Fatal("another seed wrote the same log")
	}
}

func TestGenerateRejectsBadScale(t *testing.T) {
	for _, s := range []float64{0, -1, 101} {
		if _, err := Generate(Config{Scale: s}, io.Discard, io.Discard); err == nil {
			t.Errorf("scale %v: no error", s)
		}
	}
}

// TestLinesRead reads every line with the fast parser and with
// encoding/json, which must agree, and checks time order and that every
// account is labelled.
func TestLinesRead(t *testing.T) {
	g := generated(t)
	labelled := labelledAccounts(g.labels)
	var prev time.Time
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(g.log))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		n++
		fast, ok := logline.Parse(sc.Bytes(), nil)
		if !ok {
			t.Fatalf("line %d: the fast parser gave up: %.200s", n, sc.Bytes())
		}
		var slow logline.View
		if err := json.Unmarshal(sc.Bytes(), &slow); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("line %d: the parsers disagree:\n%+v\n%+v", n, fast, slow)
		}
		ts, err := time.Parse(time.RFC3339Nano, fast.TS)
		if err != nil || ts.Before(prev) {
			t.Fatalf("line %d: ts %q not in order after %v (%v)", n, fast.TS, prev, err)
		}
		prev = ts
		if _, ok := labelled[fast.Account]; !ok {
			t.Fatalf("line %d: account %s has no label", n, fast.Account)
		}
	}
	if err := sc.Err(); err != nil || n < 10000 {
		t.Fatalf("read %d lines: %v", n, err)
	}
}

func labelledAccounts(l *logscan.Labels) map[string]string {
	out := map[string]string{}
	for a, k := range l.Attackers {
		out[a] = k
	}
	for _, a := range l.Benign {
		out[a] = l.BenignKinds[a]
	}
	return out
}

func TestAccountsFileCoversEveryAccount(t *testing.T) {
	g := generated(t)
	accts, err := logscan.ReadAccounts(context.Background(), bytes.NewReader(g.accounts))
	if err != nil {
		t.Fatal(err)
	}
	labelled := labelledAccounts(g.labels)
	if len(accts) != len(labelled) {
		t.Fatalf("%d accounts in the file, %d labelled", len(accts), len(labelled))
	}
	for name := range labelled {
		a := accts[name]
		if a == nil || a.Created.IsZero() || len(a.KeysCreated) == 0 || a.Tier == "" {
			t.Fatalf("account %s: missing or incomplete in the accounts file: %+v", name, a)
		}
		if !slices.IsSortedFunc(a.KeysCreated, time.Time.Compare) {
			t.Errorf("account %s: keys_created out of order", name)
		}
	}
	first := firstRequests(t, g.log)
	for name, at := range first {
		if at.Before(accts[name].KeysCreated[0]) {
			t.Errorf("account %s: a request at %v before its first key (%v)", name, at, accts[name].KeysCreated[0])
		}
	}
}

func firstRequests(t *testing.T, log []byte) map[string]time.Time {
	out := map[string]time.Time{}
	for line := range bytes.Lines(log) {
		v, _ := logline.Parse(line, nil)
		if _, seen := out[v.Account]; !seen {
			ts, _ := time.Parse(time.RFC3339Nano, v.TS)
			out[v.Account] = ts
		}
	}
	return out
}

func TestEveryKindIsPresent(t *testing.T) {
	g := generated(t)
	count := map[string]int{}
	for _, k := range labelledAccounts(g.labels) {
		count[k]++
	}
	for _, k := range append(BenignKinds(), AttackKinds()...) {
		if count[k] == 0 {
			t.Errorf("kind %s: no account", k)
		}
		if !strings.HasPrefix(k, "ho-") {
			t.Errorf("kind %s: not prefixed ho-", k)
		}
	}
	if len(count) != len(BenignKinds())+len(AttackKinds()) {
		t.Errorf("%d kinds in the labels, want %d", len(count), len(BenignKinds())+len(AttackKinds()))
	}
	for _, c := range campaigns {
		if members := g.labels.Clusters[c.id]; c.heads > 1 && len(members) < 2 {
			t.Errorf("campaign %s: %d accounts in its cluster", c.id, len(members))
		}
	}
}

// TestReplaysMatchServedAnswers: an agent workflow sends back exactly
// the answers it was served; an agent-trace harvester's assistant turns
// are its own writing.
func TestReplaysMatchServedAnswers(t *testing.T) {
	g := generated(t)
	kinds := labelledAccounts(g.labels)
	served := map[string]map[string]bool{}
	replayed := map[string][2]int{} // kind → matched, unmatched
	for line := range bytes.Lines(g.log) {
		v, _ := logline.Parse(line, nil)
		k := kinds[v.Account]
		r := replayed[k]
		for _, m := range v.Messages {
			if m.Role != "assistant" {
				continue
			}
			sum := sha256.Sum256([]byte(strings.TrimSpace(m.Content)))
			if served[v.Account][hex.EncodeToString(sum[:])] {
				r[0]++
			} else {
				r[1]++
			}
		}
		replayed[k] = r
		if served[v.Account] == nil {
			served[v.Account] = map[string]bool{}
		}
		served[v.Account][v.CompletionSHA256] = true
	}
	if r := replayed[KindAgent]; r[0] == 0 || r[1] != 0 {
		t.Errorf("agent workflow: %d replayed answers matched, %d did not", r[0], r[1])
	}
	if r := replayed[KindAgentTrace]; r[1] == 0 || r[0] > r[1]/10 {
		t.Errorf("agent-trace harvest: %d assistant turns matched served answers, %d did not", r[0], r[1])
	}
}

// TestScaleOne generates the full-size log and reports its size and time.
func TestScaleOne(t *testing.T) {
	measure.Require(t, "the held-out log at Scale 1: about 670,000 lines, 15-30 s")
	var counter lineCounter
	start := time.Now()
	l, err := Generate(Config{Seed: 1, Scale: 1}, &counter, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	accounts := len(l.Attackers) + len(l.Benign)
	t.Logf("Scale 1: %d lines (%.0f MB), %d accounts (%d attackers in %d campaigns of several accounts), %v",
		counter.lines, float64(counter.bytes)/1e6, accounts, len(l.Attackers), len(l.Clusters), took.Round(time.Millisecond))
	if took > time.Minute || counter.lines < 600_000 || accounts < 1600 || accounts > 1800 {
		t.Errorf("Scale 1 took %v for %d lines and %d accounts; want under a minute, ~700k lines, ~1,700 accounts", took, counter.lines, accounts)
	}
}

type lineCounter struct{ lines, bytes int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines += bytes.Count(p, []byte{'\n'})
	c.bytes += len(p)
	return len(p), nil
}
