// Package experiments measures the toolkit on the embedded model: how much
// watermark survives distillation (students trained on mixes of
// watermarked and clean answers, for several context widths h), and how
// often the detector and the probe battery raise a false alarm on null
// data (calibration). Both are deterministic for a seed and write JSON,
// Markdown and SVG plots.
package experiments

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	"forensics/canary"
	"forensics/corpora"
	"forensics/generate"
	"forensics/llm"
	"forensics/llm/embedded"
	"forensics/probe"
	"forensics/watermark"
)

// DistillOptions size the distillation experiment.
type DistillOptions struct {
	Answers      int       `json:"answers"`       // teacher answers each student is trained on
	AnswerTokens int       `json:"answer_tokens"` // their length cap
	Fractions    []float64 `json:"fractions"`     // share of them watermarked
	Widths       []int     `json:"widths"`        // context widths h
	ProbePrompts int       `json:"probe_prompts"` // canary prompts asked of each student
	ProbeTokens  int       `json:"probe_tokens"`
	Seed         uint64    `json:"seed"`
	// Progress receives one line per finished piece of work.
	Progress func(string) `json:"-"`
}

// DefaultDistill is the experiment as reported in docs/.
func DefaultDistill() DistillOptions {
	return DistillOptions{Answers: 2000, AnswerTokens: 150, Fractions: []float64{1, 0.25, 0.05, 0.01}, Widths: []int{0, 1, 2, 4},
		ProbePrompts: 550, ProbeTokens: 100, Seed: 1}
}

// DistillCell is one student's probe.
type DistillCell struct {
	H             int                `json:"h"`
	Fraction      float64            `json:"fraction"`
	Watermarked   int                `json:"watermarked_answers"`
	Scored        int                `json:"tuples_scored"`
	GreenFraction float64            `json:"green_fraction"`
	Log10P        float64            `json:"log10_p"`
	AnswersTo1e6  int                `json:"answers_to_1e-6"` // 0: not reached
	TokensTo1e6   int                `json:"tokens_to_1e-6"`
	Curve         []probe.CurvePoint `json:"curve"`
}

// DistillResult is the whole experiment.
type DistillResult struct {
	Options DistillOptions `json:"options"`
	Teacher string         `json:"teacher"`
	Cells   []DistillCell  `json:"cells"`
	Seconds float64        `json:"seconds"`
}

// keyFor is the experiment's key for width h, derived from the seed.
func keyFor(seed uint64, h int) (*watermark.Key, error) {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(h))
	secret := sha256.Sum256(append([]byte("forensics-experiment-key\n"), b[:]...))
	p := watermark.DefaultParams()
	p.ContextWidth = h
	return watermark.NewKeyFromSecret(fmt.Sprintf("experiment-h%d", h), p, secret, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
}

// harvestPrompts are openings of held-out corpus paragraphs, repeated in
// order when more are needed: prompts a harvester might send, different
// from the canary set.
func harvestPrompts(n int) ([]string, error) {
	open, err := corpora.Openings(8, 12)
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		out[i] = open[i%len(open)]
	}
	return out, nil
}

// parallel runs f(i) for i < n, as many at once as there are cores. It
// starts no more after the first error, which it returns, or once ctx is
// done (then it returns ctx's error).
func parallel(ctx context.Context, n int, f func(i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return f(i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// answers generates one answer per prompt (watermarked when s is set).
func answers(ctx context.Context, m llm.Model, s *watermark.Scheme, prompts []string, maxTokens int, seed uint64) ([]string, error) {
	out := make([]string, len(prompts))
	err := parallel(ctx, len(prompts), func(i int) error {
		g, err := generate.Run(ctx, m, s, probe.RenderEmbedded(prompts[i]), generate.Options{
			MaxTokens: maxTokens, MinTokens: maxTokens / 2, Temperature: 0.8, TopK: 20, Seed: seed + uint64(i)})
		out[i] = g.Text
		return err
	})
	return out, err
}

// Distill trains a student per (h, fraction) on Answers teacher answers of
// which that fraction is watermarked (the rest are the same teacher's
// unwatermarked answers), probes each with the canary prompts, and records
// the evidence against the number of probe answers and tokens.
func Distill(ctx context.Context, o DistillOptions) (*DistillResult, error) {
	start := time.Now()
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	teacher, err := embedded.Load()
	if err != nil {
		return nil, err
	}
	res := &DistillResult{Options: o, Teacher: teacher.Name()}
	prompts, err := harvestPrompts(o.Answers)
	if err != nil {
		return nil, err
	}
	cs, err := probe.LoadCanaries(canary.Default, nil)
	if err != nil {
		return nil, err
	}
	var probePrompts []string
	for _, p := range cs.Prompts[:min(o.ProbePrompts, len(cs.Prompts))] {
		probePrompts = append(probePrompts, p.Text)
	}
	clean, err := answers(ctx, teacher, nil, prompts, o.AnswerTokens, o.Seed<<32)
	if err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("%d unwatermarked teacher answers", len(clean)))
	for _, h := range o.Widths {
		key, err := keyFor(o.Seed, h)
		if err != nil {
			return nil, err
		}
		scheme := watermark.NewScheme(key)
		wm, err := answers(ctx, teacher, scheme, prompts, o.AnswerTokens, o.Seed<<32)
		if err != nil {
			return nil, err
		}
		for _, f := range o.Fractions {
			n := int(math.Round(f * float64(len(prompts))))
			var texts []string
			for i, p := range prompts {
				a := clean[i]
				if i < n {
					a = wm[i]
				}
				texts = append(texts, probe.RenderEmbedded(p)+a)
			}
			out, err := studentAnswers(ctx, texts, probePrompts, o.ProbeTokens, o.Seed<<32+1<<20)
			if err != nil {
				return nil, err
			}
			r, curve, err := probe.ScoreAnswers(scheme, teacher.Tokenizer(), probePrompts, out)
			if err != nil {
				return nil, err
			}
			c := DistillCell{H: h, Fraction: f, Watermarked: n, Scored: r.TokensScored, GreenFraction: r.GreenFraction, Log10P: r.Log10P, Curve: curve}
			for _, pt := range curve {
				if pt.Log10P <= -6 {
					c.AnswersTo1e6, c.TokensTo1e6 = pt.Answers, pt.Tokens
					break
				}
			}
			res.Cells = append(res.Cells, c)
			progress(fmt.Sprintf("h=%d, %g%% watermarked: log10 p %.1f over %d tuples; p ≤ 1e-6 after %d answers", h, 100*f, r.Log10P, r.TokensScored, c.AnswersTo1e6))
		}
	}
	res.Seconds = math.Round(time.Since(start).Seconds()*10) / 10
	return res, nil
}
