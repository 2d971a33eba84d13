package serve

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"forensics/llm"
)

// countingBackend counts the work a request makes the backend do:
// tokenizations of whole texts, and streams that would tokenize the
// prompt again because they were not given its pieces.
type countingBackend struct {
	Backend
	pieces, streams, retokenized atomic.Int64
}

func (b *countingBackend) Pieces(model, text string, max int) ([]string, bool) {
	b.pieces.Add(1)
	return b.Backend.Pieces(model, text, max)
}

func (b *countingBackend) Stream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) error {
	b.streams.Add(1)
	if req.PromptPieces == nil {
		b.retokenized.Add(1)
	}
	return b.Backend.Stream(ctx, req, fn)
}

// hostileRequests are the CPU amplifications, as request bodies:
// 15,000 stop strings; 16 stop strings of 256 bytes (the most allowed);
// a prompt of 850 KB (over max_prompt_tokens); 480 KB without a space
// (over it too, but under the byte bound, so it must be counted); and a
// 60 KB prompt, under it, with a 200-token answer.
func hostileRequests() map[string]map[string]any {
	stops := make([]string, 15000)
	for i := range stops {
		stops[i] = fmt.Sprintf("stop%05d", i)
	}
	maxStops := make([]string, 16)
	for i := range maxStops {
		maxStops[i] = strings.Repeat(string(rune('a'+i)), 255) + "!"
	}
	opts := func(extra map[string]any) map[string]any {
		o := map[string]any{"num_predict": 200, "min_tokens": 200, "temperature": 1.0}
		for k, v := range extra {
			o[k] = v
		}
		return o
	}
	words := strings.Repeat("the old prince said that the war would come ", 20000)
	bomb := strings.Repeat("ab1!", 120<<10) // no space: one pre-token after another
	return map[string]map[string]any{
		"normal":           {"model": "embedded", "prompt": "The letter said", "stream": false, "options": opts(nil)},
		"15000 stops":      {"model": "embedded", "prompt": "The letter said", "stream": false, "options": opts(map[string]any{"stop": stops})},
		"16 long stops":    {"model": "embedded", "prompt": "The letter said", "stream": false, "options": opts(map[string]any{"stop": maxStops})},
		"850 KB prompt":    {"model": "embedded", "prompt": words[:850<<10], "stream": false, "options": opts(nil)},
		"60 KB prompt":     {"model": "embedded", "prompt": words[:60<<10], "stream": false, "options": opts(nil)},
		"480 KB no spaces": {"model": "embedded", "prompt": bomb, "stream": false, "options": opts(nil)},
	}
}

// TestAttackCPUAmplification sends each hostile request and counts what it
// cost: whether it was refused before any generation, how many times its
// prompt was tokenized, and how many upstream streams did not get the
// prompt's pieces (each would tokenize it again). Prompt tokens must be
// charged to tokens_per_day. (CPU time per request, against a normal one,
// is BenchmarkHostileRequests.)
func TestAttackCPUAmplification(t *testing.T) {
	var cb *countingBackend
	g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, o *Options) {
		c.Requests.MaxBodyBytes = 1 << 20
		off := false
		c.Watermarking.Pacing = &off // its calibration would count too
		for i := range c.Accounts {
			if c.Accounts[i].Name == "dev2" {
				c.Accounts[i].Limits = &Limits{TokensPerDay: 100000}
			}
		}
		cb = &countingBackend{Backend: o.Backend}
		o.Backend = cb
	})
	want := map[string]int{"normal": 200, "15000 stops": 400, "16 long stops": 200, "850 KB prompt": 400, "60 KB prompt": 200, "480 KB no spaces": 400}
	for name, body := range hostileRequests() {
		p0, s0, r0 := cb.pieces.Load(), cb.streams.Load(), cb.retokenized.Load()
		resp := g.post("/api/generate", devKey, body)
		msg := readAll(t, resp)
		p, s, r := cb.pieces.Load()-p0, cb.streams.Load()-s0, cb.retokenized.Load()-r0
		t.Logf("%-14s → %d; prompt tokenized %d time(s), %d upstream streams, %d of them re-tokenizing", name, resp.StatusCode, p, s, r)
		if resp.StatusCode != want[name] || r != 0 || p > 1 || (resp.StatusCode != 200 && s != 0) {
			t.Errorf("%s: %d %s", name, resp.StatusCode, msg)
		}
	}
	before := g.srv.tokensLeft(t, "dev2")
	body := hostileRequests()["60 KB prompt"]
	readAll(t, g.post("/api/generate", dev2Key, body))
	used := before - g.srv.tokensLeft(t, "dev2")
	entries := g.logLines()
	last := entries[len(entries)-1]
	t.Logf("a 60 KB prompt and 200 tokens charged %.0f tokens to tokens_per_day (logged: %d prompt + %d completion)", used, last.PromptTokens, last.CompletionTokens)
	if int(used+0.5) < last.PromptTokens+last.CompletionTokens || last.PromptTokens < 10000 {
		t.Errorf("charged %.0f for %d prompt + %d completion tokens", used, last.PromptTokens, last.CompletionTokens)
	}
}

// BenchmarkHostileRequests reports the CPU time (user + system, of the
// whole process: client, gateway and backend) of each hostile request
// against a normal one, through the HTTP gateway, with ratios measured in
// one run: go test ./serve -run '^$' -bench HostileRequests -cpu 1.
func BenchmarkHostileRequests(b *testing.B) {
	reqs := hostileRequests()
	for _, name := range []string{"normal", "15000 stops", "16 long stops", "850 KB prompt", "480 KB no spaces", "60 KB prompt"} {
		b.Run(strings.ReplaceAll(name, " ", "-"), func(b *testing.B) {
			g := startGatewayWith(b, testKey(b, 1), "", func(c *Config, _ *Options) {
				c.Requests.MaxBodyBytes = 1 << 20
				off := false
				c.Watermarking.Pacing = &off // CPU, not waiting
			})
			defer g.close()
			var ru0, ru1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				readAll(b, g.post("/api/generate", devKey, reqs[name]))
			}
			b.StopTimer()
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := (ru1.Utime.Nano() - ru0.Utime.Nano()) + (ru1.Stime.Nano() - ru0.Stime.Nano())
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
