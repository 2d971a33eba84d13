package serve

import (
	"bufio"
	"context"
	"testing"
	"time"

	"forensics/generate"
	"forensics/internal/sidechannel"
	"forensics/llm/embedded"
)

// BenchmarkPassThrough measures what the gateway adds to an unwatermarked
// stream: the embedded backend's own generation loop in-process ("direct")
// against the same 200-token generation streamed through the HTTP gateway
// with the watermark off ("gateway"); the difference of ns/token is the
// gateway's overhead per token.
func BenchmarkPassThrough(b *testing.B) {
	m, err := embedded.Load()
	if err != nil {
		b.Fatal(err)
	}
	const n = 200
	b.Run("direct", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_, st, err := generate.Speculative(context.Background(), m, nil, "The letter said", generate.StreamOptions{MaxTokens: n, MinTokens: n, Temperature: 1, Seed: generate.SeedFromUint64(uint64(i))}, func(string, int) error { return nil })
			if err != nil || st.Tokens != n {
				b.Fatal(err, st.Tokens)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/token")
	})
	b.Run("gateway", func(b *testing.B) {
		g := startGateway(b, testKey(b, 1), "")
		defer g.close()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			resp := g.post("/api/generate", plainKey, map[string]any{"model": "embedded", "prompt": "The letter said", "raw": true,
				"options": map[string]any{"num_predict": n, "min_tokens": n, "seed": i, "temperature": 1.0}})
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
			}
			resp.Body.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/token")
	})
}

// BenchmarkPacingCost is what pacing (the timing-channel defence) costs on
// the embedded backend: 200-token watermarked answers streamed through the
// HTTP gateway, unpaced and paced, measured in one run: tokens/s and time
// to the first streamed text. go test ./serve -run '^$' -bench PacingCost -cpu 1
func BenchmarkPacingCost(b *testing.B) {
	const n = 200
	for _, paced := range []bool{false, true} {
		b.Run(map[bool]string{false: "unpaced", true: "paced"}[paced], func(b *testing.B) {
			g := startGatewayWith(b, testKey(b, 1), "", func(c *Config, _ *Options) { c.Watermarking.Pacing = &paced })
			defer g.close()
			ask := func(i int) time.Duration {
				start := time.Now()
				resp := g.post("/api/generate", devKey, map[string]any{"model": "embedded", "prompt": "The letter said", "raw": true,
					"options": map[string]any{"num_predict": n, "min_tokens": n, "temperature": 1.0}})
				frames, err := sidechannel.ReadNDJSON(resp.Body)
				resp.Body.Close()
				if err != nil || len(frames) == 0 {
					b.Fatal(err)
				}
				return frames[0].At.Sub(start)
			}
			ask(0) // the first request waits for the pace's calibration
			var first time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				first += ask(i)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "tokens/s")
			b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "ttft-ms")
		})
	}
}
