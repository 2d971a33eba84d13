package serve

import (
	"encoding/json"
	"slices"
	"testing"

	"forensics/internal/testredis"
)

// TestAdminRiskLogsDecisions: an /admin/risk line names who was decided
// what (and the body's hash), so the request log alone says when each
// account was suspended, throttled or cleared.
func TestAdminRiskLogsDecisions(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	for _, body := range []map[string]any{
		{"accounts": []map[string]any{{"account": "dev", "risk": 0.9, "action": "suspend"}, {"account": "dev2", "risk": 0.7, "action": "throttle", "throttle": 0.25}}},
		{"accounts": []map[string]any{{"account": "dev", "risk": 0.1, "action": "none"}}},
	} {
		resp := g.post("/admin/risk", adminKey, body)
		if text := readAll(t, resp); resp.StatusCode != 200 {
			t.Fatalf("/admin/risk: %d %s", resp.StatusCode, text)
		}
	}
	var got [][]string
	for _, e := range g.logLines() {
		if e.Endpoint != "/admin/risk" {
			continue
		}
		var ds []string
		raw, _ := json.Marshal(e.Params["decisions"])
		json.Unmarshal(raw, &ds)
		if e.Params["sha256"] == nil {
			t.Errorf("an /admin/risk line without the body's hash: %v", e.Params)
		}
		got = append(got, ds)
	}
	want := [][]string{{"dev suspend", "dev2 throttle 0.25"}, {"dev none"}}
	if len(got) != len(want) || !slices.Equal(got[0], want[0]) || !slices.Equal(got[1], want[1]) {
		t.Errorf("logged decisions %q, want %q", got, want)
	}
}

// TestAdminLimitsReset: an operator's tightening, which with Redis
// outlives restarts, can be lifted (reset), logged; factor and reset
// together are refused.
func TestAdminLimitsReset(t *testing.T) {
	srv := testredis.Start(t)
	g := startGateway(t, testKey(t, 1), `state: {redis: "`+srv.URL(0)+`"}`)
	limitsOf := func(body map[string]any) (int, Limits) {
		t.Helper()
		resp := g.post("/admin/limits", adminKey, body)
		var out struct {
			Limits Limits `json:"limits"`
		}
		json.Unmarshal([]byte(readAll(t, resp)), &out)
		return resp.StatusCode, out.Limits
	}
	if code, l := limitsOf(map[string]any{"account": "limited", "factor": 0.5}); code != 200 || l.RequestsPerHour != 1 {
		t.Fatalf("tighten: %d %+v", code, l)
	}
	if code, _ := limitsOf(map[string]any{"account": "limited", "factor": 0.5, "reset": true}); code != 400 {
		t.Errorf("factor and reset together: %d", code)
	}
	if code, l := limitsOf(map[string]any{"account": "limited", "reset": true}); code != 200 || l.RequestsPerHour != 2 {
		t.Errorf("reset: %d %+v", code, l)
	}
	if code, _ := limitsOf(map[string]any{"account": "nobody", "reset": true}); code != 400 {
		t.Errorf("reset of an unknown account: %d", code)
	}
	n := 0
	for _, e := range g.logLines() {
		if e.Endpoint == "/admin/limits" && e.Params["reset"] == true {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d /admin/limits lines with reset logged, want 3", n)
	}
}
