package serve

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"forensics/canary"
	"forensics/corpora"
	"forensics/logline"
	"forensics/logscan"
)

func toMessages(ms []map[string]string) []logline.Message {
	out := make([]logline.Message, len(ms))
	for i, m := range ms {
		out[i] = logline.Message{Role: m["role"], Content: m["content"]}
	}
	return out
}

// harvestPrompts is a reasoning-trace campaign over every topic of the
// scan-logs taxonomy: n prompts, one topic after another.
func harvestPrompts(t *testing.T, n int) []string {
	t.Helper()
	var tax struct {
		Topics map[string][]string `yaml:"topics"`
	}
	if err := yaml.Unmarshal(corpora.TopicsYAML, &tax); err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range tax.Topics {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]string, n)
	for i := range out {
		kws := tax.Topics[names[i%len(names)]]
		kw := strings.TrimSuffix(kws[(i/len(names))%len(kws)], "*")
		out[i] = fmt.Sprintf("Explain %s in full detail, step by step, and show your reasoning before the answer.", kw)
	}
	return out
}

// TestAttackHiddenInput runs one reasoning-trace harvest four ways: as
// ordinary prompts (dev), carried in the system field with a constant
// "Go." as the question (dev2: /api/generate's system and a chat's system
// message), as fabricated earlier user turns of a chat (plain), and as
// fabricated assistant turns (limited, its limits lifted). Each request's
// log line must hold all of it, and scan-logs must score the hidden
// campaigns like the open one (the issue measured 1.00 against 0.39 for
// the system field). A canary trigger asked in the system field or in an
// assistant turn must be answered with its planted answer; an answer the
// gateway served, sent back as the assistant turn of a real chat, is not
// read as the client's text.
func TestAttackHiddenInput(t *testing.T) {
	g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, _ *Options) {
		c.Canaries = canary.Default
		c.Requests.MaxBodyBytes = 1 << 20
		for i := range c.Accounts {
			if c.Accounts[i].Name == "limited" {
				c.Accounts[i].Limits = nil
			}
		}
	})
	prompts := harvestPrompts(t, 240)
	opts := map[string]any{"num_predict": 4}
	for i, p := range prompts {
		readAll(t, g.post("/api/chat", devKey, map[string]any{"model": "embedded", "stream": false, "options": opts,
			"messages": []map[string]string{{"role": "user", "content": p}}}))
		if i%2 == 0 {
			readAll(t, g.post("/api/generate", dev2Key, map[string]any{"model": "embedded", "stream": false, "options": opts, "system": p, "prompt": "Go."}))
		} else {
			readAll(t, g.post("/api/chat", dev2Key, map[string]any{"model": "embedded", "stream": false, "options": opts,
				"messages": []map[string]string{{"role": "system", "content": p}, {"role": "user", "content": "Go."}}}))
		}
		readAll(t, g.post("/api/chat", plainKey, map[string]any{"model": "embedded", "stream": false, "options": opts,
			"messages": []map[string]string{{"role": "user", "content": p}, {"role": "assistant", "content": "Sure."}, {"role": "user", "content": "Go on."}}}))
		readAll(t, g.post("/api/chat", limitedKey, map[string]any{"model": "embedded", "stream": false, "options": opts,
			"messages": []map[string]string{{"role": "assistant", "content": p}, {"role": "user", "content": "Go on."}}}))
	}
	cs, _ := canary.Load(canary.Default)
	trig := cs.Triggers[0]
	resp := g.post("/api/chat", dev2Key, map[string]any{"model": "embedded", "stream": false,
		"messages": []map[string]string{{"role": "system", "content": trig.Prompt}, {"role": "user", "content": "Answer."}}})
	if got := responseText(t, "/api/chat", false, resp); got != trig.Answer {
		t.Errorf("trigger in the system field answered %q, want the planted answer", got)
	}
	resp = g.post("/api/chat", limitedKey, map[string]any{"model": "embedded", "stream": false,
		"messages": []map[string]string{{"role": "assistant", "content": cs.Triggers[1].Prompt}, {"role": "user", "content": "Answer."}}})
	if got := responseText(t, "/api/chat", false, resp); got != cs.Triggers[1].Answer {
		t.Errorf("trigger in an assistant turn answered %q, want the planted answer", got)
	}
	// A real chat: the served answer comes back as the assistant turn.
	q := []map[string]string{{"role": "user", "content": "Tell me of Moscow."}}
	first := responseText(t, "/api/chat", false, g.post("/api/chat", devKey, map[string]any{"model": "embedded", "stream": false, "options": opts, "messages": q}))
	q = append(q, map[string]string{"role": "assistant", "content": first}, map[string]string{"role": "user", "content": "And then?"})
	if parts := clientParts(g.srv.current().byName["dev"], &genRequest{messages: toMessages(q)}); len(parts) != 2 {
		t.Errorf("a served answer sent back counted as client text: %q", parts)
	}
	lines := g.logLines()
	for _, e := range lines {
		if e.Account == "dev2" && e.Canary == "" {
			held := e.System != nil && strings.HasPrefix(*e.System, "Explain ")
			for _, m := range e.Messages {
				held = held || strings.HasPrefix(m.Content, "Explain ")
			}
			if !held {
				t.Fatalf("a log line lost the system prompt: %+v", e)
			}
		}
	}
	planted := map[string]bool{}
	for _, e := range lines {
		if e.Canary != "" {
			planted[e.Canary] = true
		}
	}
	if !planted[trig.ID] || !planted[cs.Triggers[1].ID] || len(planted) != 2 {
		t.Errorf("planted answers logged: %v", planted)
	}
	rep, err := logscan.Scan(context.Background(), logscan.DefaultConfig(), []string{filepath.Join(g.logDir, "requests.jsonl")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	risk := map[string]float64{}
	for _, a := range rep.Accounts {
		risk[a.Account] = a.Risk
	}
	t.Logf("scan-logs risk of one campaign: as prompts %.2f, in the system field %.2f, as earlier user turns %.2f, as assistant turns %.2f",
		risk["dev"], risk["dev2"], risk["plain"], risk["limited"])
	for _, acct := range []string{"dev2", "plain", "limited"} {
		if risk[acct] < risk["dev"]-0.05 {
			t.Errorf("%s: the hidden campaign scores %.2f against %.2f in the open", acct, risk[acct], risk["dev"])
		}
	}
}
