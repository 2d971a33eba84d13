package generate

import (
	"context"
	"testing"

	"forensics/llm"
	"forensics/llm/embedded"
	"forensics/watermark"
)

// stepping is the baseline the speculative loop is measured against: one
// upstream request per token (MaxTokens 1), sampling q locally from the
// candidates the backend reports.
func stepping(ctx context.Context, s llm.Streamer, scheme *watermark.Scheme, prompt string, n int, seed uint64) (tokens, roundTrips int) {
	sm := watermark.NewSampler(scheme, seed)
	fp := watermark.NewContext(scheme.Params().ContextWidth)
	var pieces []string
	for len(pieces) < n {
		var cands []llm.Candidate
		roundTrips++
		s.Stream(ctx, llm.StreamRequest{Prompt: prompt, Generated: pieces, Temperature: 1, MaxTokens: 1, MinTokens: n, Seed: seed}, func(d llm.Draft) error {
			cands = d.Candidates
			return llm.ErrStop
		})
		wc := make([]watermark.Candidate, len(cands))
		for i, c := range cands {
			wc[i] = watermark.Candidate{Piece: c.Piece, LogProb: c.LogProb, EOS: c.EOS}
		}
		i, _ := sm.Sample(fp.Fingerprints(), wc, 1)
		pieces = append(pieces, wc[i].Piece)
		fp.Push(watermark.Fingerprint(wc[i].Piece))
	}
	return len(pieces), roundTrips
}

// BenchmarkRoundTrips compares upstream requests per generated token:
// speculative acceptance against the backend's own samples versus one
// request per token, on the embedded backend (200-token answers, δ = 2).
func BenchmarkRoundTrips(b *testing.B) {
	m, err := embedded.Load()
	if err != nil {
		b.Fatal(err)
	}
	var secret [32]byte
	k, _ := watermark.NewKeyFromSecret("bench", watermark.DefaultParams(), secret, zeroTime)
	s := watermark.NewScheme(k)
	ctx := context.Background()
	b.Run("speculative", func(b *testing.B) {
		toks, trips := 0, 0
		for i := 0; i < b.N; i++ {
			_, st, err := Speculative(ctx, m, s, "The letter said", StreamOptions{MaxTokens: 200, MinTokens: 200, Temperature: 1, Seed: SeedFromUint64(uint64(i))}, func(string, int) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			toks += st.Tokens
			trips += st.RoundTrips
		}
		b.ReportMetric(float64(trips)/float64(toks), "trips/token")
		b.ReportMetric(float64(toks)/b.Elapsed().Seconds(), "tokens/s")
	})
	b.Run("stepping", func(b *testing.B) {
		toks, trips := 0, 0
		for i := 0; i < b.N; i++ {
			n, r := stepping(ctx, m, s, "The letter said", 200, uint64(i))
			toks += n
			trips += r
		}
		b.ReportMetric(float64(trips)/float64(toks), "trips/token")
		b.ReportMetric(float64(toks)/b.Elapsed().Seconds(), "tokens/s")
	})
}
