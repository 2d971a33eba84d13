package serve

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestReloadKeepsCasedAccounts: a reload may not remove an account that
// is in a case, nor move it off the master key, while the case is open
// (added back, it would be served under the master key while the ledger
// says it is in its case); once the case is closed and in effect, it may.
func TestReloadKeepsCasedAccounts(t *testing.T) {
	g := startCaseGateway(t, testKey(t, 1), filepath.Join(t.TempDir(), "cases.jsonl"), "")
	if code, _, body := caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev"}}); code != 200 {
		t.Fatalf("open: %d %s", code, body)
	}
	without := func(name string) *Config {
		c := *g.srv.cfg
		c.Accounts = slices.DeleteFunc(slices.Clone(c.Accounts), func(a AccountConfig) bool { return a.Name == name })
		return &c
	}
	moved := func(name string) *Config {
		c := *g.srv.cfg
		c.Accounts = slices.Clone(c.Accounts)
		for i := range c.Accounts {
			if c.Accounts[i].Name == name {
				off := false
				c.Accounts[i].Watermark = &off
			}
		}
		return &c
	}
	for what, cfg := range map[string]*Config{"removed": without("dev"), "moved off the master key": moved("dev")} {
		if _, err := g.srv.Reload(cfg, "test"); err == nil || !strings.Contains(err.Error(), "case") {
			t.Errorf("an account in an open case %s by a reload: %v", what, err)
		}
	}
	if _, err := g.srv.Reload(without("dev2"), "test"); err != nil {
		t.Errorf("removing an account in no case: %v", err)
	}
	if code, _, body := caseCall(t, g, "/admin/cases/close", CaseRequest{Case: "case-0001"}); code != 200 {
		t.Fatalf("close: %d %s", code, body)
	}
	g.nextWindow()
	g.nextWindow()
	askSeeded(t, g, devKey, 1) // folds the closed case away
	if _, err := g.srv.Reload(without("dev"), "test"); err != nil {
		t.Errorf("removing an account whose case is closed: %v", err)
	}
}

// TestCasedAccountBackAfterRestart: an account in an open case, removed
// from the config and the gateway restarted, then added back by a
// reload, is served under its case key again (the ledger still has it in
// the case), not on a fresh timeline under the master key.
func TestCasedAccountBackAfterRestart(t *testing.T) {
	key := testKey(t, 1)
	ledger := filepath.Join(t.TempDir(), "cases.jsonl")
	g := startCaseGateway(t, key, ledger, "")
	if code, _, body := caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev"}}); code != 200 {
		t.Fatalf("open: %d %s", code, body)
	}
	full := *g.srv.cfg
	g.close()
	clk := newTestClock()
	clk.advance(time.Hour) // past the boundary: dev is in its case
	g2 := startGatewayWith(t, key, "", func(c *Config, o *Options) {
		c.Log.SigningKey = "preloaded"
		c.Cases = CasesConfig{Ledger: ledger, MasterKey: testKeyName, OpenAt: "alert"}
		c.Accounts = slices.DeleteFunc(slices.Clone(c.Accounts), func(a AccountConfig) bool { return a.Name == "dev" })
		o.LogSigner, o.Now = caseSigner, clk.now
	})
	back := *g2.srv.cfg
	back.Accounts = full.Accounts
	if _, err := g2.srv.Reload(&back, "test"); err != nil {
		t.Fatal(err)
	}
	askSeeded(t, g2, devKey, 1)
	for _, e := range g2.logLines() {
		if e.Endpoint == "/api/generate" && (e.Case != "case-0001" || e.Watermark.KeyID != "gw-test.case-0001") {
			t.Errorf("dev added back: case %q key %s, want case-0001", e.Case, e.Watermark.KeyID)
		}
	}
}
