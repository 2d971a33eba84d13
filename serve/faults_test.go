package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sync/errgroup"
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
	logPath := filepath.Join(t.TempDir(), "requests.jsonl")
	cfg, err := ParseConfig([]byte(fmt.Sprintf("backend: {kind: ollama, url: %q}\nlog: {path: %q}\naccounts: [{name: plain, api_keys: [%q], watermark: false}]\n", addr, logPath, HashAPIKey(plainKey))))
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
		// The backend's address and its own error stay in the request
		// log; the client learns only that it is unavailable.
		if strings.Contains(body, u.Host) || strings.Contains(body, "http://") || strings.Contains(body, "dial") {
			t.Errorf("%s: the client sees the backend: %q", path, body)
		}
	}
	entries := readLog(t, logPath, g)
	if len(entries) == 0 || !strings.Contains(entries[0].Error, u.Host) {
		t.Errorf("the request log lost the backend's error: %+v", entries)
	}
}

// TestGatewayFollowsQ sends 3,000 two-piece requests through the HTTP
// gateway (embedded backend, an h = 0 key so both pieces are watermarked)
// and checks that each emitted piece follows its position's q: counts by
// candidate rank against summed q (chi-square, fixed seeds). About 40% of
// first drafts are rejected, so many second pieces come from a restarted
// stream. The requests run eight at a time; their seeds fix the answers,
// so the counts are the same as one at a time. (Against the unwatermarked
// p_T the counts give χ² = 3637 and 569 on 19 df: the size is for
// departures subtler than a gateway that does not tilt.)
func TestGatewayFollowsQ(t *testing.T) {
	key := testKey(t, 0)
	g := startClockedGateway(t, key, "", nil) // seeded answers the same every run
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
	// The second position's candidates after each first piece, computed
	// once each.
	type next struct {
		cands []llm.Candidate
		q     watermark.Tilted
	}
	after := map[int]next{}
	qAfter := func(r1 int) next {
		if n, ok := after[r1]; ok {
			return n
		}
		c2, q2 := qOf(append(append([]string{}, pp...), c1[r1].Piece))
		after[r1] = next{c2, q2}
		return after[r1]
	}
	want := [2][]float64{make([]float64, 20), make([]float64, 20)}
	got := [2][]int{make([]int, 20), make([]int, 20)}
	const n = 3000
	// Concurrent requests: the wall time is the pacing's, not the CPU's.
	texts := make([]string, n)
	var eg errgroup.Group
	eg.SetLimit(8)
	for i := range n {
		eg.Go(func() error {
			resp, err := g.postErr("/api/generate", devKey, map[string]any{"model": "embedded", "prompt": prompt, "raw": true, "stream": false,
				"options": map[string]any{"num_predict": 2, "min_tokens": 2, "seed": i, "temperature": 1.0}})
			if err != nil {
				return err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			var r struct{ Response, Error string }
			if err == nil {
				err = json.Unmarshal(body, &r)
			}
			if err != nil || resp.StatusCode != 200 || r.Error != "" {
				return fmt.Errorf("request %d: %d %q: %v", i, resp.StatusCode, body, err)
			}
			texts[i] = r.Response
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		t.Fatal(err)
	}
	used := 0
	for _, text := range texts {
		// Split the text into a first-position and a second-position
		// candidate; keep the responses where the split is unique.
		var split [][2]int
		var q2s []watermark.Tilted
		for r1, c := range c1 {
			if c.EOS || !strings.HasPrefix(text, c.Piece) {
				continue
			}
			n := qAfter(r1)
			for r2, d := range n.cands {
				if !d.EOS && c.Piece+d.Piece == text {
					split = append(split, [2]int{r1, r2})
					q2s = append(q2s, n.q)
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
