package traffic

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"testing"

	"forensics/logline"
	"forensics/logscan"
)

// TestSimulatedLinesReadFast: every line the simulator writes, of every
// kind, is a gateway line the fast parser reads, as encoding/json does;
// and every account is labelled once.
func TestSimulatedLinesReadFast(t *testing.T) {
	var buf bytes.Buffer
	labels, err := Simulate(Config{Accounts: 50, Attackers: len(logscan.AttackKinds()), Days: 1, Seed: 3}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n")) {
		v, ok := logline.Parse(line, nil)
		if !ok {
			t.Fatalf("the fast parser refused a simulated line: %s", line)
		}
		var want logline.View
		if err := json.Unmarshal(line, &want); err != nil || !reflect.DeepEqual(v, want) {
			t.Fatalf("%s: fast %+v, encoding/json %+v (%v)", line, v, want, err)
		}
		seen[v.Account] = true
	}
	labelled := len(labels.Benign)
	for a := range labels.Attackers {
		if !seen[a] {
			t.Errorf("attacker %s sent nothing", a)
		}
		labelled++
	}
	if labelled != len(seen) {
		t.Errorf("%d accounts in the log, %d labelled", len(seen), labelled)
	}
	if len(labels.Clusters) != 4 {
		t.Errorf("%d clusters, want the four campaigns of several linked accounts (hydra, sharded, cloud, throwaway)", len(labels.Clusters))
	}
}

func TestSimulateIsSeeded(t *testing.T) {
	run := func(seed uint64) []byte {
		var buf, accts bytes.Buffer
		if _, err := Simulate(Config{Accounts: 50, Attackers: 14, Days: 1, Seed: seed, AccountsOut: &accts}, &buf); err != nil {
			t.Fatal(err)
		}
		return append(buf.Bytes(), accts.Bytes()...)
	}
	if a, b := run(5), run(5); !bytes.Equal(a, b) {
		t.Error("one seed gave two logs")
	}
	if a, b := run(5), run(6); bytes.Equal(a, b) {
		t.Error("two seeds gave one log")
	}
	if _, err := Simulate(Config{Accounts: 0, Days: 1}, &bytes.Buffer{}); err == nil {
		t.Error("a log without benign accounts accepted")
	}
}

// BenchmarkSimulate is the size the docs quote: 500 benign accounts, 14
// campaigns, 7 days.
func BenchmarkSimulate(b *testing.B) {
	for range b.N {
		if _, err := Simulate(Config{Accounts: 500, Attackers: 14, Days: 7, Seed: 1}, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
