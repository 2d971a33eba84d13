package embedded

import (
	"bytes"
	"context"
	"crypto/sha256"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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

// TestSamplingEntropy reports the mean entropy of the distribution the
// watermark sampler actually tilts: the top 20 candidates, renormalised at
// temperature T, along held-out text. Watermark strength depends on it.
func TestSamplingEntropy(t *testing.T) {
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	paras, _ := corpora.Paragraphs()
	_, held := corpora.Split(paras)
	ctx := context.Background()
	for _, temp := range []float64{1, 0.8} {
		sum, n := 0.0, 0
		for _, p := range held[:200] {
			pieces, _ := m.Tokenizer().Pieces(p)
			for i := range pieces {
				cands, _ := m.Next(ctx, pieces[:i], 20)
				z := 0.0
				for _, c := range cands {
					z += math.Exp(c.LogProb / temp)
				}
				h := 0.0
				for _, c := range cands {
					q := math.Exp(c.LogProb/temp) / z
					h -= q * math.Log2(q)
				}
				sum += h
				n++
			}
		}
		mean := sum / float64(n)
		t.Logf("T=%.1f: mean entropy of the top-20 sampling distribution %.2f bits over %d positions", temp, mean, n)
		if mean < 1 || mean > math.Log2(20) {
			t.Errorf("T=%.1f: mean entropy %.2f bits", temp, mean)
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

// FuzzEmbeddedTokenizer feeds arbitrary text to the embedded model's
// tokenizer (Ollama's byte-level BPE): valid UTF-8 without NUL must come
// back byte for byte from its pieces. (Ollama reads text as runes, so an
// invalid byte becomes U+FFFD, and its decoder drops NUL; detect refuses
// input that is not UTF-8.)
func FuzzEmbeddedTokenizer(f *testing.F) {
	m, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "Hello, world!", "\xff\xfe", "emoji 🙂 and\ttabs\n\n", "<|endoftext|> inside", "1234567 3.14"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pieces, err := m.Tokenizer().Pieces(s)
		if err != nil {
			t.Fatalf("tokenize %q: %v", s, err)
		}
		if got := strings.Join(pieces, ""); got != s && utf8.ValidString(s) && !strings.Contains(s, "\x00") {
			t.Fatalf("round trip of %q gave %q", s, got)
		}
		if _, err := m.Next(context.Background(), pieces, 20); err != nil {
			t.Fatal(err)
		}
	})
}
