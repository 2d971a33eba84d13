package embedded

import (
	"bytes"
	"context"
	"crypto/sha256"
	"math"
	"strings"
	"testing"
	"time"

	"forensics/corpora"
)

// TestShippedArtifactsReproduce retrains from corpora/ and compares with
// the files in data/: the shipped model is exactly what the code makes.
func TestShippedArtifactsReproduce(t *testing.T) {
	a, err := Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Tokenizer, shippedTokenizer) {
		t.Error("data/tokenizer.json differs from what training produces: run go generate ./llm/embedded")
	}
	ids, _ := decodeIDs(a.IDs)
	shipped, err := decodeIDs(shippedIDs)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(u16bytes(ids)) != sha256.Sum256(u16bytes(shipped)) {
		t.Error("data/corpus.ids.gz differs from what encoding the corpus produces: run go generate ./llm/embedded")
	}
}

func u16bytes(ids []uint16) []byte {
	b := make([]byte, 0, 2*len(ids))
	for _, id := range ids {
		b = append(b, byte(id), byte(id>>8))
	}
	return b
}

func TestLoadAndNext(t *testing.T) {
	t0 := time.Now()
	m, err := New(Shipped(), DefaultOrder)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in %v", m.Name(), time.Since(t0))
	ctx := context.Background()
	prefix, _ := m.Tokenizer().Pieces("It was in July, 1805, and the")
	cands, err := m.Next(ctx, prefix, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 20 {
		t.Fatalf("%d candidates", len(cands))
	}
	mass := 0.0
	for i, c := range cands {
		mass += math.Exp(c.LogProb)
		if i > 0 && c.LogProb > cands[i-1].LogProb {
			t.Fatal("candidates not in order")
		}
	}
	if mass <= 0.2 || mass > 1+1e-9 {
		t.Fatalf("top-20 mass %v", mass)
	}
	// The full distribution sums to one.
	b := m.scratch.Get().(*buffers)
	m.kn.dist(b.p, b.s, m.history(prefix))
	sum := 0.0
	for _, p := range b.p {
		if p <= 0 {
			t.Fatal("zero probability: smoothing is broken")
		}
		sum += p
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Fatalf("Σp = %v", sum)
	}
	t.Logf("after %q: %q (%.2f) %q (%.2f) …", strings.Join(prefix, ""), cands[0].Piece, math.Exp(cands[0].LogProb), cands[1].Piece, math.Exp(cands[1].LogProb))
	// A piece from outside the vocabulary only shortens the context.
	if _, err := m.Next(ctx, []string{"\x00not-a-piece"}, 5); err != nil {
		t.Fatal(err)
	}
}

func TestHeldOutEntropy(t *testing.T) {
	paras, err := corpora.Paragraphs()
	if err != nil {
		t.Fatal(err)
	}
	_, held := corpora.Split(paras)
	for _, order := range []int{2, 3, 4} {
		m, err := New(Shipped(), order)
		if err != nil {
			t.Fatal(err)
		}
		h, n, err := m.CrossEntropy(held)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("order %d: held-out cross-entropy %.3f bits/token over %d tokens", order, h, n)
		if h < 3 || h > 9 {
			t.Errorf("order %d: %.2f bits/token is outside any sane range for this corpus", order, h)
		}
	}
}

func TestTopK(t *testing.T) {
	p := []float64{0.1, 0.5, 0.05, 0.3, 0.05}
	got := topK(p, 3)
	if len(got) != 3 || got[0] != 1 || got[1] != 3 || got[2] != 0 {
		t.Fatalf("topK = %v", got)
	}
	if got := topK(p, 10); len(got) != 5 || got[3] != 2 || got[4] != 4 {
		t.Fatalf("topK over all = %v", got)
	}
}

func BenchmarkLoad(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := New(Shipped(), DefaultOrder); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNext(b *testing.B) {
	m, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	prefix, _ := m.Tokenizer().Pieces("It was in July, 1805, and the speaker was the")
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Next(ctx, prefix, 20)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
