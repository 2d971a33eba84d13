package vllm

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkDetect measures detection from token ids on one goroutine,
// per scheme × PRF, on documents of 1,000 ids (vLLM's defaults: width 4,
// dedup on), as the watermark package's BenchmarkDetectPieces does for
// this project's own scheme: run both in one `go test -bench` for a
// comparison on the same machine.
func BenchmarkDetect(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	doc := make([]int64, 1000)
	for i := range doc {
		doc[i] = int64(rng.IntN(4096))
	}
	for _, s := range testSchemes(3) {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.detect(doc)
			}
			b.ReportMetric(float64(len(doc))*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
