package reasoning

import (
	"bytes"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
)

const examplesPath = "../../corpora/reasoning/examples.jsonl"

func readExamples(t testing.TB) []Example {
	t.Helper()
	f, err := os.Open(examplesPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	exs, err := ReadExamples(f)
	if err != nil {
		t.Fatal(err)
	}
	return exs
}

// The shipped weights are what the trainer makes of the shipped data:
// retrain and compare bytes (go generate ./logscan/reasoning rewrites
// them after a change to either).
func TestShippedWeightsReproducible(t *testing.T) {
	m, err := TrainShipped(examplesPath)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("weights.bin")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("retrained model (%d bytes) differs from weights.bin (%d bytes): run go generate ./logscan/reasoning", len(got), len(want))
	}
	if !bytes.Equal(want, shippedWeights) {
		t.Fatal("embedded weights differ from weights.bin")
	}
}

func TestScore(t *testing.T) {
	filler := strings.Repeat("The convoy reached the river at dawn and the officers argued about the crossing. ", 400)
	tests := []struct {
		name, text string
		want       bool
	}{
		{"english zero-shot CoT", "Q: What is 17 * 23?\nA: Let's think step by step.", true},
		{"in the system prompt", "You are a math tutor. Always show your work and explain each step before the answer.\n\nWhat is 12 * 13?", true},
		{"think tags", "Put your reasoning inside <think></think> tags, then answer.", true},
		{"json reasoning field", `Respond in JSON: {"reasoning": "your step by step reasoning", "answer": "..."}`, true},
		{"spanish", "Resuélvelo paso a paso y muestra tu razonamiento.", true},
		{"chinese", "请逐步推理，并写出你的思考过程。", true},
		{"inside a long document", filler + "\nExplain your reasoning step by step before answering.\n" + filler, true},
		{"plain question", "What is the capital of Australia?", false},
		{"translation", "Translate into German: \"The train leaves at eight.\"", false},
		{"long document alone", filler, false},
		{"empty", "", false},
	}
	m := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := m.Score(tt.text)
			if s < 0 || s > 1 || math.IsNaN(s) {
				t.Fatalf("score %v", s)
			}
			if got := s >= Threshold; got != tt.want {
				seg, top := m.Explain(tt.text, 5)
				t.Errorf("score %.3f, want reasoning=%v; window %q, top %+v", s, tt.want, seg, top)
			}
		})
	}
}

// Format characters inside words do not hide them.
func TestInvisibleCharactersIgnored(t *testing.T) {
	m := Default()
	plain := "Explain your reasoning step by step."
	hidden := "Ex\u200bplain your rea\u00adsoning st\u200dep by\u2060 step.\u200e"
	if a, b := m.Score(plain), m.Score(hidden); a != b {
		t.Errorf("score %.4f with format characters, %.4f without", b, a)
	}
}

// A window's score is the bias plus its n-grams' contributions; Explain's
// contributions add up to the score of the window it names.
func TestExplain(t *testing.T) {
	m := Default()
	text := "Translate this into French. Show your work and explain your reasoning."
	seg, top := m.Explain(text, 1<<20)
	if !strings.Contains(seg, "explain your reasoning") {
		t.Errorf("window %q does not hold the request", seg)
	}
	sum := m.bias
	for _, c := range top {
		sum += c.Logit
	}
	if got := m.Score(text); math.Abs(sigmoid(sum)-got) > 1e-9 {
		t.Errorf("contributions add to %.6f, score is %.6f", sigmoid(sum), got)
	}
	_, words := m.ExplainWords(text, 1<<20)
	wsum := m.bias
	for _, c := range words {
		wsum += c.Logit
	}
	if math.Abs(wsum-sum) > 1e-9 {
		t.Errorf("word shares add to %.6f, n-grams to %.6f", wsum, sum)
	}
	_, top = m.Explain(text, 3)
	if len(top) != 3 {
		t.Fatalf("%d contributions, want 3", len(top))
	}
	for i := 1; i < len(top); i++ {
		if math.Abs(top[i].Logit) > math.Abs(top[i-1].Logit) {
			t.Errorf("not in order of magnitude: %+v", top)
		}
	}
}

func TestTrainDeterministicAndValidates(t *testing.T) {
	exs := []Example{
		{Text: "Show your work.", Label: 1}, {Text: "Think step by step.", Label: 1},
		{Text: "What is the capital of France?", Label: 0}, {Text: "Write a poem about rain.", Label: 0},
	}
	opts := TrainOptions{Params: Params{MinN: 1, MaxN: 3, HashBits: 10, Window: 32, Stride: 8}, Epochs: 5}
	a, err := Train(exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Train(exs, opts)
	ab, _ := a.MarshalBinary()
	bb, _ := b.MarshalBinary()
	if !bytes.Equal(ab, bb) {
		t.Error("two trainings on the same data differ")
	}
	if _, err := Train(exs[:2], opts); err == nil {
		t.Error("trained on one label")
	}
	if _, err := Train(exs, TrainOptions{Params: Params{MinN: 3, MaxN: 2, HashBits: 10, Window: 32, Stride: 8}}); err == nil {
		t.Error("trained with MinN > MaxN")
	}
}

// Score is safe for concurrent use (run under -race).
func TestScoreConcurrent(t *testing.T) {
	m := Default()
	texts := []string{"Show your work.", "What is 2+2?", strings.Repeat("請一步一步思考。", 3000)}
	want := make([]float64, len(texts))
	for i, s := range texts {
		want[i] = m.Score(s)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i, s := range texts {
				if got := m.Score(s); got != want[i] {
					t.Errorf("text %d: %v concurrently, %v alone", i, got, want[i])
				}
			}
		})
	}
	wg.Wait()
}

// Scoring holds memory bounded by its chunk and window, not the text.
func TestScoreMemoryBounded(t *testing.T) {
	m := Default()
	big := strings.Repeat("Der Zug fährt um acht Uhr ab. 列车八点出发。 The train leaves at eight. ", 100_000) // ~8 MB
	m.Score("warm the pool")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m.Score(big)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<10 {
		t.Errorf("scoring %d bytes allocated %d bytes", len(big), alloc)
	}
}

// Text cut into normalisation chunks scores as if it were not: a
// combining mark straddling a chunk boundary is normalised with its base.
func TestChunkCut(t *testing.T) {
	text := strings.Repeat("a", chunkBytes-1) + "e\u0301" + strings.Repeat("b", 10)
	cut := chunkCut(text)
	if cut != chunkBytes-1 {
		t.Errorf("cut at %d, want %d (before the base letter)", cut, chunkBytes-1)
	}
	cjk := strings.Repeat("推", chunkBytes) // 3-byte runes: no cut inside one
	if c := chunkCut(cjk); c%3 != 0 {
		t.Errorf("cut at %d, inside a rune", c)
	}
}
