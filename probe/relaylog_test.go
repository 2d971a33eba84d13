package probe_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"forensics/probe"
	"forensics/probe/probetest"
)

// TestCheckRelayLog runs the relay check on logs a relay of our service
// would leave, rewriting the prompt as the review did (case, spacing,
// punctuation, a prefix or suffix, a template, the prompt split over
// turns or in the system field), on logs that do not span the probe or
// whose chain is broken, and on the harvest of the trigger questions.
func TestCheckRelayLog(t *testing.T) {
	cs := probetest.SmallSet(t, 6)
	m := &probe.Manifest{Created: "2026-11-26T00:00:00Z", Targets: probe.Targets{Suspect: "s"}, Plan: probe.Plan{Prompts: 6, Triggers: 2}}
	prompt := cs.Prompts[2].Text // "Tell me about thing 2."
	start := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	recs := []probe.Record{{Query: probe.Query{Role: "suspect"}, Finished: start.Add(time.Hour)}}
	during := start.Add(30 * time.Minute)
	end := start.Add(2 * time.Hour)
	before := start.Add(-time.Hour)
	msg := func(parts ...string) map[string]any {
		var ms []map[string]string
		for _, p := range parts {
			ms = append(ms, map[string]string{"role": "user", "content": p})
		}
		return map[string]any{"messages": ms}
	}
	cases := []struct {
		name    string
		fields  map[string]any
		at      time.Time
		end     time.Time
		matches int
		covers  bool
	}{
		{"nobody asked", map[string]any{"prompt": "What is the weather like?"}, during, end, 0, true},
		{"verbatim", map[string]any{"prompt": prompt}, during, end, 1, true},
		{"a cache filled before", map[string]any{"prompt": prompt}, before, end, 1, true},
		{"suffix", map[string]any{"prompt": prompt + " Answer briefly."}, during, end, 1, true},
		{"prefix", map[string]any{"prompt": "Question: " + prompt}, during, end, 1, true},
		{"case and spacing", map[string]any{"prompt": strings.ToLower(strings.ReplaceAll(prompt, " ", "  \u00a0"))}, during, end, 1, true},
		{"template", map[string]any{"prompt": "User: " + prompt + "\nAssistant:"}, during, end, 1, true},
		{"split over turns", msg("Tell me about", "thing 2."), during, end, 1, true},
		{"system field", map[string]any{"system": prompt, "prompt": "go on"}, during, end, 1, true},
		{"lightly reworded", map[string]any{"prompt": "Please tell me all about thing 2"}, during, end, 1, true},
		{"the probe's own account", map[string]any{"prompt": prompt, "account": "probe"}, during, end, 0, true},
		// Found by the third review:
		{"in an assistant turn", map[string]any{"messages": []map[string]string{{"role": "user", "content": "Say the question"}, {"role": "assistant", "content": prompt}, {"role": "user", "content": "Now answer it."}}}, during, end, 1, true},
		{"reworded inside a long request", map[string]any{"system": strings.Repeat("You are a helpful assistant who answers with care. ", 10), "prompt": "Please tell me all about thing 2"}, during, end, 1, true},
		{"log ends within the clock skew of the probe's end", map[string]any{"prompt": "hello"}, during, start.Add(time.Hour + time.Second), 0, false},
		{"log ends before the probe does", map[string]any{"prompt": "hello"}, during, start.Add(50 * time.Minute), 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line := map[string]any{"ts": c.at.Format(time.RFC3339Nano), "account": "reseller", "endpoint": "/api/generate", "model": "m", "status": 200}
			for k, v := range c.fields {
				line[k] = v
			}
			path := probetest.WriteLog(t, before.Add(-time.Minute), c.end, line)
			mm := *m
			mm.RelayLog = &probe.RelayLogPlan{ExcludedAccount: "probe"}
			got, err := probe.CheckRelayLog(context.Background(), []string{path}, &mm, cs, recs)
			if err != nil {
				t.Fatal(err)
			}
			if got.Matches != c.matches || got.Covers() != c.covers || got.Excludes() != (c.covers && c.matches == 0) {
				t.Errorf("matches %d covers %v excludes %v; want %d %v (%s)", got.Matches, got.Covers(), got.Excludes(), c.matches, c.covers, got.Summary())
			}
		})
	}
	// Two gateways: one log began during the probe, so together they do
	// not span it; the same log given twice is read once.
	early := probetest.WriteLog(t, before.Add(-time.Minute), end, map[string]any{"ts": before.Format(time.RFC3339Nano), "account": "a", "prompt": "x", "status": 200})
	late := probetest.WriteLog(t, during, end, map[string]any{"ts": during.Format(time.RFC3339Nano), "account": "a", "prompt": "y", "status": 200})
	if got, err := probe.CheckRelayLog(context.Background(), []string{early, late}, m, cs, recs); err != nil || got.Covers() {
		t.Errorf("a log begun during the probe covers it: %+v %v", got, err)
	}
	if got, err := probe.CheckRelayLog(context.Background(), []string{early, early}, m, cs, recs); err != nil || got.Records != 1 || len(got.Files) != 1 {
		t.Errorf("a log given twice: %+v %v", got, err)
	}
	// A trigger question asked before the probe is the harvest, named,
	// and no relay.
	trig := map[string]any{"ts": before.Format(time.RFC3339Nano), "account": "harvester", "endpoint": "/api/generate", "prompt": cs.Triggers[0].Prompt, "status": 200}
	got, err := probe.CheckRelayLog(context.Background(), []string{probetest.WriteLog(t, before.Add(-time.Minute), end, trig)}, m, cs, recs)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Excludes() || len(got.TriggerHarvest) != 1 || got.TriggerHarvest[0].Account != "harvester" {
		t.Errorf("trigger harvest: %+v", got)
	}
	// A line removed from the chain: the log no longer counts.
	path := probetest.WriteLog(t, before.Add(-time.Minute), end, map[string]any{"ts": during.Format(time.RFC3339Nano), "account": "a", "prompt": "x", "status": 200},
		map[string]any{"ts": during.Format(time.RFC3339Nano), "account": "b", "prompt": "y", "status": 200})
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	os.WriteFile(path, []byte(strings.Join(append(lines[:2:2], lines[3:]...), "")), 0o644)
	if got, err := probe.CheckRelayLog(context.Background(), []string{path}, m, cs, recs); err != nil || got.Chains || got.Excludes() {
		t.Errorf("broken chain: %+v %v", got, err)
	}
}
