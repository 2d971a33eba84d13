package logscan

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/logline"
	"forensics/logscan/reasoning"
)

// testTraffic writes a small labelled log in the gateway's layout: benign
// users who ask about a few favourite topics at human times, one bulk
// harvester (templated reasoning-trace prompts over every topic, regular
// timing), and a six-account "hydra" that stays low per account but shares
// a template and a /24.
func testTraffic(t testing.TB, dir string) (path string, attackers map[string]bool) {
	t.Helper()
	tax, _ := ParseTaxonomy(mustTopics(t))
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var lines []string
	emit := func(ts time.Time, acct, ip, prompt string, params map[string]any) {
		b, err := logline.Marshal(&logline.Entry{TS: ts.Format(time.RFC3339Nano), RequestID: fmt.Sprint(len(lines)), Account: acct,
			IP: ip, UserAgent: "ua-" + acct, Endpoint: "/api/chat", Model: "m",
			Messages: []logline.Message{{Role: "user", Content: prompt}}, Params: params,
			Status: 200, PromptTokens: len(strings.Fields(prompt)), CompletionTokens: 200})
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	keyword := func(topic int) string {
		name := tax.Names[topic]
		for w, ts := range tax.exact {
			for _, x := range ts {
				if x == topic && rng.IntN(3) == 0 {
					return w
				}
			}
		}
		return name
	}
	openers := []string{"Can you help me with", "I was wondering about", "quick question on", "please explain", "what do you think of", "my friend asked me about", "how do I handle"}
	for u := 0; u < 40; u++ {
		acct := fmt.Sprintf("user%02d", u)
		fav := []int{rng.IntN(len(tax.Names)), rng.IntN(len(tax.Names))}
		ts := start.Add(time.Duration(rng.IntN(3600*24)) * time.Second)
		for i := 0; i < 30+rng.IntN(60); i++ {
			// Human gaps: bursty, during the day.
			ts = ts.Add(time.Duration(rng.ExpFloat64()*3600) * time.Second)
			if h := ts.Hour(); h < 7 {
				ts = ts.Add(time.Duration(7-h) * time.Hour)
			}
			words := []string{openers[rng.IntN(len(openers))], keyword(fav[rng.IntN(2)])}
			for k := rng.IntN(12); k > 0; k-- {
				words = append(words, []string{"and", "the", "my", "thing", "today", "really", "it", "work"}[rng.IntN(8)])
			}
			emit(ts, acct, fmt.Sprintf("10.%d.%d.%d", u, rng.IntN(250), rng.IntN(250)), strings.Join(words, " ")+"?", map[string]any{"temperature": 0.7})
		}
	}
	// Bulk harvester.
	ts := start
	for i := 0; i < 1500; i++ {
		ts = ts.Add(time.Duration(55+rng.IntN(10)) * time.Second)
		topic := i % len(tax.Names)
		emit(ts, "bulk", "203.0.113.7", fmt.Sprintf("Solve the following %s problem #%d step by step and show your reasoning: %s", tax.Names[topic], i, keyword(topic)),
			map[string]any{"temperature": []float64{0.2, 0.5, 0.8, 1.0, 1.2}[i%5], "top_logprobs": 5})
	}
	// Hydra: six accounts, each 60 requests, one template, one /24.
	for h := 0; h < 6; h++ {
		acct := fmt.Sprintf("hydra%d", h)
		ts := start.Add(time.Duration(h) * time.Minute)
		for i := 0; i < 60; i++ {
			ts = ts.Add(time.Duration(300+rng.IntN(60)) * time.Second)
			topic := (h*60 + i) % len(tax.Names)
			emit(ts, acct, fmt.Sprintf("198.51.100.%d", 10+h), fmt.Sprintf("Write a detailed expert answer about %s topic number %d, including %s.", tax.Names[topic], i, keyword(topic)),
				map[string]any{"temperature": 1.0})
		}
	}
	path = filepath.Join(dir, "requests.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	attackers = map[string]bool{"bulk": true}
	for h := 0; h < 6; h++ {
		attackers[fmt.Sprintf("hydra%d", h)] = true
	}
	return path, attackers
}

func mustTopics(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("../corpora/topics.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestScanFindsHarvesters(t *testing.T) {
	dir := t.TempDir()
	path, attackers := testTraffic(t, dir)
	rep, err := Scan(context.Background(), DefaultConfig(), []string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read.Malformed != 0 || rep.Read.Records != rep.Read.Lines {
		t.Fatalf("read %+v", rep.Read)
	}
	top := rep.Accounts[0]
	if top.Account != "bulk" || (top.Action != "suspend" && top.Action != "throttle") {
		t.Fatalf("top account %s (score %.2f, %s, fired %v)", top.Account, top.Score, top.Action, top.Fired)
	}
	t.Logf("bulk: score %.2f (what %.2f, how %.2f), %s, fired %v", top.Score, top.What, top.How, top.Action, top.Fired)
	benignFlagged := 0
	for _, a := range rep.Accounts {
		if !attackers[a.Account] && a.Action != "none" {
			benignFlagged++
			t.Logf("benign %s flagged: %.2f %v", a.Account, a.Score, a.Fired)
		}
	}
	if benignFlagged > 2 {
		t.Errorf("%d of 40 benign accounts flagged", benignFlagged)
	}
	var hydra *ClusterReport
	for i, c := range rep.Clusters {
		if strings.HasPrefix(c.Accounts[0], "hydra") {
			hydra = &rep.Clusters[i]
		}
	}
	if hydra == nil || len(hydra.Accounts) != 6 {
		t.Fatalf("hydra cluster not found: %+v", rep.Clusters)
	}
	if hydra.Action == "none" {
		t.Errorf("hydra cluster judged harmless: %.2f %v", hydra.Score, hydra.Fired)
	}
	t.Logf("hydra cluster: score %.2f, action %s, fired %v, %d links", hydra.Score, hydra.Action, hydra.Fired, len(hydra.Links))
	for _, c := range rep.Clusters {
		for _, a := range c.Accounts {
			if !attackers[a] {
				t.Errorf("benign account %s clustered: %v", a, c.Links)
			}
		}
	}
}

func TestReadGzipAndMalformed(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	good := `{"ts":"2026-11-01T00:00:00Z","account":"a","prompt":"hi"}`
	fmt.Fprintf(zw, "%s\nnot json\n{\"account\":\"b\"}\n%s\n", good, good)
	zw.Close()
	path := filepath.Join(dir, "log.jsonl.gz")
	os.WriteFile(path, buf.Bytes(), 0o644)
	var got []Record
	st, err := Read(context.Background(), []string{path}, Layout{}, func(r Record) error { got = append(got, r); return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Lines != 4 || st.Records != 2 || st.Malformed != 2 || st.Examples[0].Line != 2 || st.Examples[1].Line != 3 {
		t.Fatalf("stats %+v", st)
	}
	if got[0].Account != "a" || got[0].Prompt != "hi" || got[1].Line != 4 {
		t.Fatalf("records %+v", got)
	}
}

func TestLayoutMapping(t *testing.T) {
	l := Layout{TS: "time", Account: "user.id", Prompt: "req.text", Params: "req.opts", TimeFormat: "unix_ms"}.withDefaults()
	r, err := l.Parse([]byte(`{"time": 1793491200000, "user": {"id": "u7"}, "req": {"text": "hello", "opts": {"top_logprobs": 5, "n": 3, "logit_bias": {"1": 2}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Account != "u7" || r.Prompt != "hello" || r.Params.TopLogprobs != 5 || r.Params.N != 3 || !r.Params.LogitBias || r.TS.Year() != 2026 {
		t.Fatalf("parsed %+v", r)
	}
	// A wrong mapping: every line lacks the account.
	dir := t.TempDir()
	path := filepath.Join(dir, "x.jsonl")
	os.WriteFile(path, []byte(`{"ts":"2026-11-01T00:00:00Z","acct":"a"}`+"\n"), 0o644)
	_, err = Read(context.Background(), []string{path}, Layout{}, func(Record) error { return nil }, nil)
	if err == nil || !strings.Contains(err.Error(), "field mapping") {
		t.Fatalf("wrong mapping: %v", err)
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add([]byte(`{"ts":"2026-11-01T00:00:00Z","account":"a","messages":[{"role":"user","content":"x"}],"params":{"temperature":0.5}}`))
	f.Add([]byte(`{"ts":1,"account":{"x":1},"params":[]}`))
	f.Add([]byte(`[1,2,3]`))
	l := DefaultLayout()
	tax, _ := ParseTaxonomy([]byte("topics: {a: [x, y*], b: [z]}"))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := l.Parse(line)
		if err != nil {
			return
		}
		if r.Account == "" || r.TS.IsZero() {
			t.Fatalf("parsed a record without account or time: %+v", r)
		}
		a := newAccount(r.Account, len(tax.Names))
		a.add(r, &env{tax: tax}, &scratch{})
	})
}

func BenchmarkScanLines(b *testing.B) {
	dir := b.TempDir()
	path, _ := testTraffic(b, dir)
	data, _ := os.ReadFile(path)
	lines := bytes.Count(data, []byte("\n"))
	cfg := DefaultConfig()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Scan(context.Background(), cfg, []string{path}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkPerRequestFeatures is the per-request part of a scan: read,
// parse and update the account's features, without the per-account
// judgement at the end (Report), which runs once per account.
func BenchmarkPerRequestFeatures(b *testing.B) {
	dir := b.TempDir()
	path, _ := testTraffic(b, dir)
	data, _ := os.ReadFile(path)
	lines := bytes.Count(data, []byte("\n"))
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := NewScanner(DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Read(context.Background(), []string{path}, DefaultLayout(), func(r Record) error { s.Add(r); return nil }, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
}

// TestHiddenInputAndLowTemperature: the scanner reads harvest text carried
// in the system prompt or in fabricated earlier turns the first time the
// account sends it, counts a fixed system prompt and a chat's history once,
// skips the log writer's own lines, and flags an account that asks for
// temperatures below the gateway's watermark floor.
func TestHiddenInputAndLowTemperature(t *testing.T) {
	sc, err := NewScanner(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	add := func(acct string, i int, line map[string]any) {
		line["ts"] = start.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
		line["account"] = acct
		b, _ := json.Marshal(line)
		r, err := DefaultLayout().Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		sc.Add(r)
	}
	fixed := "You are a helpful assistant for Acme Bank customers."
	var history []map[string]string
	for i := 0; i < 40; i++ {
		q := fmt.Sprintf("question %d about my account", i)
		add("hidden", i, map[string]any{"system": q, "prompt": "Go.", "params": map[string]any{"temperature": 0.0}})
		history = append(history, map[string]string{"role": "user", "content": q}, map[string]string{"role": "assistant", "content": "answer"})
		add("chat", i, map[string]any{"messages": append([]map[string]string{{"role": "system", "content": fixed}}, history...),
			"params": map[string]any{"temperature": 0.7}})
	}
	a, c := sc.accounts["hidden"], sc.accounts["chat"]
	if a.prompts != 40 || !strings.Contains(a.samples[0], "question 0") {
		t.Errorf("system-field text not read: %d prompts, samples %q", a.prompts, a.samples)
	}
	if c.prompts != 40 {
		t.Errorf("chat: %d prompts of 40", c.prompts)
	}
	// What a chat's request adds: the first time its system prompt and
	// question, then only each new question.
	fresh := newAccount("x", 1)
	var texts []string
	for i := 0; i < 3; i++ {
		var ctx []string
		ctx = append(ctx, fixed)
		for j := 0; j < i; j++ {
			ctx = append(ctx, fmt.Sprintf("q%d", j))
		}
		texts = append(texts, fresh.newText(Record{Prompt: fmt.Sprintf("q%d", i), Context: ctx}, &env{}).text)
	}
	if texts[0] != "q0\n"+fixed || texts[1] != "q1" || texts[2] != "q2" {
		t.Errorf("new text of a chat's turns: %q", texts)
	}
	rep := sc.Report()
	var low Indicator
	for _, ar := range rep.Accounts {
		for _, in := range ar.Indicators {
			if in.Name == IndLowTemp && ar.Account == "hidden" {
				low = in
			}
			if in.Name == IndLowTemp && ar.Account == "chat" && in.Decades > 0 {
				t.Errorf("chat at T=0.7 scored on low_temperature: %+v", in)
			}
		}
	}
	if low.Value != 1 || low.Decades <= 0 {
		t.Errorf("low_temperature for an account always asking T=0: %+v", low)
	}
	if _, err := DefaultLayout().Parse([]byte(`{"seq":9,"prev":"ab","ts":"2026-11-01T00:00:00Z","event":"checkpoint","sig":"x"}`)); err != ErrLogEvent {
		t.Errorf("a checkpoint line read as %v", err)
	}
}

// TestReasoningCarriedInContext: a reasoning instruction in a fixed system
// prompt asks for reasoning in every request that carries it, though the
// prompt's text is counted once.
func TestReasoningCarriedInContext(t *testing.T) {
	a := newAccount("x", 1)
	tax, _ := ParseTaxonomy([]byte("topics: {a: [x], b: [z]}"))
	e := &env{tax: tax, reasoning: reasoning.Default()}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		a.add(Record{TS: start.Add(time.Duration(i) * time.Minute), Prompt: fmt.Sprintf("question number %d about x", i),
			Context: []string{"You are a tutor. Always think step by step and show your reasoning."}}, e, &scratch{})
	}
	if a.cot != 10 || a.prompts != 10 {
		t.Errorf("%d of %d requests counted as asking for reasoning, want 10", a.cot, a.prompts)
	}
}
