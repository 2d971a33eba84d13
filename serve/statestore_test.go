package serve

import (
	"path/filepath"
	"testing"

	"forensics/internal/testredis"
)

// TestCaseFeedOnStateRedis: with state.redis and no feed given, case
// decisions travel through the state store's Redis: a case opened on the
// replica holding the ledger reaches a follower.
func TestCaseFeedOnStateRedis(t *testing.T) {
	rds := testredis.Start(t)
	key, clk := testKey(t, 1), newTestClock()
	start := func(ledger string) *gateway {
		g := startGatewayWith(t, key, `state: {redis: "`+rds.URL(0)+`"}`, func(c *Config, o *Options) {
			c.Log.SigningKey = "preloaded"
			c.Cases = CasesConfig{Ledger: ledger, Follow: ledger == "", MasterKey: testKeyName, OpenAt: "alert"}
			o.LogSigner, o.Now = caseSigner, clk.now
		})
		g.clock = clk
		return g
	}
	holder := start(filepath.Join(t.TempDir(), "cases.jsonl"))
	follower := start("")
	if code, _, body := caseCall(t, holder, "/admin/cases", CaseRequest{Accounts: []string{"dev"}}); code != 200 {
		t.Fatalf("open: %d %s", code, body)
	}
	took := waitFor(t, "the follower hears of the case through Redis", func() bool { return len(follower.srv.cases.list()) == 1 })
	t.Logf("the follower had the case after %v", took)
}
