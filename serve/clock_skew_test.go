package serve

import (
	"encoding/json"
	"testing"
	"time"

	"forensics/internal/testredis"
)

// TestClockSkew: a replica whose clock is further from Redis's than half
// the case-switch margin is not ready (it would switch accounts into
// their cases at another instant than the others); with Redis on this
// machine the check passes and shows in /readyz.
func TestClockSkew(t *testing.T) {
	srv := testredis.Start(t)
	g := startGateway(t, testKey(t, 1), `state: {redis: "`+srv.URL(0)+`"}`)
	if got := g.srv.maxSkew(); got != 30*time.Second {
		t.Fatalf("max skew with the default one-hour window: %v", got)
	}
	for _, c := range []struct {
		skew time.Duration
		ok   bool
	}{{0, true}, {2 * time.Second, true}, {-29 * time.Second, true}, {31 * time.Second, false}, {-10 * time.Minute, false}} {
		if err := g.srv.judgeSkew(c.skew); (err == nil) != c.ok {
			t.Errorf("skew %v: %v", c.skew, err)
		}
	}
	checks, ok := g.srv.checkReady(t.Context())
	if !ok || checks["clock"] != "ok" {
		raw, _ := json.Marshal(checks)
		t.Errorf("readiness with Redis on this machine: %s", raw)
	}
}
