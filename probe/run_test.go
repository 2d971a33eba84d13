package probe_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"forensics/canary"
	"forensics/probe"
	"forensics/probe/probetest"
)

// startRun prepares a probe of one ollama:// suspect on srv.
func startRun(t *testing.T, dir string, cs *canary.Set, srvURL string, budget probe.Budget) (*probe.Manifest, map[string]probe.Target) {
	t.Helper()
	_, key := probetest.Key(t, t.TempDir(), 9)
	tk, tf := probetest.EmbeddedTokenizer(t)
	spec := "ollama://" + strings.TrimPrefix(srvURL, "http://") + "/m"
	m, _, err := probe.Prepare(dir, probetest.Manifest(t, key, cs, tk, probetest.Options{
		Targets: probe.Targets{Suspect: spec}, Plan: probe.Plan{Prompts: len(cs.Prompts), Triggers: len(cs.Triggers)},
		Seed: 1, Rounds: 99, NullKeys: 20, Budget: budget,
	}), cs, tf)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := probe.OpenTarget(spec, probe.TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m, map[string]probe.Target{"suspect": tg}
}

func TestRunRetriesAndRecordsFailures(t *testing.T) {
	f := &probetest.FakeOllama{Fail: func(n int64, prompt string) int {
		switch {
		case strings.Contains(prompt, "thing 1."):
			return http.StatusBadRequest // not retried
		case n <= 4:
			return http.StatusTooManyRequests // retried after Retry-After
		case strings.Contains(prompt, "thing 2.") && n%2 == 0:
			return http.StatusBadGateway
		}
		return 0
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	cs := probetest.SmallSet(t, 6)
	m, tgs := startRun(t, dir, cs, srv.URL, probe.Budget{})
	st, _, err := probe.OpenStore(filepath.Join(dir, probe.FileTranscripts), m.SHA256())
	if err != nil {
		t.Fatal(err)
	}
	stats, err := probe.Run(context.Background(), m, cs, tgs, st, probetest.FastRetries())
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if stats.Planned != 8 || stats.Answered != 7 || stats.Failed != 1 {
		t.Errorf("stats %+v; want 8 planned, 7 answered, 1 failed", stats)
	}
	recs, err := probe.ReadTranscripts(filepath.Join(dir, probe.FileTranscripts), m.SHA256())
	if err != nil {
		t.Fatal(err)
	}
	retried := 0
	for _, r := range recs {
		if r.ManifestSHA256 != m.SHA256() || r.Seq == 0 {
			t.Errorf("record %s not stamped", r.ID)
		}
		if r.Attempts > 1 {
			retried++
		}
		if r.PromptID == "q001" {
			if r.OK() || !strings.Contains(r.Error, "HTTP 400") || r.Attempts != 1 {
				t.Errorf("400 record: %+v", r)
			}
		} else if !r.OK() || r.Text != "answer to "+r.Prompt {
			t.Errorf("record %s: %q %q", r.ID, r.Text, r.Error)
		}
	}
	if retried == 0 {
		t.Error("no record shows a retry")
	}
	// Resuming asks only the failed query again.
	before := f.Calls.Load()
	st, _, _ = probe.OpenStore(filepath.Join(dir, probe.FileTranscripts), m.SHA256())
	stats, err = probe.Run(context.Background(), m, cs, tgs, st, probetest.FastRetries())
	st.Close()
	if err != nil || stats.AlreadyAnswered != 7 || f.Calls.Load()-before != 1 {
		t.Errorf("resume: %+v, %d new calls, err %v", stats, f.Calls.Load()-before, err)
	}
}

func TestRunGarbageAndDeadTargets(t *testing.T) {
	f := &probetest.FakeOllama{Body: func(string) string { return "<html>not json" }}
	srv := httptest.NewServer(f)
	dir := t.TempDir()
	cs := probetest.SmallSet(t, 20)
	m, tgs := startRun(t, dir, cs, srv.URL, probe.Budget{})
	st, _, _ := probe.OpenStore(filepath.Join(dir, probe.FileTranscripts), m.SHA256())
	o := probetest.FastRetries()
	o.Concurrency = 1
	o.MaxConsecutiveFailures = 5
	stats, err := probe.Run(context.Background(), m, cs, tgs, st, o)
	st.Close()
	if err == nil || !strings.Contains(err.Error(), "5 queries in a row failed") || !strings.Contains(err.Error(), "unusable response") {
		t.Errorf("garbage target: err %v", err)
	}
	if stats.Failed != 5 {
		t.Errorf("failed %d, want 5 (each recorded)", stats.Failed)
	}
	srv.Close()
	tg, _ := probe.OpenTarget(tgs["suspect"].Spec(), probe.TargetOptions{})
	if err := tg.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("closed server: check %v", err)
	}
}

func TestRunBudgetAndInterruption(t *testing.T) {
	var mu sync.Mutex
	block := make(chan struct{})
	f := &probetest.FakeOllama{Fail: func(n int64, _ string) int {
		if n == 5 {
			mu.Lock()
			close(block)
			mu.Unlock()
		}
		return 0
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cs := probetest.SmallSet(t, 30)

	// A request budget stops the run with planned queries left.
	dir := t.TempDir()
	m, tgs := startRun(t, dir, cs, srv.URL, probe.Budget{Requests: 10})
	st, _, _ := probe.OpenStore(filepath.Join(dir, probe.FileTranscripts), m.SHA256())
	stats, err := probe.Run(context.Background(), m, cs, tgs, st, probetest.FastRetries())
	st.Close()
	if err != nil || !stats.BudgetExhausted || stats.Requests != 10 {
		t.Errorf("Budget: %+v %v", stats, err)
	}

	// Cancelled mid-run: what arrived is kept, the rest is asked on resume,
	// nothing twice.
	dir = t.TempDir()
	m, tgs = startRun(t, dir, cs, srv.URL, probe.Budget{})
	st, _, _ = probe.OpenStore(filepath.Join(dir, probe.FileTranscripts), m.SHA256())
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-block; cancel() }()
	_, err = probe.Run(ctx, m, cs, tgs, st, probetest.FastRetries())
	st.Close()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	st, _, _ = probe.OpenStore(filepath.Join(dir, probe.FileTranscripts), m.SHA256())
	got := len(st.Records())
	stats, err = probe.Run(context.Background(), m, cs, tgs, st, probetest.FastRetries())
	st.Close()
	if err != nil || stats.AlreadyAnswered != got || stats.AlreadyAnswered+stats.Answered != stats.Planned {
		t.Errorf("resume after cancel: kept %d, %+v, %v", got, stats, err)
	}
	recs, err := probe.ReadTranscripts(filepath.Join(dir, probe.FileTranscripts), m.SHA256())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.ID] {
			t.Errorf("%s asked twice", r.ID)
		}
		seen[r.ID] = true
	}
}

// TestRunTokenBudgetIgnoresServerCounts: a hostile suspect reports a
// negative (or zero) completion count with every answer, which would make
// a "N tokens" budget never run out; the probe counts the answers' tokens
// itself and stops at the budget.
func TestRunTokenBudgetIgnoresServerCounts(t *testing.T) {
	const budget, perAnswer = 20, 6 // "answer to Tell me about thing N." is 6 words
	for _, reported := range []int{-1_000_000, -1, 0} {
		t.Run(fmt.Sprint(reported), func(t *testing.T) {
			f := &probetest.FakeOllama{Body: func(prompt string) string {
				b, _ := json.Marshal(map[string]any{"response": "answer to " + prompt, "eval_count": reported, "done": true})
				return string(b)
			}}
			srv := httptest.NewServer(f)
			defer srv.Close()
			cs := probetest.SmallSet(t, 30)
			dir := t.TempDir()
			m, tgs := startRun(t, dir, cs, srv.URL, probe.Budget{Tokens: budget})
			st, _, _ := probe.OpenStore(filepath.Join(dir, probe.FileTranscripts), m.SHA256())
			o := probetest.FastRetries()
			stats, err := probe.Run(context.Background(), m, cs, tgs, st, o)
			st.Close()
			if err != nil {
				t.Fatal(err)
			}
			// Queries already dispatched when the budget is reached still
			// finish: at most one per worker and one waiting to be handed out.
			most := (budget+perAnswer-1)/perAnswer + o.Concurrency + 1
			if !stats.BudgetExhausted || stats.Requests > most || stats.Tokens < budget {
				t.Fatalf("server reporting %d tokens an answer: %+v; want the budget reached within %d of %d queries", reported, stats, most, stats.Planned)
			}
			// A resumed run counts the stored answers the same way.
			st, _, _ = probe.OpenStore(filepath.Join(dir, probe.FileTranscripts), m.SHA256())
			again, err := probe.Run(context.Background(), m, cs, tgs, st, o)
			st.Close()
			if err != nil || again.Answered != 0 || !again.BudgetExhausted {
				t.Fatalf("resume past the Budget: %+v %v", again, err)
			}
		})
	}
}

func TestStoreRepairsCutLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, probe.FileTranscripts)
	st, _, err := probe.OpenStore(path, "abc")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		r := probe.Record{Query: probe.Query{ID: fmt.Sprintf("suspect/p%d/0", i)}, Extract: probe.ExtractFile, Text: "x"}
		r.SetBodies([]byte(`{}`), []byte{0xff, 0xfe, '"'}) // not UTF-8: kept as base64
		if err := st.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	data, _ := os.ReadFile(path)
	// A crash in the middle of the fourth write.
	os.WriteFile(path, append(data, []byte(`{"seq":4,"manifest_sha256":"abc","id":"sus`)...), 0o644)
	if _, err := probe.ReadTranscripts(path, "abc"); err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("strict read of a cut file: %v", err)
	}
	st, rep, err := probe.OpenStore(path, "abc")
	if err != nil {
		t.Fatal(err)
	}
	if rep.DroppedLine != 4 || len(st.Records()) != 3 || !st.Answered("suspect/p2/0") {
		t.Errorf("repair %+v, %d records", rep, len(st.Records()))
	}
	_, resp, err := st.Records()[0].Bodies()
	if err != nil || string(resp) != "\xff\xfe\"" {
		t.Errorf("raw bytes %q, %v", resp, err)
	}
	st.Append(probe.Record{Query: probe.Query{ID: "suspect/p3/0"}})
	st.Close()
	if recs, err := probe.ReadTranscripts(path, "abc"); err != nil || len(recs) != 4 || recs[3].Seq != 4 {
		t.Errorf("after repair: %d records, %v", len(recs), err)
	}
	// Garbage in the middle is an error naming the line, not a repair.
	data, _ = os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	lines[1] = "garbage\n"
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644)
	if _, _, err := probe.OpenStore(path, "abc"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("garbage line: %v", err)
	}
	// Records of another manifest are refused.
	os.WriteFile(path, data, 0o644)
	if _, _, err := probe.OpenStore(path, "other"); err == nil || !strings.Contains(err.Error(), "another probe") {
		t.Errorf("other manifest: %v", err)
	}
}

func TestPrepareRefusesAnotherPlan(t *testing.T) {
	dir := t.TempDir()
	cs := probetest.SmallSet(t, 4)
	_, key := probetest.Key(t, t.TempDir(), 3)
	tk, tf := probetest.EmbeddedTokenizer(t)
	setup := probetest.Options{Targets: probe.Targets{Suspect: "embedded:reference"}, Plan: probe.Plan{Prompts: 4}, Rounds: 99, NullKeys: 20}
	m1, resumed, err := probe.Prepare(dir, probetest.Manifest(t, key, cs, tk, setup), cs, tf)
	if err != nil || resumed || m1.Sampling.Seed == 0 {
		t.Fatalf("prepare: %v resumed=%v seed=%d", err, resumed, m1.Sampling.Seed)
	}
	// The same plan (seed unset: the recorded one is kept) resumes.
	m2, resumed, err := probe.Prepare(dir, probetest.Manifest(t, key, cs, tk, setup), cs, tf)
	if err != nil || !resumed || m2.SHA256() != m1.SHA256() {
		t.Fatalf("resume: %v resumed=%v", err, resumed)
	}
	setup.Budget = probe.Budget{Requests: 5}
	setup.Targets.Controls = []string{"embedded:reference"}
	if _, _, err := probe.Prepare(dir, probetest.Manifest(t, key, cs, tk, setup), cs, tf); err == nil || !strings.Contains(err.Error(), "(budget, targets differ)") {
		t.Errorf("changed Plan: %v", err)
	}
	_, other := probetest.Key(t, t.TempDir(), 4)
	setup.Budget, setup.Targets.Controls = probe.Budget{}, nil
	if _, _, err := probe.Prepare(dir, probetest.Manifest(t, other, cs, tk, setup), cs, tf); err == nil || !strings.Contains(err.Error(), "key") {
		t.Errorf("other key: %v", err)
	}
	os.Remove(filepath.Join(dir, probe.FileManifest))
	if _, _, err := probe.Prepare(dir, probetest.Manifest(t, key, cs, tk, setup), cs, tf); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("non-empty folder without manifest: %v", err)
	}
}

func TestParseBudget(t *testing.T) {
	for _, c := range []struct {
		in   string
		want probe.Budget
		bad  bool
	}{
		{"", probe.Budget{}, false}, {"500", probe.Budget{Requests: 500}, false}, {"20_000 tokens", probe.Budget{Tokens: 20000}, false},
		{"300r", probe.Budget{Requests: 300}, false}, {"10t", probe.Budget{Tokens: 10}, false}, {"5 apples", probe.Budget{}, true}, {"-3", probe.Budget{}, true}, {"tokens", probe.Budget{}, true},
	} {
		got, err := probe.ParseBudget(c.in)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("ParseBudget(%q) = %+v, %v", c.in, got, err)
		}
	}
}
