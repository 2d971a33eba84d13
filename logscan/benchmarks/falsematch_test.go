package benchmarks_test

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"forensics/corpora"
	"forensics/internal/measure"
	"forensics/internal/traffic"
	"forensics/logscan/benchmarks"
)

// simulatedPrompts are the user turns of a simulated log: of benign
// accounts only (people, power users, batch jobs, students) when attackers
// is 0.
func simulatedPrompts(t testing.TB, accounts, attackers, days int) []string {
	t.Helper()
	var log bytes.Buffer
	cfg := traffic.Config{Accounts: accounts, Attackers: attackers, Days: days, Seed: 19}
	if _, err := traffic.Simulate(cfg, &log); err != nil {
		t.Fatal(err)
	}
	var prompts []string
	for _, line := range bytes.Split(log.Bytes(), []byte("\n")) {
		var rec struct {
			Messages []struct{ Role, Content string }
		}
		if len(line) == 0 || json.Unmarshal(line, &rec) != nil || len(rec.Messages) == 0 {
			continue
		}
		if last := rec.Messages[len(rec.Messages)-1]; last.Role == "user" {
			prompts = append(prompts, last.Content)
		}
	}
	return prompts
}

// falseMatches counts the texts the shipped set matches.
func falseMatches(t testing.TB, texts []string) int {
	set, n := benchmarks.Default(), 0
	for _, text := range texts {
		if hit, ok := set.Lookup(text); ok {
			n++
			t.Logf("matched %+v: %.80q", hit, text)
		}
	}
	return n
}

// TestNoFalseMatchesOnBenignText runs a sample of the corpora and of the
// simulator's benign prompts in the unit suite; TestFalseMatchRate
// measures all of them.
func TestNoFalseMatchesOnBenignText(t *testing.T) {
	paras, err := corpora.Paragraphs()
	if err != nil {
		t.Fatal(err)
	}
	var sample []string
	for i := 0; i < len(paras); i += 10 {
		sample = append(sample, paras[i])
	}
	sample = append(sample, simulatedPrompts(t, 20, 0, 1)...)
	if n := falseMatches(t, sample); n != 0 {
		t.Errorf("%d of %d benign texts matched a benchmark item", n, len(sample))
	}
}

func TestFalseMatchRate(t *testing.T) {
	measure.Require(t, "false benchmark matches on every corpus paragraph and 200 simulated benign accounts over 7 days, ~2 s")
	paras, err := corpora.Paragraphs()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		texts []string
	}{
		{"corpora/text paragraphs", paras},
		{"simulate-traffic benign prompts", simulatedPrompts(t, 200, 0, 7)},
		// Harvesting templates are not benchmark items either: a match
		// would excuse them.
		{"simulate-traffic prompts of 12 attack campaigns (and 1 benign account)", simulatedPrompts(t, 1, 12, 7)},
	} {
		n := falseMatches(t, c.texts)
		t.Logf("%s: %d of %d matched (rate %.2g; 95%% upper bound %.2g)", c.name, n, len(c.texts),
			float64(n)/float64(len(c.texts)), upper95(n, len(c.texts)))
	}
}

// upper95 is the one-sided 95% upper confidence bound on a rate of n in
// total; for n = 0 about 3/total (the "rule of three").
func upper95(n, total int) float64 {
	if n == 0 {
		return 3.0 / float64(total)
	}
	p := float64(n) / float64(total)
	return p + 1.645*math.Sqrt(p*(1-p)/float64(total))
}
