package watermark

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// ledgerBench is the benchmarks' transcript set and keys: 550 answers of
// 100 pieces and 550 prompts of 20, human text (War and Peace, Opticks) cut
// by the embedded model's tokenizer, and a master key with 9,999 case keys.
type ledgerBench struct {
	prompts, docs [][]string
	schemes       []*Scheme
	schemesHeap   uint64 // bytes of heap the 10,000 schemes hold
}

var (
	ledgerOnce sync.Once
	ledger     ledgerBench
)

func ledgerSet(b *testing.B) *ledgerBench {
	ledgerOnce.Do(func() {
		docs, _ := humanDocs(b, 660, 100)
		ledger.docs = docs[:550]
		for _, d := range docs[550:] {
			for i := 0; i+20 <= len(d); i += 20 {
				ledger.prompts = append(ledger.prompts, d[i:i+20])
			}
		}
		before := liveHeap()
		master := testKey(DefaultParams().ContextWidth, 1)
		ledger.schemes = []*Scheme{NewScheme(master)}
		for i := 1; i < 10_000; i++ {
			k, err := master.DeriveCase("0123456789abcdef", fmt.Sprintf("case-%05d", i), "00112233aabbccdd")
			if err != nil {
				b.Fatal(err)
			}
			ledger.schemes = append(ledger.schemes, NewScheme(k))
		}
		ledger.schemesHeap = liveHeap() - before
	})
	return &ledger
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkScoreKeys scores the ledger set under 1, 100 and 10,000 keys:
// NewTuples once, then ScoreKeys, against the per-key Scorer path the probe
// took before (scorer/keys=N), in the same run. ns/op is the whole job;
// score-ns/key·tuple is ScoreKeys alone over keys × distinct tuples, the
// constant that should not move with the number of keys.
func BenchmarkScoreKeys(b *testing.B) {
	set := ledgerSet(b)
	for _, keys := range []int{1, 100, 10_000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) { benchTuples(b, set, keys) })
	}
	for _, keys := range []int{1, 100} {
		b.Run(fmt.Sprintf("scorer/keys=%d", keys), func(b *testing.B) { benchScorer(b, set, keys) })
	}
}

func benchTuples(b *testing.B, set *ledgerBench, keys int) {
	schemes := set.schemes[:keys]
	var build, score time.Duration
	var tu *Tuples
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		tu = NewTuples(schemes[0].params.ContextWidth, set.prompts, set.docs)
		t1 := time.Now()
		if _, err := ScoreKeys(context.Background(), tu, schemes, 0); err != nil {
			b.Fatal(err)
		}
		build, score = build+t1.Sub(t0), score+time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tu.Len()), "tuples")
	b.ReportMetric(float64(8*cap(tu.words)), "tuples-B")
	b.ReportMetric(float64(build.Nanoseconds())/n, "build-ns")
	b.ReportMetric(float64(score.Nanoseconds())/(n*float64(keys*tu.Len())), "score-ns/key·tuple")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/(n*float64(keys)), "ns/key")
	if keys == len(set.schemes) {
		b.ReportMetric(float64(set.schemesHeap), "schemes-B")
		b.ReportMetric(float64(peakHeapBound(b, set, schemes)), "peak-heap-B")
	}
}

// peakHeapBound bounds the heap while the whole job runs once: what is
// live before it (the transcripts and the schemes) plus all it allocates.
func peakHeapBound(b *testing.B, set *ledgerBench, schemes []*Scheme) uint64 {
	live := liveHeap()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	before := m.TotalAlloc
	tu := NewTuples(schemes[0].params.ContextWidth, set.prompts, set.docs)
	if _, err := ScoreKeys(context.Background(), tu, schemes, 0); err != nil {
		b.Fatal(err)
	}
	runtime.ReadMemStats(&m)
	return live + m.TotalAlloc - before
}

func benchScorer(b *testing.B, set *ledgerBench, keys int) {
	schemes := set.schemes[:keys]
	var r Result
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range schemes {
			r = scoreWithScorer(s, set.prompts, set.docs, 0)
		}
	}
	b.ReportMetric(float64(r.TokensScored), "tuples")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/(float64(b.N)*float64(keys*r.TokensScored)), "ns/key·tuple")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/(float64(b.N)*float64(keys)), "ns/key")
}
