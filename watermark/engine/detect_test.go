package engine

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"forensics/watermark/vllm"
)

const testVocab = 50000

// embed writes n token ids with a key's watermark at the given strength:
// at each step a fraction strength of the tokens is chosen by the scheme
// among 8 random candidates (red-green: a green one if any; Gumbel-max:
// the largest uniform, which is Gumbel-max sampling when the candidates
// are equally likely), the rest at random.
func embed(k *Key, n int, strength float64, rng *rand.Rand) []int64 {
	prf := k.NewPRF()
	w := k.ContextWidth
	out := make([]int64, 0, n)
	for len(out) < n {
		ctx := make([]int64, w)
		for i := range w {
			j := len(out) - w + i
			ctx[i] = -1
			if j >= 0 {
				ctx[i] = out[j]
			}
		}
		pick := int64(rng.IntN(testVocab))
		if rng.Float64() < strength {
			best := float32(-1)
			for range 8 {
				c := int64(rng.IntN(testVocab))
				u := prf.UniformOf(ctx, c)
				if k.Scheme == SchemeRedGreen {
					if vllm.Green(u, k.Gamma) {
						pick = c
						break
					}
				} else if u > best {
					best, pick = u, c
				}
			}
		}
		out = append(out, pick)
	}
	return out
}

func randomIDs(n int, rng *rand.Rand) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(rng.IntN(testVocab))
	}
	return out
}

func allKeys(t testing.TB) []*Key {
	var out []*Key
	for _, s := range []string{SchemeRedGreen, SchemeGumbel} {
		for _, p := range []string{PRFPhilox, PRFHMAC} {
			out = append(out, mustKey(t, s, p, "1234567890123"))
		}
	}
	return out
}

func TestDetectIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range allKeys(t) {
		d, err := NewDetector(k)
		if err != nil {
			t.Fatal(err)
		}
		other, _ := NewDetector(mustKey(t, k.Scheme, k.PRF, "99"))
		ids := embed(k, 200, 1, rng)
		r := d.DetectIDs(ids)
		if r.Scored != 200 || r.Log10P > -6 {
			t.Errorf("%v: watermarked text scored %d, log10 p %.2f (want 200, ≤ −6)", k, r.Scored, r.Log10P)
		}
		if o := other.DetectIDs(ids); o.Log10P < -3 {
			t.Errorf("%v: another key finds log10 p %.2f in this key's text", k, o.Log10P)
		}
	}
}

// TestDetectNullCalibrated: on random ids the share of p ≤ 0.05 stays
// within a 99.9% binomial band around 0.05 (bars fixed before running).
func TestDetectNullCalibrated(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, k := range allKeys(t) {
		d, _ := NewDetector(k)
		const docs = 400
		hits := 0
		for range docs {
			if d.DetectIDs(randomIDs(100, rng)).Log10P <= math.Log10(0.05) {
				hits++
			}
		}
		// 0.05·400 = 20, sd 4.36; the band is 20 ± 3.3 sd.
		if hits < 6 || hits > 35 {
			t.Errorf("%v: %d of %d random texts at p ≤ 0.05 (want about 20)", k, hits, docs)
		}
	}
}

type fixedEncoder struct {
	ids []int32
	id  string
}

func (e fixedEncoder) Encode(string) ([]int32, error) { return e.ids, nil }
func (e fixedEncoder) ID() string                     { return e.id }

func TestDetectTextChecksTokenizer(t *testing.T) {
	k := mustKey(t, SchemeGumbel, PRFPhilox, "5")
	k.Tokenizer = "sha256:aaaa"
	d, _ := NewDetector(k)
	if _, err := d.DetectText(fixedEncoder{id: "sha256:bbbb"}, "x"); err == nil || !strings.Contains(err.Error(), "another tokenizer") {
		t.Fatalf("err = %v, want a tokenizer mismatch", err)
	}
	ids := embed(k, 100, 1, rand.New(rand.NewPCG(5, 6)))
	enc := fixedEncoder{id: "sha256:aaaa"}
	for _, id := range ids {
		enc.ids = append(enc.ids, int32(id))
	}
	r, err := d.DetectText(enc, "x")
	if err != nil || r.Log10P > -6 {
		t.Fatalf("DetectText: %+v, %v", r, err)
	}
}

func TestRadioactivity(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	plan := DefaultRadioPlan("test-seed")
	plan.NullKeys = 60
	for _, k := range allKeys(t) {
		d, _ := NewDetector(k)
		var prompts, weak, null, watermarkedControl [][]int64
		for range 30 {
			prompts = append(prompts, randomIDs(20, rng))
			weak = append(weak, embed(k, 60, 0.3, rng))
			null = append(null, randomIDs(60, rng))
			watermarkedControl = append(watermarkedControl, embed(k, 60, 1, rng))
		}
		ctx := context.Background()
		r, err := d.Radioactivity(ctx, plan, prompts, Answers{Name: "suspect", Docs: weak}, []Answers{{Name: "control-0", Docs: null}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != StatusSupported || !r.KeySwap.Uniform {
			t.Errorf("%v: a student with 30%% watermarked tokens: %s (%s), log10 p %.2f", k, r.Status, r.Reason, r.Log10P)
		}
		if r.KeySwap.EmpiricalP != 1.0/61 {
			t.Errorf("%v: ours ranks below %v of the null keys", k, r.KeySwap.EmpiricalP)
		}
		r, _ = d.Radioactivity(ctx, plan, prompts, Answers{Docs: null}, nil)
		if r.Status != StatusNotRejected || !strings.Contains(r.Reason, "not evidence") {
			t.Errorf("%v: an independent suspect: %s (%s)", k, r.Status, r.Reason)
		}
		r, _ = d.Radioactivity(ctx, plan, prompts, Answers{Docs: weak}, []Answers{{Name: "control-0", Docs: watermarkedControl}})
		if r.Status != StatusWithheld {
			t.Errorf("%v: a control carrying our watermark must withhold the verdict, got %s", k, r.Status)
		}
		// A suspect that only echoes watermarked prompts scores nothing.
		r, _ = d.Radioactivity(ctx, plan, watermarkedControl, Answers{Docs: watermarkedControl}, nil)
		if r.Scored != 0 || r.Status != StatusNotRejected || r.SkippedPrompt == 0 {
			t.Errorf("%v: an echo of the prompts: scored %d, %s", k, r.Scored, r.Status)
		}
	}
}

// TestRadioactivityNullRate runs the pooled test on independent suspects
// under many keys: at α = 0.01 the rejections stay within a binomial band
// (bars fixed before running).
func TestRadioactivityNullRate(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	plan := RadioPlan{Alpha: 0.01, NullKeys: 0, KSAlpha: 0.01, ControlAlpha: 1e-3}
	for _, scheme := range []string{SchemeRedGreen, SchemeGumbel} {
		rejected := 0
		const trials = 300
		for i := range trials {
			k := mustKey(t, scheme, PRFPhilox, "1000")
			k.secret.SetUint64(uint64(i) + 1)
			d, _ := NewDetector(k)
			var docs [][]int64
			for range 5 {
				docs = append(docs, randomIDs(40, rng))
			}
			r, err := d.Radioactivity(context.Background(), plan, nil, Answers{Docs: docs}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status == StatusSupported {
				rejected++
			}
		}
		// Expected 3; P(Bin(300, 0.01) ≥ 11) < 1e-3.
		if rejected > 10 {
			t.Errorf("%s: %d of %d independent suspects rejected at α 0.01", scheme, rejected, trials)
		}
	}
}

// TestDetectIDsIsVLLMSelection: with dedup (vLLM's default) the engine
// detector scores exactly the tokens vLLM's detector scores, with the
// same statistic.
func TestDetectIDsIsVLLMSelection(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, k := range allKeys(t) {
		d, _ := NewDetector(k)
		ids := embed(k, 300, 0.5, rng)
		// Repeats, so that dedup has something to do.
		ids = append(ids, ids[:50]...)
		got := d.DetectIDs(ids)
		var want vllm.Detection
		if k.Scheme == SchemeRedGreen {
			want = vllm.DetectRedGreen(k.NewPRF(), ids, k.ContextWidth, k.Gamma, true)
		} else {
			want = vllm.DetectGumbel(k.NewPRF(), ids, k.ContextWidth, true)
		}
		if got.Scored != want.Scored || got.Statistic != want.Score || got.Log10P != want.Log10P {
			t.Errorf("%v: engine %d/%v/%v, vllm %d/%v/%v", k, got.Scored, got.Statistic, got.Log10P, want.Scored, want.Score, want.Log10P)
		}
		if got.Scored >= len(ids) {
			t.Errorf("%v: the repeated contexts were scored again", k)
		}
	}
}

// TestEchoOfPromptIsNotEvidence: an innocent bot that returns our
// watermarked text from its prompt, where the prompt's ids do not line up
// with the answer's (an instruction before the text, a token boundary
// that moved, a re-wrapped line), gives no evidence, alone or pooled
// (a review found each of these "supported" at log10 p −30 to −128 when
// only exact (context, token) tuples of the prompt were left out).
func TestEchoOfPromptIsNotEvidence(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, k := range allKeys(t) {
		d, _ := NewDetector(k)
		cases := map[string]func(w []int64) []int64{
			"instruction then the text": func(w []int64) []int64 { return append([]int64{901, 902, 903}, w...) },
			"first token re-split": func(w []int64) []int64 {
				return append([]int64{901, 902, 777}, w[1:]...)
			},
			"re-wrapped every 8 tokens": func(w []int64) []int64 {
				out := []int64{901, 902}
				for i, id := range w {
					if i > 0 && i%8 == 0 {
						out = append(out, 13) // a newline where the text had a space
						id = int64(rng.IntN(testVocab))
					}
					out = append(out, id)
				}
				return out
			},
		}
		for name, prompt := range cases {
			var prompts, docs [][]int64
			for range 40 {
				w := embed(k, 80, 1, rng)
				prompts, docs = append(prompts, prompt(w)), append(docs, w)
			}
			r := d.DetectPooled(prompts, docs)
			if r.Log10P < -3 {
				t.Errorf("%v, %s: an echo of the prompts scores log10 p %.1f over %d tokens", k, name, r.Log10P, r.Scored)
			}
		}
		// The bot's own words around the echo are still scored.
		w := embed(k, 80, 1, rng)
		own := randomIDs(60, rng)
		r := d.DetectPooled([][]int64{append([]int64{901}, w...)}, [][]int64{append(slices.Clone(own), w...)})
		if r.Scored < 50 {
			t.Errorf("%v: only %d of the bot's 60 own tokens were scored", k, r.Scored)
		}
	}
}
