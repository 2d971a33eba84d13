package logtile

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/internal/traffic"
	"forensics/logline"
	"forensics/logscan"
)

func simulated(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := traffic.Simulate(traffic.Config{Accounts: 20, Attackers: 6, Days: 2, Seed: 9}, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// perAccount reads a log: lines per account, checking time order and
// that every line is a gateway line both parsers read.
func perAccount(t *testing.T, log []byte) (map[string][]logline.View, int) {
	t.Helper()
	out := map[string][]logline.View{}
	var last time.Time
	n := 0
	for _, line := range bytes.Split(bytes.TrimSuffix(log, []byte("\n")), []byte("\n")) {
		n++
		v, ok := logline.Parse(line, nil)
		var want logline.View
		if err := json.Unmarshal(line, &want); !ok || err != nil {
			t.Fatalf("line %d does not parse (%v): %s", n, err, line)
		}
		ts, err := time.Parse(time.RFC3339Nano, v.TS)
		if err != nil || ts.Before(last) {
			t.Fatalf("line %d: time %s out of order (after %s): %v", n, v.TS, last, err)
		}
		last = ts
		out[v.Account] = append(out[v.Account], v)
	}
	return out, n
}

// TestTileCopies: K copies have K times the lines and accounts, in time
// order; each copy's account has its base account's requests with its
// prompts opened by the copy's word, shifted by one time, from another
// network.
func TestTileCopies(t *testing.T) {
	base := simulated(t)
	baseAccts, baseLines := perAccount(t, base)
	var out bytes.Buffer
	st, err := Tile(bytes.NewReader(base), Config{Copies: 3, Seed: 1}, &out)
	if err != nil {
		t.Fatal(err)
	}
	accts, lines := perAccount(t, out.Bytes())
	if st.Lines != 3*baseLines || lines != st.Lines || len(accts) != 3*len(baseAccts) || st.Accounts != len(accts) {
		t.Fatalf("%d copies: %d lines (stats %+v), %d accounts; base %d lines, %d accounts", 3, lines, st, len(accts), baseLines, len(baseAccts))
	}
	for name, want := range baseAccts {
		for k, suffix := range []string{"", "-c1", "-c2"} {
			got := accts[name+suffix]
			if len(got) != len(want) {
				t.Fatalf("%s%s: %d lines, base %d", name, suffix, len(got), len(want))
			}
			shift := tsOf(t, got[0]).Sub(tsOf(t, want[0]))
			for i := range got {
				g, w := got[i], want[i]
				if d := tsOf(t, g).Sub(tsOf(t, w)); d != shift || (k == 0 && d != 0) || d < 0 || d >= 24*time.Hour {
					t.Fatalf("%s%s line %d: shifted %v, first %v", name, suffix, i, d, shift)
				}
				gu, wu := lastUser(g), lastUser(w)
				want := wu
				if k > 0 && wu != "" { // a request without a user message has nothing to mark
					want = []string{"", "zqb ", "zqc "}[k] + wu
				}
				if gu != want {
					t.Fatalf("%s%s: prompt %q, base %q", name, suffix, gu, wu)
				}
				if g.APIKeyID != w.APIKeyID+suffix || sameNet(g.IP, w.IP) != (k == 0) {
					t.Fatalf("%s%s: key %s ip %s, base %s %s", name, suffix, g.APIKeyID, g.IP, w.APIKeyID, w.IP)
				}
			}
		}
	}
}

func tsOf(t *testing.T, v logline.View) time.Time {
	ts, err := time.Parse(time.RFC3339Nano, v.TS)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func lastUser(v logline.View) string {
	s := ""
	if v.Prompt != nil {
		s = *v.Prompt
	}
	for _, m := range v.Messages {
		if m.Role == "user" {
			s = m.Content
		}
	}
	return s
}

func sameNet(a, b string) bool {
	x, y := netip.MustParseAddr(a), netip.MustParseAddr(b)
	p, _ := x.Prefix(24)
	return p.Contains(y)
}

// TestTileOneCopyIsTheBase: one copy scans as the base does; Keep thins
// each copy; a gzipped file reads back.
func TestTileOneCopyIsTheBase(t *testing.T) {
	dir := t.TempDir()
	basePath := filepath.Join(dir, "base.jsonl")
	if err := os.WriteFile(basePath, simulated(t), 0o644); err != nil {
		t.Fatal(err)
	}
	one := filepath.Join(dir, "one.jsonl.gz")
	if _, err := WriteFile(one, basePath, Config{Copies: 1}); err != nil {
		t.Fatal(err)
	}
	scan := func(path string) string {
		rep, err := logscan.Scan(context.Background(), logscan.DefaultConfig(), []string{path}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rep)
		return string(b)
	}
	if scan(one) != scan(basePath) {
		t.Errorf("one copy scans differently from its base")
	}
	var out bytes.Buffer
	base, _ := os.ReadFile(basePath)
	_, baseLines := perAccount(t, base)
	st, err := Tile(bytes.NewReader(base), Config{Copies: 4, Keep: 0.25, Seed: 2}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if _, n := perAccount(t, out.Bytes()); n != st.Lines || n < baseLines*3/4 || n > baseLines*5/4 {
		t.Errorf("4 copies keeping a quarter: %d lines (stats %d), base %d", n, st.Lines, baseLines)
	}
	if _, err := Tile(strings.NewReader(string(base)), Config{}, &out); err == nil {
		t.Errorf("no copies: no error")
	}
}
