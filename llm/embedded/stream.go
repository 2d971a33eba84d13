package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"

	"forensics/llm"
)

// Stream implements llm.Streamer the way Ollama serves a model with
// top_k = k and logprobs: it samples each token from the top-k candidates
// at the request's temperature and reports the candidates with it. The
// randomness is ChaCha8 seeded from the request's seed and the number of
// pieces already generated, so a restarted stream does not replay the
// draws of the one it replaces.
func (m *Model) Stream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) error {
	k := req.TopK
	if k <= 0 {
		k = 20
	}
	prompt := req.PromptPieces
	if prompt == nil {
		var err error
		if prompt, err = m.tk.Pieces(req.Prompt); err != nil {
			return err
		}
	}
	// The model reads only the last order−1 pieces (one more says that the
	// history does not start the text), so a restart copies a short tail,
	// not the whole prompt: its cost must not grow with the prompt.
	keep := m.kn.order
	var prefix []string
	if g := len(req.Generated); g >= keep {
		prefix = append(prefix, req.Generated[g-keep:]...)
	} else {
		prefix = append(prefix, prompt[max(0, len(prompt)-(keep-g)):]...)
		prefix = append(prefix, req.Generated...)
	}
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], req.Seed)
	binary.LittleEndian.PutUint64(seed[8:], uint64(len(req.Generated)))
	copy(seed[16:], "embedded-stream")
	rng := rand.New(rand.NewChaCha8(seed))
	w := make([]float64, k)
	for n := 0; req.MaxTokens <= 0 || n < req.MaxTokens; n++ {
		cands, err := m.Next(ctx, prefix, k)
		if err != nil {
			return err
		}
		if len(req.Generated)+n < req.MinTokens {
			cands = llm.WithoutEOS(cands)
		}
		i := sampleAt(cands, req.Temperature, w, rng)
		d := llm.Draft{Piece: cands[i].Piece, EOS: cands[i].EOS, Candidates: cands}
		if d.EOS {
			// Like Ollama: the end token comes without candidates.
			d.Candidates = nil
		}
		if err := fn(d); err != nil {
			if errors.Is(err, llm.ErrStop) {
				return nil
			}
			return err
		}
		if d.EOS {
			return nil
		}
		prefix = append(prefix, d.Piece)
	}
	return nil
}

// sampleAt draws an index from the candidates' distribution at the
// temperature (greedy at T ≤ 0).
func sampleAt(cands []llm.Candidate, temp float64, w []float64, rng *rand.Rand) int {
	if temp <= 0 {
		return 0 // candidates come most likely first
	}
	w = w[:len(cands)]
	top := cands[0].LogProb / temp
	total := 0.0
	for i, c := range cands {
		w[i] = math.Exp(c.LogProb/temp - top)
		total += w[i]
	}
	u := rng.Float64() * total
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}
