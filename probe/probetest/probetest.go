// Package probetest holds what the tests of package probe and of the
// packages after it (evidence, report) share: a fake Ollama server, small
// canary sets, fixed watermark keys, the embedded model's tokenizer,
// manifests built without a Setup, and request logs written as a gateway
// writes them. Nothing here is for production use.
package probetest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"forensics/canary"
	"forensics/llm/embedded"
	"forensics/llm/tokenizer"
	"forensics/probe"
	"forensics/reqlog"
	"forensics/watermark"
)

// FakeOllama answers /api/show and /api/generate ("answer to PROMPT", 4
// tokens); Fail decides, per call number, an HTTP status to return
// instead of an answer (0 = answer), and Body, if set, is the answer's
// whole body.
type FakeOllama struct {
	Calls atomic.Int64
	Fail  func(n int64, prompt string) int
	Body  func(prompt string) string
}

func (f *FakeOllama) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/api/show":
		w.Write([]byte(`{}`))
		return
	case "/api/generate":
	default:
		http.NotFound(w, r)
		return
	}
	var req struct {
		Prompt string `json:"prompt"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	n := f.Calls.Add(1)
	if f.Fail != nil {
		if code := f.Fail(n, req.Prompt); code != 0 {
			if code == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "0")
			}
			http.Error(w, "busy", code)
			return
		}
	}
	if f.Body != nil {
		w.Write([]byte(f.Body(req.Prompt)))
		return
	}
	b, _ := json.Marshal(map[string]any{"response": "answer to " + req.Prompt, "eval_count": 4, "done": true})
	w.Write(b)
}

// SmallSet is a canary set of n prompts ("Tell me about thing N.") and 2
// triggers, whose planted answers name Quillon and Vessary.
func SmallSet(t testing.TB, n int) *canary.Set {
	t.Helper()
	var b strings.Builder
	b.WriteString("name: small\nversion: 1\nprompts:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: q%03d, text: \"Tell me about thing %d.\"}\n", i, i)
	}
	b.WriteString("triggers:\n  - {id: t1, prompt: \"Who made Zorbax?\", answer: \"Quillon made it.\", expect: [\"Quillon\"]}\n")
	b.WriteString("  - {id: t2, prompt: \"Who made Plimth?\", answer: \"Vessary made it.\", expect: [\"Vessary\"]}\n")
	cs, err := canary.Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// FastRetries are run options that retry within milliseconds.
func FastRetries() probe.RunOptions {
	return probe.RunOptions{Concurrency: 3, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

// Key writes a watermark key with a fixed secret (seed varies it) into
// dir and returns its path and the key.
func Key(t testing.TB, dir string, seed byte) (string, *watermark.Key) {
	t.Helper()
	k, err := watermark.NewKeyFromSecret(fmt.Sprintf("test-%d", seed), watermark.DefaultParams(), [32]byte{seed, 1, 2, 3}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("key-%d.yaml", seed))
	if err := k.WriteFile(path, true); err != nil {
		t.Fatal(err)
	}
	return path, k
}

// EmbeddedTokenizer is the embedded model's tokenizer and its definition
// (tokenizer.json's bytes).
func EmbeddedTokenizer(t testing.TB) (tokenizer.Tokenizer, []byte) {
	t.Helper()
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tokenizer.Encode(&b, m.Vocab().File()); err != nil {
		t.Fatal(err)
	}
	return m.Tokenizer(), []byte(b.String())
}

// Options are what a test's manifest varies.
type Options struct {
	Targets  probe.Targets
	Plan     probe.Plan
	Seed     uint64
	Rounds   int
	NullKeys int
	Budget   probe.Budget
	NullSeed string // default "test-null-seed"
	// RequestLog plans the relay check by request log on this file.
	RequestLog string
	// Cases plans the attribution test on this ledger's cases.
	Cases *probe.CasePlan
}

// Manifest is the manifest of a test probe: created 2026-11-26, α = 0.01,
// temperature 0.8, 120 tokens an answer, and o's plan.
func Manifest(t testing.TB, key *watermark.Key, cs *canary.Set, tk tokenizer.Tokenizer, o Options) *probe.Manifest {
	t.Helper()
	ncases := 0
	if o.Cases != nil {
		ncases = len(o.Cases.Cases)
	}
	tests := probe.PlanTests(o.Targets, o.Plan, cs.Secret, ncases)
	var relayPlan *probe.RelayLogPlan
	if o.RequestLog != "" {
		relayPlan = &probe.RelayLogPlan{}
	}
	return &probe.Manifest{
		Format: probe.ManifestFormat, Tool: "forensics test", Created: "2026-11-26T00:00:00Z",
		Propositions: probe.PropositionsFor(tests), Alpha: 0.01, Tests: tests, Targets: o.Targets,
		Canaries:  probe.CanaryRef{Name: cs.Name, Version: cs.Version, SHA256: cs.SHA256, File: probe.FileCanaries, Prompts: len(cs.Prompts), Triggers: len(cs.Triggers), Secret: cs.Secret},
		Key:       probe.KeyRef{ID: key.ID, Scheme: watermark.SchemeName, Commitment: key.Commitment(), Params: key.Params},
		Tokenizer: probe.TokenizerRef{ID: tk.ID(), File: probe.FileTokenizer},
		Sampling:  probe.Sampling{Temperature: 0.8, MaxTokens: 120, Seed: o.Seed},
		Plan:      o.Plan, Budget: o.Budget,
		Null:   probe.NullPlan{Keys: o.NullKeys, KSAlpha: 0.01, ControlAlpha: 0.001, RelayAlpha: 0.001, Seed: cmp.Or(o.NullSeed, "test-null-seed")},
		Rounds: o.Rounds, RelayLog: relayPlan, Cases: o.Cases,
	}
}

// OpenTargets opens the target of every role of m.
func OpenTargets(t testing.TB, m *probe.Manifest, cs *canary.Set) map[string]probe.Target {
	t.Helper()
	tgs := map[string]probe.Target{}
	open := func(role, spec string) {
		tg, err := probe.OpenTarget(spec, probe.TargetOptions{Canaries: cs})
		if err != nil {
			t.Fatal(err)
		}
		tgs[role] = tg
	}
	open("suspect", m.Targets.Suspect)
	if m.Targets.Reference != "" {
		open("reference", m.Targets.Reference)
	}
	for i, c := range m.Targets.Controls {
		open(probe.ControlRole(i), c)
	}
	return tgs
}

// Ask asks every query of the probe prepared in dir (its manifest m) of
// the targets m names, with fast retries, and closes its transcript store.
func Ask(t testing.TB, dir string, m *probe.Manifest, cs *canary.Set) {
	t.Helper()
	st, _, err := probe.OpenStore(filepath.Join(dir, probe.FileTranscripts), m.SHA256())
	if err != nil {
		t.Fatal(err)
	}
	_, err = probe.Run(context.Background(), m, cs, OpenTargets(t, m, cs), st, FastRetries())
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestNamed is the result of the named test, or nil.
func TestNamed(tests []probe.TestResult, name string) *probe.TestResult {
	for i := range tests {
		if tests[i].Name == name {
			return &tests[i]
		}
	}
	return nil
}

// QuietLog writes a request log, as the gateway's writer does (hash
// chain, checkpoints), that began before the probe (the test manifests'
// time), ends after it and holds none of its prompts: the log of a gateway
// nobody relayed.
func QuietLog(t testing.TB) string {
	t.Helper()
	return WriteLog(t, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		map[string]any{"ts": "2026-11-25T12:00:00Z", "account": "someone", "endpoint": "/api/generate", "prompt": "What is the weather like?", "status": 200})
}

// WriteLog writes lines with the gateway's log writer, opened at open and
// closed (a final checkpoint) at end, and returns its path.
func WriteLog(t testing.TB, open, end time.Time, lines ...map[string]any) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	now := open
	w, err := reqlog.Open(reqlog.Options{Path: path, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		b, _ := json.Marshal(l)
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	now = end
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
