package serve

import (
	"strings"
	"testing"

	"forensics/monitor"
)

// TestScanReportApplies checks that the JSON of `forensics scan-logs
// --json` is what /admin/risk takes.
func TestScanReportApplies(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	rep := monitor.Report{Accounts: []monitor.AccountReport{{Account: "limited", Risk: 0.7, Action: "throttle", Throttle: 0.5, Fired: []string{"x"}}}}
	resp := g.post("/admin/risk", adminKey, rep)
	if body := readAll(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `"applied":1`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if l, _ := g.srv.lim.limits("limited"); l.RequestsPerHour != 1 {
		t.Fatalf("limits %+v", l)
	}
}
