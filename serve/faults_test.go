package serve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"forensics/llm"
	"forensics/llm/embedded"
	"forensics/llm/ollama"
	"forensics/logline"
	"forensics/watermark"
)

// failingBackend is the embedded backend with a fault injected: its
// stream breaks after a number of drafts, as an upstream that dies
// mid-generation would.
type failingBackend struct {
	Backend
	after int
}

func (f *failingBackend) Stream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) error {
	n := 0
	err := f.Backend.Stream(ctx, req, func(d llm.Draft) error {
		if n == f.after {
			return errUpstreamDied
		}
		n++
		return fn(d)
	})
	return err
}

var errUpstreamDied = errors.New("upstream connection reset")

func TestUpstreamErrorMidStream(t *testing.T) {
	m, _ := embedded.Load()
	cfg, err := ParseConfig([]byte(fmt.Sprintf("accounts: [{name: plain, api_keys: [%q], watermark: false}]\n", HashAPIKey(plainKey))))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg.Log.Path = dir + "/log.jsonl"
	srv, err := New(cfg, Options{Backend: &failingBackend{Backend: NewEmbeddedBackend(m), after: 10}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	g := &gateway{t: t, srv: srv, http: hs, logDir: dir}
	defer g.close()
	resp := g.post("/api/generate", plainKey, map[string]any{"model": "embedded", "prompt": "The", "options": map[string]any{"num_predict": 100, "min_tokens": 100}})
	body := readAll(t, resp)
	lines := strings.Split(strings.TrimSpace(body), "\n")
	last := lines[len(lines)-1]
	if resp.StatusCode != 200 || !strings.Contains(last, `"error":"generation failed`) || !strings.Contains(last, "connection reset") {
		t.Fatalf("client saw %d, last line %q", resp.StatusCode, last)
	}
	// Before any output, the same failure is a 502.
	srv.backend = &failingBackend{Backend: NewEmbeddedBackend(m), after: 0}
	resp = g.post("/api/generate", plainKey, map[string]any{"model": "embedded", "prompt": "The", "stream": false})
	if body := readAll(t, resp); resp.StatusCode != 502 || !strings.Contains(body, "connection reset") {
		t.Fatalf("failure before output: %d %q", resp.StatusCode, body)
	}
	g.logDir = dir
	entries := readLog(t, cfg.Log.Path, g)
	if len(entries) != 2 || entries[0].Status != 502 || !strings.Contains(entries[0].Error, "connection reset") || entries[0].CompletionTokens != 10 {
		t.Fatalf("log: %+v", entries)
	}
}

func readLog(t *testing.T, path string, g *gateway) []logline.Entry {
	t.Helper()
	g.close()
	return readEntries(t, path)
}

// TestUpstreamDown points the gateway at an Ollama address where nothing
// listens: generation requests get 502 with a clear message.
func TestUpstreamDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	u, _ := ollama.ParseHost(addr)
	cfg, err := ParseConfig([]byte(fmt.Sprintf("backend: {kind: ollama, url: %q}\naccounts: [{name: plain, api_keys: [%q], watermark: false}]\n", addr, HashAPIKey(plainKey))))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, Options{Backend: NewOllamaBackend(ollama.New(u, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer func() { hs.Close(); srv.Close() }()
	g := &gateway{t: t, srv: srv, http: hs}
	for _, path := range []string{"/api/chat", "/v1/chat/completions"} {
		resp := g.post(path, plainKey, map[string]any{"model": "llama3.2", "messages": []map[string]string{{"role": "user", "content": "hi"}}})
		body := readAll(t, resp)
		if resp.StatusCode != 502 || !strings.Contains(body, "backend unavailable") {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, body)
		}
	}
}

// TestGatewayFollowsQ sends 3,000 two-piece requests through the HTTP
// gateway (embedded backend, an h = 0 key so both pieces are watermarked)
// and checks that each emitted piece follows its position's q: counts by
// candidate rank against summed q (chi-square, fixed seeds). About 40% of
// first drafts are rejected, so many second pieces come from a restarted
// stream.
func TestGatewayFollowsQ(t *testing.T) {
	key := testKey(t, 0)
	g := startGateway(t, key, "")
	m, _ := embedded.Load()
	s := watermark.NewScheme(key)
	prompt := "It was in July, 1805, and the"
	ctx := context.Background()
	pp, _ := m.Tokenizer().Pieces(prompt)
	qOf := func(prefix []string) ([]llm.Candidate, watermark.Tilted) {
		next, _ := m.Next(ctx, prefix, 20)
		wc := make([]watermark.Candidate, len(next))
		for i, c := range next {
			wc[i] = watermark.Candidate{Piece: c.Piece, LogProb: c.LogProb, EOS: c.EOS}
		}
		return next, s.Tilt(nil, wc, 1)
	}
	c1, q1 := qOf(pp)
	want := [2][]float64{make([]float64, 20), make([]float64, 20)}
	got := [2][]int{make([]int, 20), make([]int, 20)}
	const n = 3000
	used := 0
	for i := 0; i < n; i++ {
		resp := g.post("/api/generate", devKey, map[string]any{"model": "embedded", "prompt": prompt, "raw": true, "stream": false,
			"options": map[string]any{"num_predict": 2, "min_tokens": 2, "seed": i, "temperature": 1.0}})
		text := responseText(t, "/api/generate", false, resp)
		// Split the text into a first-position and a second-position
		// candidate; keep the responses where the split is unique.
		var split [][2]int
		var q2s []watermark.Tilted
		for r1, c := range c1 {
			if c.EOS || !strings.HasPrefix(text, c.Piece) {
				continue
			}
			c2, q2 := qOf(append(append([]string{}, pp...), c.Piece))
			for r2, d := range c2 {
				if !d.EOS && c.Piece+d.Piece == text {
					split = append(split, [2]int{r1, r2})
					q2s = append(q2s, q2)
				}
			}
		}
		if len(split) != 1 {
			continue
		}
		used++
		for r := range 20 {
			want[0][r] += q1.Q[r]
			want[1][r] += q2s[0].Q[r]
		}
		got[0][split[0][0]]++
		got[1][split[0][1]]++
	}
	if used < n*9/10 {
		t.Fatalf("only %d of %d responses split uniquely", used, n)
	}
	for pos := range 2 {
		stat, df := 0.0, -1
		for r := range 20 {
			if want[pos][r] < 5 {
				continue
			}
			d := float64(got[pos][r]) - want[pos][r]
			stat += d * d / want[pos][r]
			df++
		}
		p := distuv.ChiSquared{K: float64(df)}.Survival(stat)
		t.Logf("position %d: %d responses, χ²=%.1f df=%d p=%.3f", pos+1, used, stat, df, p)
		if p < 1e-3 {
			t.Errorf("position %d: emitted pieces do not follow q (p=%.2g)", pos+1, p)
		}
	}
}

// TestLoad runs 16 concurrent streaming clients against the gateway for a
// bounded 2 seconds and reports throughput and p99 latency; every request
// must appear in the log exactly once.
func TestLoad(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	const clients = 16
	deadline := time.Now().Add(2 * time.Second)
	var mu sync.Mutex
	var lat []time.Duration
	tokens, requests := 0, 0
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline) && i < 1000; i++ {
				start := time.Now()
				resp := g.post("/api/chat", devKey, map[string]any{"model": "embedded",
					"messages": []map[string]string{{"role": "user", "content": fmt.Sprintf("client %d question %d", c, i)}},
					"options":  map[string]any{"num_predict": 64, "min_tokens": 64}})
				sc := bufio.NewScanner(resp.Body)
				chunks := 0
				for sc.Scan() {
					chunks++
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				lat = append(lat, time.Since(start))
				tokens += 64
				requests++
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	elapsed := 2 * time.Second
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := lat[int(math.Ceil(0.99*float64(len(lat))))-1]
	t.Logf("%d clients, %d requests in ~%v: %.0f requests/s, %.0f tokens/s, p50 %v, p99 %v",
		clients, requests, elapsed, float64(requests)/elapsed.Seconds(), float64(tokens)/elapsed.Seconds(), lat[len(lat)/2], p99)
	entries := g.logLines()
	ids := map[string]int{}
	for _, e := range entries {
		ids[e.RequestID]++
		if e.Status != 200 {
			t.Errorf("logged status %d", e.Status)
		}
	}
	if len(entries) != requests || len(ids) != requests {
		t.Fatalf("%d log lines, %d distinct, for %d requests", len(entries), len(ids), requests)
	}
}
