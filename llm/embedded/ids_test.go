package embedded

import (
	"context"
	"math"
	"testing"
)

// TestNextProbsAgreesWithNext: over ids, the model gives the
// probabilities Next gives over the same prefix's pieces, for short
// (end-of-text conditioned) and long prefixes.
func TestNextProbsAgreesWithNext(t *testing.T) {
	m, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"The", "It was the best of times, it was"} {
		ids, err := m.Vocab().Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		pieces := make([]string, len(ids))
		for i, id := range ids {
			pieces[i] = m.Vocab().Piece(id)
		}
		p := m.NextProbs(ids)
		cands, err := m.Next(context.Background(), pieces, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cands {
			id := m.EOS()
			if !c.EOS {
				id = int32(m.pieceID[c.Piece])
			}
			if math.Abs(math.Log(p[id])-c.LogProb) > 1e-12 {
				t.Errorf("%q: %q log p %v, Next %v", text, c.Piece, math.Log(p[id]), c.LogProb)
			}
		}
	}
}
