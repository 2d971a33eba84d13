package serve

import (
	"bufio"
	"context"
	"testing"

	"forensics/generate"
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
			_, st, err := generate.Speculative(context.Background(), m, nil, "The letter said", generate.StreamOptions{MaxTokens: n, MinTokens: n, Temperature: 1, Seed: uint64(i)}, func(string) error { return nil })
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
