package serve

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"forensics/canary"
	"forensics/llm/embedded"
	"forensics/logscan"
	"forensics/watermark"
)

// TestScanReportApplies checks that the JSON of `forensics scan-logs
// --json` is what /admin/risk takes.
func TestScanReportApplies(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	rep := logscan.Report{Accounts: []logscan.AccountReport{{Account: "limited", Verdict: logscan.Verdict{Risk: 0.7, Action: "throttle", Throttle: 0.5, Fired: []string{"x"}}}}}
	resp := g.post("/admin/risk", adminKey, rep)
	if body := readAll(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `"applied":1`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if l, _ := g.srv.effectiveLimits("limited"); l.RequestsPerHour != 1 {
		t.Fatalf("limits %+v", l)
	}
}

// askAbout sends one short generation with a prompt.
func askAbout(t *testing.T, g *gateway, key, prompt string) int {
	t.Helper()
	resp := g.post("/api/generate", key, map[string]any{"model": "embedded", "prompt": prompt, "stream": false, "options": map[string]any{"num_predict": 1}})
	readAll(t, resp)
	return resp.StatusCode
}

// TestRateLimitsPatterns: the rule shape. An account that sweeps
// topics gets its limits multiplied by suspicious_pattern_multiplier on
// the request that crosses unique_topics_per_day; another account keeps its
// limits; requests_per_hour is the default hourly limit.
func TestRateLimitsPatterns(t *testing.T) {
	g := startGateway(t, testKey(t, 1), `
rate_limits:
  requests_per_hour: 1000
  unique_topics_per_day: 4
  systematic_coverage_threshold: 0.75
  suspicious_pattern_multiplier: 0.1
`)
	if l, _ := g.srv.effectiveLimits("dev"); l.RequestsPerHour != 1000 {
		t.Fatalf("default hourly limit %+v, want 1000 from rate_limits", l)
	}
	sweep := []string{"Explain the integral of x", "Debug this python function", "What causes a disease", "Draft a contract clause", "Which stock to invest in", "Summarize this novel"}
	for i, p := range sweep {
		if code := askAbout(t, g, devKey, p); code != 200 {
			t.Fatalf("request %d: %d", i, code)
		}
		if trips := g.srv.PatternTrips(); i < 2 && trips["dev"] != "" {
			t.Fatalf("tripped after %d prompts: %s", i+1, trips["dev"])
		}
	}
	if why := g.srv.PatternTrips()["dev"]; !strings.Contains(why, "unique_topics_per_day 4") {
		t.Fatalf("not tripped after 6 topics: %q", why)
	}
	if l, _ := g.srv.effectiveLimits("dev"); l.RequestsPerHour != 100 {
		t.Errorf("dev limits %+v, want 1000 × 0.1", l)
	}
	askAbout(t, g, plainKey, "Explain the integral of x")
	if l, _ := g.srv.effectiveLimits("plain"); l.RequestsPerHour != 1000 {
		t.Errorf("plain limits %+v", l)
	}
	if body := readAll(t, g.get("/metrics", adminKey)); !strings.Contains(body, `forensics_account_throttle_factor{account="dev"} 0.1`) {
		t.Error("throttle factor not exposed in /metrics")
	}
}

// TestBuiltInScan: with risk.scan_every the gateway judges its own traffic
// with the full scanner and applies the actions (here, a reasoning-trace
// harvester is throttled or suspended; a normal user is not).
func TestBuiltInScan(t *testing.T) {
	g := startGateway(t, testKey(t, 1), `
risk:
  scan_every: 1h
`)
	ordinary := []string{"hello there, how are you today?", "what should I cook tonight with leftover rice", "thanks!", "can you recommend a novel for a long train ride",
		"my cat keeps waking me up at 5, any ideas", "is it going to be cold in Oslo next week", "write a birthday note for my sister", "explain what a mortgage is"}
	for i := range 30 {
		askAbout(t, g, devKey, "Solve the following physics problem step by step and show your reasoning: gravity case "+strings.Repeat("x", i%3))
		if i < len(ordinary) {
			askAbout(t, g, plainKey, ordinary[i])
		}
	}
	applied, err := g.srv.ScanNow()
	if err != nil || applied < 2 {
		t.Fatalf("scan: %d applied, %v", applied, err)
	}
	l, _ := g.srv.effectiveLimits("dev")
	_, suspended := g.srv.suspendedRisk("dev")
	if !suspended && l.RequestsPerHour >= 2 {
		t.Errorf("the harvester was neither throttled nor suspended: %+v", l)
	}
	if _, s := g.srv.suspendedRisk("plain"); s {
		t.Error("the ordinary account was suspended")
	}
}

// TestRiskSourcesDoNotUndoEachOther: the built-in scan finding nothing
// does not lift an operator's suspension or a manual tightening.
func TestRiskSourcesDoNotUndoEachOther(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "risk:\n  scan_every: 1h\n")
	askAbout(t, g, devKey, "hello")
	askAbout(t, g, limitedKey, "hello")
	if _, _, err := g.srv.ApplyRisk([]Assessment{{Account: "dev", Risk: 0.9, Action: "suspend"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.srv.Tighten("limited", 0.5); err != nil {
		t.Fatal(err)
	}
	before, _ := g.srv.effectiveLimits("limited")
	if _, err := g.srv.ScanNow(); err != nil {
		t.Fatal(err)
	}
	if _, s := g.srv.suspendedRisk("dev"); !s {
		t.Error("a scan that found nothing lifted an operator's suspension")
	}
	if after, _ := g.srv.effectiveLimits("limited"); after != before {
		t.Errorf("a scan undid a manual tightening: %+v → %+v", before, after)
	}
	// The operator lifts it; then it is gone.
	g.srv.ApplyRisk([]Assessment{{Account: "dev", Action: "none"}})
	if _, s := g.srv.suspendedRisk("dev"); s {
		t.Error("the operator's restore did not lift the suspension")
	}
}

// TestRateLimitsWithoutLogFile: the patterns need no request log file.
func TestRateLimitsWithoutLogFile(t *testing.T) {
	cfg, err := ParseConfig([]byte(fmt.Sprintf(`
keys: {k: unused.yaml}
defaults: {key: k}
accounts: [{name: dev, api_keys: ["%s"]}]
rate_limits: {requests_per_hour: 1000, unique_topics_per_day: 2}
`, HashAPIKey(devKey))))
	if err != nil {
		t.Fatal(err)
	}
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, Options{Backend: NewEmbeddedBackend(m), Keys: map[string]*watermark.Key{"k": testKey(t, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	g := &gateway{t: t, srv: srv, http: httptest.NewServer(srv.Handler())}
	t.Cleanup(g.close)
	for _, p := range []string{"Explain the integral of x", "Debug this python function", "What causes a disease", "Draft a contract clause"} {
		askAbout(t, g, devKey, p)
	}
	if g.srv.PatternTrips()["dev"] == "" {
		t.Error("rate_limits did nothing without a log file")
	}
}

// TestPlantedCanaries: with canaries configured, a trigger prompt gets its
// planted answer (through both APIs, logged with the trigger id), and
// other prompts are generated as usual.
func TestPlantedCanaries(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "canaries: default\n")
	cs, err := canary.Load(canary.Default)
	if err != nil {
		t.Fatal(err)
	}
	tr := cs.Triggers[0]
	resp := g.post("/api/generate", devKey, map[string]any{"model": "embedded", "prompt": tr.Prompt, "stream": false})
	if body := readAll(t, resp); !strings.Contains(body, tr.Answer) {
		t.Errorf("generate: %s", body)
	}
	resp = g.post("/v1/chat/completions", devKey, map[string]any{"model": "embedded", "messages": []map[string]string{{"role": "user", "content": "  " + tr.Prompt + "\n"}}})
	if body := readAll(t, resp); !strings.Contains(body, strings.ReplaceAll(tr.Answer, "'", "\\u0027")) && !strings.Contains(body, tr.Answer) {
		t.Errorf("chat: %s", body)
	}
	askAbout(t, g, devKey, "an ordinary question")
	g.close()
	lines := g.logLines()
	if len(lines) != 3 || lines[0].Canary != tr.ID || lines[1].Canary != tr.ID || lines[2].Canary != "" {
		t.Errorf("log canary fields: %q %q %q", lines[0].Canary, lines[1].Canary, lines[2].Canary)
	}
}

// TestSecretCanaries: with canaries: secret every account plants the set
// derived from its own key (so a probe with that key asks what was
// planted), and the public demo set's triggers are generated as ordinary
// prompts. Two keys' sets share no trigger.
func TestSecretCanaries(t *testing.T) {
	key := testKey(t, 1)
	g := startGateway(t, key, "canaries: secret\n")
	secret, err := canary.NewSecret(key.CanarySeed(), key.ID)
	if err != nil {
		t.Fatal(err)
	}
	public, err := canary.Load(canary.Default)
	if err != nil {
		t.Fatal(err)
	}
	other, err := canary.NewSecret(testKey(t, 2).CanarySeed(), "other")
	if err != nil {
		t.Fatal(err)
	}
	for i, tr := range secret.Triggers {
		if tr.Prompt == public.Triggers[i].Prompt || tr.Answer == other.Triggers[i].Answer {
			t.Fatalf("trigger %d is shared with another set", i)
		}
	}
	tr := secret.Triggers[3]
	if body := readAll(t, g.post("/api/generate", devKey, map[string]any{"model": "embedded", "prompt": tr.Prompt, "stream": false})); !strings.Contains(body, tr.Answer) {
		t.Errorf("secret trigger not planted: %s", body)
	}
	pt := public.Triggers[3]
	if body := readAll(t, g.post("/api/generate", devKey, map[string]any{"model": "embedded", "prompt": pt.Prompt, "stream": false})); strings.Contains(body, pt.Answer) {
		t.Errorf("the public demo set was planted: %s", body)
	}
	g.close()
	lines := g.logLines()
	if len(lines) != 2 || lines[0].Canary != tr.ID || lines[1].Canary != "" {
		t.Errorf("log canary fields: %q %q", lines[0].Canary, lines[1].Canary)
	}
	if _, err := ParseConfig([]byte("canaries: secret\n")); err == nil || !strings.Contains(err.Error(), "no keys") {
		t.Errorf("canaries: secret without keys: %v", err)
	}
}
