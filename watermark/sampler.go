package watermark

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
)

// Candidate is one possible next piece and its raw (pre-temperature)
// log-probability, as a backend reports it (Ollama: top_logprobs).
type Candidate struct {
	Piece   string
	LogProb float64
	// EOS marks the end-of-sequence candidate. It is never green and its
	// probability is never changed by the tilt (see Tilt).
	EOS bool
}

// Tilted is a next-piece distribution before and after the watermark.
type Tilted struct {
	P     []float64 // p_T: the candidates' distribution at the temperature
	Q     []float64 // q: p_T with green pieces favoured (see Tilt)
	Green []bool    // the green test of each candidate
	// Watermarked is false when q = p_T because the context is shorter
	// than h (the first pieces of a text) or the temperature is 0.
	Watermarked bool
	// TV is the total variation distance between p_T and q: the
	// probability mass the key moved, which is also the expected number of
	// green pieces it added at this position (q − p_T is positive exactly
	// on green pieces). Near-greedy distributions have TV ≈ 0 even when
	// Watermarked is true: nothing was really tilted.
	TV float64
}

// Tilt computes p_T and q for cands after the context ctx (fingerprints,
// oldest first). p_T(x) ∝ exp(logprob(x)/T) over the candidates; a
// temperature ≤ 0 means greedy decoding, a point mass on the most likely
// candidate (first among ties), which carries no watermark because no
// tilt can move a point mass. Candidates with NaN or infinite
// log-probability get probability 0.
//
// The bias is δ_T = δ / min(T, 1): q(x) ∝ p_T(x)·e^δ_T on green x. Below
// T = 1 that is δ added to the raw log-probabilities before the
// temperature divides them, as in Kirchenbauer et al.'s reference
// implementation, whose watermark is a logits processor that Hugging Face
// transformers' sampling loop runs before the temperature warper; a bias
// added after the temperature would vanish as the distribution sharpens.
// Above T = 1 the bias stays δ rather than shrinking to δ/T, so a higher
// temperature does not weaken the watermark.
//
// End-of-sequence is left alone: q(EOS) = p_T(EOS), and the other
// candidates share the rest in proportion to p_T(x)·e^δ_T (green) or
// p_T(x). Ollama reports no log-probability for the end token, so only a
// target that does not tilt it can be sampled exactly through Ollama; the
// embedded backend uses the same target so both serve one distribution.
func (s *Scheme) Tilt(ctx []uint64, cands []Candidate, temperature float64) Tilted {
	n := len(cands)
	t := Tilted{P: make([]float64, n), Q: make([]float64, n), Green: make([]bool, n)}
	if n == 0 {
		return t
	}
	full := len(ctx) >= s.params.ContextWidth
	if full {
		for i, c := range cands {
			t.Green[i] = !c.EOS && s.Green(ctx, c.Piece)
		}
	}
	best := mostLikely(cands)
	if best < 0 {
		// Nothing has positive probability: fall back to uniform, the
		// only distribution consistent with no information.
		for i := range t.P {
			t.P[i] = 1 / float64(n)
		}
		copy(t.Q, t.P)
		return t
	}
	if temperature < minTemperature {
		t.P[best], t.Q[best] = 1, 1
		return t
	}
	bias := s.params.Delta / math.Min(temperature, 1)
	if !full {
		bias = 0
	}
	t.weigh(cands, temperature, bias)
	t.Watermarked = full
	return t
}

// mostLikely is the index of the candidate with the highest valid
// log-probability (the first among ties), or -1 if none is valid.
func mostLikely(cands []Candidate) int {
	best := -1
	for i, c := range cands {
		if valid(c.LogProb) && (best < 0 || c.LogProb > cands[best].LogProb) {
			best = i
		}
	}
	return best
}

// weigh fills in P, Q and TV: p_T(x) ∝ exp(logprob(x)/T), q(x) the same
// with bias added to the green log-weights, q(EOS) = p_T(EOS) and the
// other candidates sharing the rest.
func (t *Tilted) weigh(cands []Candidate, temperature, bias float64) {
	maxP, maxQ := t.maxLogWeights(cands, temperature, bias)
	var sumP, sumEOS, sumQ float64
	for i, c := range cands {
		if !valid(c.LogProb) {
			continue
		}
		lp := c.LogProb / temperature
		t.P[i] = math.Exp(lp - maxP)
		sumP += t.P[i]
		if c.EOS {
			sumEOS += t.P[i]
			continue
		}
		if t.Green[i] {
			lp += bias
		}
		t.Q[i] = math.Exp(lp - maxQ)
		sumQ += t.Q[i]
	}
	// Non-EOS candidates share 1 - p_T(EOS) of q.
	rest := (sumP - sumEOS) / sumP
	for i, c := range cands {
		t.P[i] /= sumP
		switch {
		case c.EOS:
			t.Q[i] = t.P[i]
		case sumQ > 0:
			t.Q[i] = t.Q[i] / sumQ * rest
		}
		t.TV += math.Max(0, t.Q[i]-t.P[i])
	}
}

// maxLogWeights are the largest log-weights of p_T and of q (over the
// candidates other than EOS), by which weigh shifts them so that exp
// cannot overflow however large the bias is.
func (t *Tilted) maxLogWeights(cands []Candidate, temperature, bias float64) (maxP, maxQ float64) {
	maxP, maxQ = math.Inf(-1), math.Inf(-1)
	for i, c := range cands {
		if !valid(c.LogProb) {
			continue
		}
		lp := c.LogProb / temperature
		maxP = math.Max(maxP, lp)
		if !c.EOS {
			if t.Green[i] {
				lp += bias
			}
			maxQ = math.Max(maxQ, lp)
		}
	}
	return maxP, maxQ
}

// minTemperature is where sampling becomes greedy: below it, logprob/T
// can overflow to -Inf and the distribution would be NaN.
const minTemperature = 1e-6

func valid(lp float64) bool { return !math.IsNaN(lp) && !math.IsInf(lp, -1) && !math.IsInf(lp, 1) }

// Draw returns an index sampled from the distribution w (non-negative,
// summing to about 1) by inversion with one uniform draw; -1 if w is empty.
func Draw(w []float64, rng *rand.Rand) int {
	if len(w) == 0 {
		return -1
	}
	total := 0.0
	for _, x := range w {
		total += x
	}
	u := rng.Float64() * total
	last := -1
	for i, x := range w {
		if x <= 0 {
			continue
		}
		last = i
		if u < x {
			return i
		}
		u -= x
	}
	return last // rounding left u just above the total
}

// Sampler draws watermarked next pieces. It is deterministic for a seed and
// not safe for concurrent use (give each stream its own).
type Sampler struct {
	scheme *Scheme
	rng    *rand.Rand
}

// NewSampler returns a sampler whose randomness is ChaCha8 seeded from seed.
func NewSampler(s *Scheme, seed uint64) *Sampler {
	return &Sampler{scheme: s, rng: NewRand(seed)}
}

// NewRand returns a ChaCha8 generator seeded from a 64-bit seed.
func NewRand(seed uint64) *rand.Rand {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	copy(b[8:], "forensics-sampler-seed-v1")
	return rand.New(rand.NewChaCha8(b))
}

// Sample tilts the candidates and draws one from q. It returns the index
// (-1 when there are no candidates) and the distributions used.
func (sm *Sampler) Sample(ctx []uint64, cands []Candidate, temperature float64) (int, Tilted) {
	t := sm.scheme.Tilt(ctx, cands, temperature)
	return Draw(t.Q, sm.rng), t
}

// Rand exposes the sampler's generator, for callers (the speculative
// gateway) whose acceptance tests must draw from the same stream.
func (sm *Sampler) Rand() *rand.Rand { return sm.rng }
