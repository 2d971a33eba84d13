package logscan_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"forensics/internal/traffic"
	"forensics/logline"
	"forensics/logscan"
)

// The adversarial review's attacks on the scoring, run against the default
// reference (the shipped prior): alike accounts must not shield each other
// (they did when the log was pooled into the reference), and a developer
// trying a few temperatures on a few prompts must not be throttled (it was
// suspended when a reference of zeros was extrapolated from).

// harvestLines writes k accounts that each ask for long step-by-step
// answers on every topic, n requests over 3 days, unlinked (each its own
// network and client).
func harvestLines(k, n int, topics []string) []*logline.Entry {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var out []*logline.Entry
	for h := range k {
		rng := rand.New(rand.NewPCG(uint64(h), 99))
		acct := fmt.Sprintf("harvest-%02d", h)
		ip := fmt.Sprintf("%d.%d.%d.%d", 11+h, rng.IntN(256), rng.IntN(256), 2+rng.IntN(200))
		for i := range n {
			ts := start.Add(time.Duration(rng.IntN(3*24*3600)) * time.Second)
			q := fmt.Sprintf("Explain %s in depth, case %d. Think step by step and show all your reasoning.", topics[i%len(topics)], i)
			out = append(out, entry(ts, acct, ip, fmt.Sprintf("client-%d/1.%d", h, i%3), q, 0.8, 20, 900))
		}
	}
	return out
}

func entry(ts time.Time, acct, ip, ua, prompt string, temp float64, promptTok, completion int) *logline.Entry {
	return &logline.Entry{TS: ts.Format(time.RFC3339), Account: acct, IP: ip, UserAgent: ua, Endpoint: "/v1/chat/completions",
		Model: "m", Messages: []logline.Message{{Role: "user", Content: prompt}}, Params: map[string]any{"temperature": temp, "max_tokens": 1000},
		Status: 200, PromptTokens: promptTok, CompletionTokens: completion, Stop: "stop"}
}

// scanWith scans simulated benign traffic with extra entries appended.
func scanWith(t *testing.T, extra []*logline.Entry) *logscan.Report {
	t.Helper()
	var buf bytes.Buffer
	if _, err := traffic.Simulate(traffic.Config{Accounts: 120, Days: 3, Seed: 11}, &buf); err != nil {
		t.Fatal(err)
	}
	for _, e := range extra {
		b, err := logline.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(append(b, '\n'))
	}
	path := filepath.Join(t.TempDir(), "log.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := logscan.ScanWith(context.Background(), logscan.DefaultConfig(), simOptions(), []string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

var attackTopics = []string{"photosynthesis", "contract law", "compilers", "the french revolution", "options pricing", "vaccines",
	"plate tectonics", "jazz harmony", "graph theory", "macroeconomics", "organic chemistry", "machine learning"}

func TestAttackAlikeAccountsDoNotShieldEachOther(t *testing.T) {
	for _, k := range []int{1, 12} {
		rep := scanWith(t, harvestLines(k, 600, attackTopics))
		acted := 0
		for _, a := range rep.Accounts {
			if len(a.Account) > 8 && a.Account[:8] == "harvest-" && (a.Action == "throttle" || a.Action == "suspend") {
				acted++
			}
		}
		if acted != k {
			t.Errorf("%d alike harvesters: %d throttled or suspended, want all", k, acted)
		}
	}
}

func TestAttackPromptTuningIsNotThrottled(t *testing.T) {
	start := time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC)
	var extra []*logline.Entry
	i := 0
	for p := range 3 {
		for _, temp := range []float64{0.2, 0.5, 0.8, 1.0, 1.3} {
			for range 2 {
				prompt := fmt.Sprintf("Rewrite this product blurb number %d so that it sounds friendlier and shorter please", p)
				extra = append(extra, entry(start.Add(time.Duration(i)*140*time.Second), "dev-tuner", "198.51.100.20", "Mozilla/5.0", prompt, temp, 40, 300))
				i++
			}
		}
	}
	rep := scanWith(t, extra)
	for _, a := range rep.Accounts {
		if a.Account == "dev-tuner" && (a.Action == "throttle" || a.Action == "suspend") {
			t.Errorf("a developer trying five temperatures on three prompts: %s (score %.2f, %v)", a.Action, a.Score, a.Fired)
		}
	}
}
