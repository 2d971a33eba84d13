package toy

import (
	"context"
	"math"
	"strings"
	"testing"
)

func TestToyModel(t *testing.T) {
	m := New(1000)
	cands, err := m.Next(context.Background(), []string{" wab"}, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != Width {
		t.Fatalf("%d candidates, want %d (k is capped at the width)", len(cands), Width)
	}
	sum := 0.0
	seen := map[string]bool{}
	for i, c := range cands {
		sum += math.Exp(c.LogProb)
		if seen[c.Piece] {
			t.Fatalf("duplicate candidate %q", c.Piece)
		}
		seen[c.Piece] = true
		if i > 0 && c.LogProb > cands[i-1].LogProb {
			t.Fatal("candidates not ordered most likely first")
		}
		// The word splitter must give the piece back unchanged.
		if got, _ := m.Tokenizer().Pieces(c.Piece); len(got) != 1 || got[0] != c.Piece {
			t.Fatalf("piece %q splits into %q", c.Piece, got)
		}
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Fatalf("probabilities sum to %v", sum)
	}
	again, _ := m.Next(context.Background(), []string{"x", " wab"}, 20)
	if again[0] != cands[0] {
		t.Fatal("distribution must depend on the last piece only")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Next(ctx, nil, 5); err == nil {
		t.Fatal("cancelled context ignored")
	}
	// Entropy in the range of LLM text at T = 1 (2-3 bits).
	h := 0.0
	for _, c := range cands {
		h -= math.Exp(c.LogProb) * c.LogProb / math.Ln2
	}
	if h < 2 || h > 3.5 || !strings.HasPrefix(cands[0].Piece, " w") {
		t.Fatalf("entropy %.2f bits", h)
	}
}
