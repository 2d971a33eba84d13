package engine

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkDetectIDs is the engine detector as the commands run it
// (selection with dedup, then the statistic), per scheme and PRF, on
// documents of 1,000 ids; compare with watermark/vllm's BenchmarkDetect
// and watermark's BenchmarkDetectPieces in the same run.
func BenchmarkDetectIDs(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	doc := make([]int64, 1000)
	for i := range doc {
		doc[i] = int64(rng.IntN(4096))
	}
	for _, k := range allKeys(b) {
		d, _ := NewDetector(k)
		b.Run(k.Scheme+"/"+k.PRF, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d.DetectIDs(doc)
			}
			b.ReportMetric(float64(len(doc))*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
