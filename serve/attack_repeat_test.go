package serve

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/caseledger"
	"forensics/internal/measure"
)

// The attack: a harvester re-sends one repeatable request (a client seed,
// or temperature 0, which is served at the floor repeatably) every few
// minutes. Before repeat windows, the answer changed the moment its case
// opened (the key is part of the sampling), and only then. Now every
// repeatable answer changes at every window boundary, for every account,
// and a case takes effect only at a boundary.

// repeatables are the two repeatable requests of the attack.
var repeatables = []struct {
	name string
	opts map[string]any
}{
	{"seeded", map[string]any{"num_predict": 30, "min_tokens": 30, "seed": 7, "temperature": 1.0}},
	{"temperature 0", map[string]any{"num_predict": 30, "min_tokens": 30, "temperature": 0}},
}

// askRepeatables sends the repeatable requests and returns their texts.
func askRepeatables(t *testing.T, g *gateway, key string) []string {
	t.Helper()
	var out []string
	for _, r := range repeatables {
		resp := g.post("/api/generate", key, map[string]any{"model": "embedded", "prompt": "Tell me about the sea.", "stream": false, "options": r.opts})
		out = append(out, responseText(t, "/api/generate", false, resp))
	}
	return out
}

// TestAttackRepeatAcrossCase runs the attack on a cased account (dev) and,
// at the same times, an uncased one (dev2): (a) before the case opens,
// (b) after it is opened but before the boundary, (c) after the boundary.
// (a) and (b) must be identical for both; at (c) both must have changed,
// so the change says nothing about the case. The log says dev was served
// under the master key at (b) and under the case key at (c).
func TestAttackRepeatAcrossCase(t *testing.T) {
	g := startCaseGateway(t, testKey(t, 1), filepath.Join(t.TempDir(), "cases.jsonl"), "")
	accounts := []struct{ name, key string }{{"dev", devKey}, {"dev2", dev2Key}}
	probe := func() [][]string {
		var out [][]string
		for _, a := range accounts {
			out = append(out, askRepeatables(t, g, a.key))
		}
		return out
	}
	a := probe()
	code, cr, body := caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev"}})
	if code != 200 {
		t.Fatalf("open: %d %s", code, body)
	}
	boundary := clockAnchor.Truncate(time.Hour).Add(time.Hour)
	if c := cr.Cases[0]; !c.Opened.Equal(boundary) || !c.Members[0].Added.Equal(boundary) || !c.Decided.Before(boundary) {
		t.Fatalf("the case takes effect at %s (decided %s), want the next boundary %s", c.Opened, c.Decided, boundary)
	}
	b := probe()
	g.nextWindow()
	c := probe()
	for i, acct := range accounts {
		for j, r := range repeatables {
			if a[i][j] != b[i][j] {
				t.Errorf("%s, %s: the answer changed within the window the case was opened in:\n%q\n%q", acct.name, r.name, a[i][j], b[i][j])
			}
			if b[i][j] == c[i][j] {
				t.Errorf("%s, %s: the answer did not change at the boundary", acct.name, r.name)
			}
		}
	}
	if d := probe(); d[0][0] != c[0][0] || d[1][1] != c[1][1] {
		t.Error("answers do not repeat within the new window")
	}
	// dev's lines: (a) and (b) under the master key, (c) and (d) the case's.
	n := 0
	for _, e := range g.logLines() {
		if e.Account != "dev" {
			continue
		}
		wantCase := ""
		if n >= 2*len(repeatables) {
			wantCase = "case-0001"
		}
		if e.Case != wantCase || e.Watermark == nil || e.Watermark.KeyID != strings.TrimSuffix("gw-test."+wantCase, ".") {
			t.Errorf("dev's line %d: case %q, key %+v; want case %q", n, e.Case, e.Watermark, wantCase)
		}
		n++
	}
	if n != 4*len(repeatables) {
		t.Errorf("%d lines of dev, want %d", n, 4*len(repeatables))
	}
}

// TestAttackRepeatDistinguisher: over 16 accounts of which half are put
// in one case, the indicator "my repeatable answer changed between two
// probes" is 0 for every account within the window the case was opened
// in, and 1 for every account across the boundary it takes effect at.
func TestAttackRepeatDistinguisher(t *testing.T) {
	const n = 16
	keys := map[string]string{}
	// The test config's gateway with n more accounts, cases on.
	g := startClockedGateway(t, testKey(t, 1), "", func(c *Config, o *Options) {
		c.Log.SigningKey = "preloaded"
		c.Cases = CasesConfig{Ledger: filepath.Join(t.TempDir(), "cases.jsonl"), MasterKey: testKeyName, OpenAt: "alert"}
		o.LogSigner = caseSigner
		for i := range n {
			name, key := fmt.Sprintf("h%02d", i), fmt.Sprintf("key-h%02d", i)
			keys[name] = key
			c.Accounts = append(c.Accounts, AccountConfig{Name: name, APIKeys: []string{HashAPIKey(key)}})
		}
	})
	ask := func(name string) string {
		resp := g.post("/api/generate", keys[name], map[string]any{"model": "embedded", "prompt": "Write about a long journey.", "stream": false,
			"options": map[string]any{"num_predict": 16, "min_tokens": 16, "seed": 3, "temperature": 1.0}})
		return responseText(t, "/api/generate", false, resp)
	}
	names := make([]string, n)
	first := map[string]string{}
	for i := range n {
		names[i] = fmt.Sprintf("h%02d", i)
		first[names[i]] = ask(names[i])
	}
	if code, _, body := caseCall(t, g, "/admin/cases", CaseRequest{Accounts: names[:n/2]}); code != 200 {
		t.Fatalf("open: %d %s", code, body)
	}
	g.clock.advance(10 * time.Minute)
	var within, across [2]int // [uncased, cased]: accounts whose answer changed
	second := map[string]string{}
	for i, name := range names {
		second[name] = ask(name)
		if second[name] != first[name] {
			within[boolIndex(i < n/2)]++
		}
	}
	g.nextWindow()
	for i, name := range names {
		if ask(name) != second[name] {
			across[boolIndex(i < n/2)]++
		}
	}
	t.Logf("changed within the window: uncased %d/%d, cased %d/%d; across the boundary: %d/%d, %d/%d", within[0], n/2, within[1], n/2, across[0], n/2, across[1], n/2)
	if within != [2]int{0, 0} || across != [2]int{n / 2, n / 2} {
		t.Errorf("the indicator differs between accounts: within %v, across %v (want 0s, then %ds)", within, across, n/2)
	}
	if cases, _ := caseledger.Replay(ledgerEvents(t, g.srv.cases.ledger.Path())); len(cases) != 1 || len(cases[0].Members) != n/2 {
		t.Fatalf("cases %+v", cases)
	}
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestAttackCaseFingerprint measures what the repeat window does not
// hide: a short answer at a low temperature is mostly decided by the green
// list (near-ties go to the green token), so the answers to a few short
// prompts fingerprint the key, with fresh randomness and no seed. The
// client asks each prompt for two tokens at temperature 0.2 before and
// after the boundary its case takes effect at, and counts the answers that
// stayed the same; an uncased account does the same. (Recorded in
// docs/cases.md; no defence yet.)
func TestAttackCaseFingerprint(t *testing.T) {
	measure.Require(t, "key fingerprint by short low-temperature answers, 2×200 prompts, a few seconds")
	const n = 200
	g := startCaseGateway(t, testKey(t, 1), filepath.Join(t.TempDir(), "cases.jsonl"), "")
	ask := func(key string, i int) string {
		resp := g.post("/api/generate", key, map[string]any{"model": "embedded", "prompt": fmt.Sprintf("Question %d: tell me about the war.", i), "stream": false,
			"options": map[string]any{"num_predict": 2, "min_tokens": 2, "temperature": 0.2}})
		return responseText(t, "/api/generate", false, resp)
	}
	keys := []string{dev2Key, devKey} // uncased, cased
	var before [2][]string
	var again, after [2]int // answers unchanged within the window, and across the boundary
	for c, key := range keys {
		for i := range n {
			before[c] = append(before[c], ask(key, i))
			if ask(key, i) == before[c][i] {
				again[c]++
			}
		}
	}
	caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev"}})
	g.nextWindow()
	for c, key := range keys {
		for i := range n {
			if ask(key, i) == before[c][i] {
				after[c]++
			}
		}
	}
	for c, who := range []string{"uncased", "cased"} {
		lo, hi := wilson(again[c], n, 1.96)
		lo2, hi2 := wilson(after[c], n, 1.96)
		t.Logf("%s: same answer within a window %d/%d (%.2f–%.2f), across the boundary %d/%d (%.2f–%.2f)", who, again[c], n, lo, hi, after[c], n, lo2, hi2)
	}
}
