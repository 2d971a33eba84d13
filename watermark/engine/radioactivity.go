package engine

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"

	"golang.org/x/sync/errgroup"

	"forensics/stats"
	"forensics/watermark/vllm"
)

// RadioPlan fixes the radioactivity test before any answer is scored.
type RadioPlan struct {
	// Alpha is the level at which the test rejects its null.
	Alpha float64
	// NullKeys is the size of the key-swap null; NullSeed derives its
	// keys (public, so anyone can re-derive them).
	NullKeys int
	NullSeed string
	// KSAlpha withholds the verdict when the null keys' p-values do not
	// look uniform (the scoring is then not calibrated on these answers);
	// ControlAlpha withholds it when a control model scores as
	// watermarked (the effect is not specific to our key).
	KSAlpha, ControlAlpha float64
}

// DefaultRadioPlan is the probe's: α 1e-6, 100 null keys, KS at 0.01,
// controls at 1e-3.
func DefaultRadioPlan(seed string) RadioPlan {
	return RadioPlan{Alpha: 1e-6, NullKeys: 100, NullSeed: seed, KSAlpha: 0.01, ControlAlpha: 1e-3}
}

// Answers are one model's answers to the probe's prompts, as token ids.
type Answers struct {
	Name string
	Docs [][]int64
}

// Radio statuses.
const (
	StatusSupported   = "supported"
	StatusNotRejected = "not rejected"
	StatusWithheld    = "withheld"
)

// Radioactivity is the radioactivity test of an engine scheme: does a
// suspect's text carry our key's watermark, pooled over its answers?
type Radioactivity struct {
	Proposition string `json:"proposition"`
	Null        string `json:"null_hypothesis"`
	Detection
	Answers int `json:"answers"`
	// SkippedPrompt counts tokens left out as copied from a prompt: their
	// (context, token) occurs in a prompt, or they lie in or just after a
	// run of ids a prompt also holds; SkippedRepeat tokens whose context
	// (or, without dedup, tuple) was scored before, in this answer or an
	// earlier one.
	SkippedPrompt int           `json:"skipped_in_prompt"`
	SkippedRepeat int           `json:"skipped_repeat"`
	KeySwap       KeySwap       `json:"key_swap_null"`
	Controls      []ControlRead `json:"controls,omitempty"`
	Status        string        `json:"status"`
	Reason        string        `json:"reason"`
	// Assumptions are what the p-value holds under and no number here can
	// check.
	Assumptions []string `json:"assumptions"`
}

// radioAssumptions are stated with every result.
var radioAssumptions = []string{
	"the answers were not chosen by their score under our key: they are every answer to prompts fixed before asking, each prompt asked once (forensics probe records this with a manifest; answers from elsewhere cannot show it)",
	"a rejection shows that the answers depend on text watermarked with our key, not how: a relay of our service, copying or paraphrasing our text and training on it all explain it",
}

// KeySwap is the same scoring under keys nobody watermarked with.
type KeySwap struct {
	Keys   int       `json:"keys"`
	Seed   string    `json:"seed"`
	Log10P []float64 `json:"log10_p"`
	// KSP is the Kolmogorov–Smirnov p-value of the null keys' (randomized)
	// p-values against Uniform(0,1).
	KSD     float64 `json:"ks_d"`
	KSP     float64 `json:"ks_p"`
	Uniform bool    `json:"uniform"`
	// EmpiricalP is (1 + null keys at least as extreme) / (1 + keys).
	EmpiricalP float64 `json:"empirical_p"`
}

// ControlRead is a control model's answers scored under our key.
type ControlRead struct {
	Name   string  `json:"name"`
	Scored int     `json:"scored"`
	Log10P float64 `json:"log10_p"`
}

// Radioactivity scores a suspect's answers under the key, pooled: the
// tokens are selected as the engine's detector selects them within each
// answer (−1 padding at each answer's start), each context (or tuple,
// without dedup) counts once across all answers, and tuples that occur in
// any prompt are left out (a suspect repeating our prompt is not
// evidence). The same answers under NullKeys keys nobody used, and the
// controls under ours, decide whether the verdict can be stated.
func (d *Detector) Radioactivity(ctx context.Context, plan RadioPlan, prompts [][]int64, suspect Answers, controls []Answers) (Radioactivity, error) {
	if !(plan.Alpha > 0 && plan.Alpha < 1) || plan.NullKeys < 0 || plan.NullKeys > 10000 {
		return Radioactivity{}, fmt.Errorf("radioactivity plan: alpha %v outside (0,1) or null keys %d outside 0..10000", plan.Alpha, plan.NullKeys)
	}
	sel := selectPooled(d.key, prompts, suspect.Docs)
	r := Radioactivity{
		Proposition: fmt.Sprintf("the suspect's answers depend on text watermarked with %s key %s", d.key.Scheme, d.key.ID),
		Null:        "the suspect's answers are independent of our key (its PRF values on the scored tokens are uniform)",
		Detection:   d.scoreSelected(sel), Answers: len(suspect.Docs),
		SkippedPrompt: sel.inPrompt, SkippedRepeat: sel.repeated, Assumptions: radioAssumptions,
	}
	for _, c := range controls {
		cr := d.scoreSelected(selectPooled(d.key, prompts, c.Docs))
		r.Controls = append(r.Controls, ControlRead{Name: c.Name, Scored: cr.Scored, Log10P: cr.Log10P})
	}
	if r.Scored == 0 {
		r.Status, r.Reason = StatusNotRejected, "no answer had a scorable token: nothing was tested"
		return r, nil
	}
	ks, err := d.keySwap(ctx, plan, sel, r.Log10P)
	if err != nil {
		return r, err
	}
	r.KeySwap = ks
	r.Status, r.Reason = decide(plan, r)
	return r, nil
}

// decide states the verdict: withheld when the null keys or a control
// say the scoring is not calibrated on these answers; otherwise the
// p-value against α. A non-rejection is not evidence of independence.
func decide(plan RadioPlan, r Radioactivity) (string, string) {
	if r.KeySwap.Keys > 0 && !r.KeySwap.Uniform {
		return StatusWithheld, fmt.Sprintf("the key-swap null's p-values do not look uniform (KS p = %.3g ≤ %g): the scoring is not calibrated on these answers", r.KeySwap.KSP, plan.KSAlpha)
	}
	for _, c := range r.Controls {
		if c.Scored > 0 && c.Log10P <= math.Log10(plan.ControlAlpha) {
			return StatusWithheld, fmt.Sprintf("control %s also scores as watermarked (log10 p = %.2f ≤ log10 %g): controls must be independent of our key", c.Name, c.Log10P, plan.ControlAlpha)
		}
	}
	if r.Log10P <= math.Log10(plan.Alpha) {
		return StatusSupported, fmt.Sprintf("log10 p = %.2f ≤ log10 α = %.2f, and neither the key-swap null nor the controls show the scoring miscalibrated on these answers. This shows dependence on text watermarked with our key, not how (a relay of our service, copying and training all explain it), and holds only if the answers were not chosen by their score (see assumptions)", r.Log10P, math.Log10(plan.Alpha))
	}
	return StatusNotRejected, fmt.Sprintf("log10 p = %.2f > log10 α = %.2f: these answers show no significant dependence on our key, which is not evidence that the suspect is independent of it (too few tokens, or a weak effect)", r.Log10P, math.Log10(plan.Alpha))
}

// selection is the pooled scored tokens of a set of answers.
type selection struct {
	tokens, inPrompt, repeated int
	scored                     []vllm.Scored
}

// Copy detection: a suspect (or an innocent echo bot) that returns text
// of a prompt carries whatever watermark that text carries, and the
// prompt's own tokenization cannot be trusted to line up with the
// answer's (a different start, a re-wrapped line, a token boundary that
// moved all re-expose the original tuples). So beyond exact tuples, every
// answer token inside a run of at least copyGram ids that also occurs in
// a prompt is left out, gaps of up to w+copySlack tokens between such
// runs are left out with them, and so are the w tokens after a run
// (their contexts hold copied tokens) and the w before it (where the
// copy's first tokens were split differently).
const (
	copyGram  = 3
	copySlack = 2
)

// selectPooled selects the tokens the pooled test scores. Contexts are
// windows of the padded answers (no copy a token), and the sets hold
// 128-bit hashes of contexts and tuples: two distinct ones colliding
// (chance about n²/2^129) would only drop a token, chosen without regard
// to the key, which keeps the test valid.
func selectPooled(k *Key, prompts, docs [][]int64) selection {
	w := k.ContextWidth
	inPrompt := map[[2]uint64]struct{}{}
	grams := map[[2]uint64]struct{}{}
	for _, p := range prompts {
		padded := pad(p, w)
		for i := range p {
			inPrompt[tupleHash(padded[i:i+w], p[i])] = struct{}{}
		}
		for i := 0; i+copyGram <= len(p); i++ {
			grams[contextHash(p[i:i+copyGram])] = struct{}{}
		}
	}
	var sel selection
	seen := map[[2]uint64]struct{}{}
	for _, doc := range docs {
		sel.tokens += len(doc)
		copied := copiedMask(doc, grams, w)
		padded := pad(doc, w)
		for i, tok := range doc {
			ctx := padded[i : i+w : i+w]
			th := tupleHash(ctx, tok)
			if _, ok := inPrompt[th]; ok || copied[i] {
				sel.inPrompt++
				continue
			}
			dk := th
			if k.Dedup {
				dk = contextHash(ctx)
			}
			if _, ok := seen[dk]; ok {
				sel.repeated++
				continue
			}
			seen[dk] = struct{}{}
			sel.scored = append(sel.scored, vllm.Scored{Context: ctx, Token: tok})
		}
	}
	return sel
}

// copiedMask marks the answer's tokens that lie in text copied from a
// prompt (see copyGram); nil when there are no prompts.
func copiedMask(doc []int64, grams map[[2]uint64]struct{}, w int) []bool {
	mask := make([]bool, len(doc))
	if len(grams) == 0 {
		return mask
	}
	for i := 0; i+copyGram <= len(doc); i++ {
		if _, ok := grams[contextHash(doc[i:i+copyGram])]; ok {
			for j := i; j < i+copyGram; j++ {
				mask[j] = true
			}
		}
	}
	// Close short gaps between copied runs, then cover the w tokens
	// before and after each run.
	last := -1
	for i, c := range mask {
		if !c {
			continue
		}
		if last >= 0 && i-last-1 <= w+copySlack {
			for j := last + 1; j < i; j++ {
				mask[j] = true
			}
		}
		last = i
	}
	ends := slices.Clone(mask)
	for i, c := range ends {
		if !c {
			continue
		}
		if i == 0 || !ends[i-1] {
			for j := max(0, i-w); j < i; j++ {
				mask[j] = true
			}
		}
		if i+1 == len(ends) || !ends[i+1] {
			for j := i + 1; j <= i+w && j < len(mask); j++ {
				mask[j] = true
			}
		}
	}
	return mask
}

// pad is the text after w tokens of −1, vLLM's padding.
func pad(ids []int64, w int) []int64 {
	out := make([]int64, w, w+len(ids))
	for i := range out {
		out[i] = -1
	}
	return append(out, ids...)
}

var hashSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func hashWords(tag byte, words []int64, extra int64) [2]uint64 {
	var out [2]uint64
	for j, seed := range hashSeeds {
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteByte(tag)
		var b [8]byte
		for _, x := range words {
			binary.LittleEndian.PutUint64(b[:], uint64(x))
			h.Write(b[:])
		}
		binary.LittleEndian.PutUint64(b[:], uint64(extra))
		h.Write(b[:])
		out[j] = h.Sum64()
	}
	return out
}

func contextHash(ctx []int64) [2]uint64 { return hashWords('c', ctx, int64(len(ctx))) }

func tupleHash(ctx []int64, tok int64) [2]uint64 {
	h := hashWords('t', ctx, tok)
	return h
}

// scoreSelected is the detector's statistic and p-value on a selection.
func (d *Detector) scoreSelected(sel selection) Detection {
	out := d.base(sel.tokens)
	out.Scored = len(sel.scored)
	stat, lp, _ := d.statistic(sel.scored)
	out.Statistic, out.Log10P = stat, lp
	return out
}

// statistic returns the statistic, its exact log10 p-value, and a
// p-value that is exactly uniform under the null (randomized for the
// binomial's ties), for the key-swap null's uniformity check.
func (d *Detector) statistic(scored []vllm.Scored) (stat, log10P float64, uniformP func(v float64) float64) {
	n := len(scored)
	if d.key.Scheme == SchemeRedGreen {
		green := 0
		for _, s := range scored {
			if vllm.Green(d.prf.UniformOf(s.Context, s.Token), d.key.Gamma) {
				green++
			}
		}
		p := vllm.GreenProbability(d.key.Gamma)
		return float64(green), stats.Log10BinomUpperTail(green, n, p), func(v float64) float64 { return stats.BinomRandomizedP(green, n, p, v) }
	}
	score := 0.0
	for _, s := range scored {
		score += vllm.GumbelTerm(d.prf.UniformOf(s.Context, s.Token))
	}
	lp := vllm.GumbelLog10P(n, score)
	return score, lp, func(float64) float64 { return math.Pow(10, lp) }
}

// keySwap scores the selection under the plan's null keys, in parallel.
func (d *Detector) keySwap(ctx context.Context, plan RadioPlan, sel selection, ours float64) (KeySwap, error) {
	nk := plan.NullKeys
	ks := KeySwap{Keys: nk, Seed: plan.NullSeed, Log10P: make([]float64, nk)}
	if nk == 0 {
		return ks, nil
	}
	u := make([]float64, nk)
	var eg errgroup.Group
	eg.SetLimit(runtime.GOMAXPROCS(0))
	for j := range nk {
		eg.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			nd, err := NewDetector(d.key.nullKey(plan.NullSeed, j))
			if err != nil {
				return err
			}
			_, lp, up := nd.statistic(sel.scored)
			ks.Log10P[j] = lp
			u[j] = up(rand.New(rand.NewPCG(seedWord(plan.NullSeed, j), 1)).Float64())
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return ks, err
	}
	res, err := stats.KSUniform(u)
	if err != nil {
		return ks, errors.Join(errors.New("key-swap null"), err)
	}
	ks.KSD, ks.KSP = res.D, res.P
	ks.Uniform = res.P > plan.KSAlpha
	below := 0
	for _, lp := range ks.Log10P {
		if lp <= ours {
			below++
		}
	}
	ks.EmpiricalP = float64(1+below) / float64(1+nk)
	return ks, nil
}

func seedWord(seed string, j int) uint64 {
	d := sha256.Sum256([]byte("forensics-engine-null-u-v1\n" + seed + "\n" + strconv.Itoa(j)))
	return binary.LittleEndian.Uint64(d[:8])
}
