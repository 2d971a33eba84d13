package watermark

import "math/rand/v2"

// Speculate decides what to emit when a backend that samples from p_T has
// drafted candidate i (speculative sampling: Leviathan et al., "Fast
// Inference from Transformers via Speculative Decoding", ICML 2023, and
// Chen et al., "Accelerating Large Language Model Decoding with Speculative
// Sampling", 2023). The draft is accepted with probability
// min(1, q(i)/p_T(i)); on rejection a replacement is drawn from the
// residual (q − p_T)⁺ normalised. Either way the emitted index is an exact
// sample from q, and a rejection means the backend's later drafts are moot.
//
// It returns the index to emit and whether that is the draft itself.
func (t Tilted) Speculate(i int, rng *rand.Rand) (emit int, accepted bool) {
	p, q := t.P[i], t.Q[i]
	if q >= p || rng.Float64()*p < q {
		return i, true
	}
	res := make([]float64, len(t.Q))
	for j := range res {
		if d := t.Q[j] - t.P[j]; d > 0 {
			res[j] = d
		}
	}
	j := Draw(res, rng)
	if j < 0 {
		// (q − p)⁺ is empty only if q = p, when rejection cannot happen;
		// rounding can still get here: keep the draft.
		return i, true
	}
	return j, j == i
}
