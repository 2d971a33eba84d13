package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"forensics/canary"
	"forensics/corpora"
	"forensics/evidence"
	"forensics/llm/embedded"
	"forensics/probe"
	"forensics/stats"
	"forensics/watermark"
)

// Alphas are the nominal levels calibration reports.
var Alphas = []float64{1e-2, 1e-3, 1e-4}

// CalibrateOptions size the calibration.
type CalibrateOptions struct {
	DocPieces   int          `json:"doc_pieces"`  // length of each scored document
	Keys        int          `json:"keys"`        // keys each document is scored under
	Generations int          `json:"generations"` // unwatermarked (and key-swap) generations
	ProbeRuns   int          `json:"probe_runs"`  // full probes of suspects not derived from ours
	ProbePrompt int          `json:"probe_prompts"`
	Seed        uint64       `json:"seed"`
	Progress    func(string) `json:"-"`
}

// DefaultCalibrate is the calibration as reported in docs/.
func DefaultCalibrate() CalibrateOptions {
	return CalibrateOptions{DocPieces: 200, Keys: 10, Generations: 1000, ProbeRuns: 200, ProbePrompt: 100, Seed: 1}
}

// Rate is an empirical false-positive rate at one nominal level.
type Rate struct {
	Alpha  float64 `json:"alpha"`
	Hits   int     `json:"hits"`
	Trials int     `json:"trials"`
	Rate   float64 `json:"rate"`
	Lo     float64 `json:"ci95_lo"`
	Hi     float64 `json:"ci95_hi"`
}

// NullSet is one kind of null data and its rates.
type NullSet struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Trials      int    `json:"trials"`
	Rates       []Rate `json:"rates"`
}

// CalibrationResult is the whole calibration.
type CalibrationResult struct {
	Options CalibrateOptions `json:"options"`
	Tool    string           `json:"tool"`
	Sets    []NullSet        `json:"sets"`
	Seconds float64          `json:"seconds"`
}

func rates(log10p []float64) []Rate {
	var out []Rate
	for _, a := range Alphas {
		hits := 0
		for _, lp := range log10p {
			if lp <= math.Log10(a) {
				hits++
			}
		}
		r := Rate{Alpha: a, Hits: hits, Trials: len(log10p)}
		if len(log10p) > 0 {
			r.Rate = float64(hits) / float64(len(log10p))
			r.Lo, r.Hi, _ = stats.ClopperPearson(hits, len(log10p), 0.95)
		}
		out = append(out, r)
	}
	return out
}

// Calibrate measures false-positive rates on null data: the detector on
// human text, on unwatermarked generations and on watermarked text scored
// under other keys; and the whole probe battery on suspects that were not
// derived from our model, at each nominal level in Alphas.
func Calibrate(ctx context.Context, o CalibrateOptions, tool string) (*CalibrationResult, error) {
	start := time.Now()
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	res := &CalibrationResult{Options: o, Tool: tool}
	m, err := embedded.Load()
	if err != nil {
		return nil, err
	}
	tk := m.Tokenizer()
	// Every (document, j) pair is scored under its own key, derived from
	// the seed: documents share common word pairs, so scoring them all
	// under the same few keys would make the trials dependent (a key that
	// happens to make "of the" green lowers many documents' p-values at
	// once) and the intervals below too narrow.
	schemeFor := func(set, doc, j int) *watermark.Scheme {
		k, _ := watermark.NewKeyFromSecret(fmt.Sprintf("calibration-%d-%d-%d", set, doc, j), watermark.DefaultParams(),
			secretOf(o.Seed+uint64(set)<<40+uint64(doc)<<8, j), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		return watermark.NewScheme(k)
	}
	watermarker := schemeFor(99, 0, 0)
	score := func(set int, docs [][]string) []float64 {
		out := make([]float64, len(docs)*o.Keys)
		parallel(ctx, len(docs), func(d int) error {
			for j := range o.Keys {
				sc := schemeFor(set, d, j).NewScorer(false)
				sc.AddPieces(docs[d])
				out[d*o.Keys+j] = sc.Result(0).Log10P
			}
			return nil
		})
		return out
	}

	// Human text: the corpus, cut into documents.
	paras, err := corpora.Paragraphs()
	if err != nil {
		return nil, err
	}
	pieces, err := tk.Pieces(strings.Join(paras, "\n"))
	if err != nil {
		return nil, err
	}
	var human [][]string
	for i := 0; i+o.DocPieces <= len(pieces); i += o.DocPieces {
		human = append(human, pieces[i:i+o.DocPieces])
	}
	lp := score(1, human)
	res.Sets = append(res.Sets, NullSet{Name: "human text", Trials: len(lp), Rates: rates(lp),
		Description: fmt.Sprintf("the public-domain corpus in corpora/ (War and Peace, Opticks) cut into %d documents of %d pieces, each scored under %d keys of its own", len(human), o.DocPieces, o.Keys)})
	progress(fmt.Sprintf("human text: %d scores", len(lp)))

	// Unwatermarked generations of the embedded model.
	prompts, err := harvestPrompts(o.Generations)
	if err != nil {
		return nil, err
	}
	plain, err := answers(ctx, m, nil, prompts, o.DocPieces, o.Seed<<33)
	if err != nil {
		return nil, err
	}
	docs, err := piecesOf(tk, plain)
	if err != nil {
		return nil, err
	}
	lp = score(2, docs)
	res.Sets = append(res.Sets, NullSet{Name: "unwatermarked generations", Trials: len(lp), Rates: rates(lp),
		Description: fmt.Sprintf("%d answers of up to %d pieces from the embedded model without a watermark, each scored under %d keys of its own", len(docs), o.DocPieces, o.Keys)})
	progress(fmt.Sprintf("unwatermarked generations: %d scores", len(lp)))

	// Key swap: watermarked under one key, scored under others.
	wm, err := answers(ctx, m, watermarker, prompts, o.DocPieces, o.Seed<<34)
	if err != nil {
		return nil, err
	}
	docs, err = piecesOf(tk, wm)
	if err != nil {
		return nil, err
	}
	lp = score(3, docs)
	res.Sets = append(res.Sets, NullSet{Name: "key swap", Trials: len(lp), Rates: rates(lp),
		Description: fmt.Sprintf("%d answers watermarked under one key, each scored under %d other keys of its own", len(docs), o.Keys)})
	progress(fmt.Sprintf("key swap: %d scores", len(lp)))

	// The whole probe battery on suspects not derived from our model.
	if o.ProbeRuns > 0 {
		set, err := nullProbes(ctx, o, progress)
		if err != nil {
			return nil, err
		}
		res.Sets = append(res.Sets, *set)
	}
	res.Seconds = math.Round(time.Since(start).Seconds()*10) / 10
	return res, nil
}

func secretOf(seed uint64, j int) [32]byte {
	rng := rand.New(rand.NewPCG(seed, uint64(j)+77))
	var s [32]byte
	for i := range s {
		s[i] = byte(rng.Uint32())
	}
	return s
}

func piecesOf(tk interface {
	Pieces(string) ([]string, error)
}, texts []string) ([][]string, error) {
	var out [][]string
	for _, t := range texts {
		p, err := tk.Pieces(t)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// nullProbes runs the full battery on independent suspects: each a 4-gram
// model trained on a random slice of human text, with a control trained on
// another slice, a fresh key, and the teacher (watermarked, planting
// trigger answers) as the reference. A run is a false accusation at level
// α when weighted Holm at α supports a derivation claim (radioactivity,
// canary; the equality test's rejection is a true difference).
func nullProbes(ctx context.Context, o CalibrateOptions, progress func(string)) (*NullSet, error) {
	paras, err := corpora.Paragraphs()
	if err != nil {
		return nil, err
	}
	teacher, err := embedded.Load()
	if err != nil {
		return nil, err
	}
	type runOut struct {
		tests []probe.TestResult
	}
	outs := make([]runOut, o.ProbeRuns)
	err = parallel(ctx, o.ProbeRuns, func(i int) error {
		dir, err := os.MkdirTemp("", "forensics-calibrate-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		key, err := watermark.NewKeyFromSecret(fmt.Sprintf("null-run-%d", i), watermark.DefaultParams(), secretOf(o.Seed+99, i), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			return err
		}
		keyPath := filepath.Join(dir, "key.yaml")
		if err := key.WriteFile(keyPath, false); err != nil {
			return err
		}
		cs, err := probe.LoadCanaries(canary.Secret, key) // the run's key's secret set, as a deployment plants it
		if err != nil {
			return err
		}
		rng := rand.New(rand.NewPCG(o.Seed, uint64(i)))
		perm := rng.Perm(len(paras))
		slice := func(from int) []string {
			var out []string
			size := 0
			for _, j := range perm[from:] {
				out = append(out, paras[j])
				if size += len(paras[j]); size > 400_000 {
					break
				}
			}
			return out
		}
		suspect, control := filepath.Join(dir, "s.model"), filepath.Join(dir, "c.model")
		for _, x := range []struct {
			path string
			from int
		}{{suspect, 0}, {control, len(paras) / 2}} {
			if err := embedded.TrainFile(ctx, slice(x.from), x.path, "calibration null model"); err != nil {
				return err
			}
		}
		res, _, err := evidence.Probe(ctx, probe.Setup{
			Dir: filepath.Join(dir, "bundle"), Key: key, Tokenizer: teacher.Tokenizer(), Canaries: cs,
			Targets: probe.Targets{Suspect: "embedded:" + suspect, Reference: "embedded:reference?plant=1&key=" + keyPath, Controls: []string{"embedded:" + control}},
			Plan:    probe.Plan{Prompts: o.ProbePrompt, EqualityPrompts: min(30, o.ProbePrompt), Triggers: 40, HammingLength: 32},
			Alpha:   0.01, NullKeys: 100, Rounds: 999,
			Sampling: probe.Sampling{Temperature: 0.8, MaxTokens: 120, Seed: uint64(i) + 1},
			Tool:     "forensics calibrate", Run: probe.RunOptions{Concurrency: 1},
		})
		if err != nil {
			return err
		}
		outs[i] = runOut{tests: res.Tests}
		if (i+1)%20 == 0 {
			progress(fmt.Sprintf("null probes: %d of %d", i+1, o.ProbeRuns))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	set := &NullSet{Name: "probe battery", Trials: o.ProbeRuns,
		Description: fmt.Sprintf("%d full probes (%d prompts, 40 triggers, 100 unused keys) of 4-gram models trained on random slices of human text, each with a control trained on another slice and a fresh key; a false positive is any derivation claim supported (weighted Holm at α)", o.ProbeRuns, o.ProbePrompt)}
	for _, a := range Alphas {
		hits := 0
		for _, r := range outs {
			lp := make([]float64, len(r.tests))
			w := make([]float64, len(r.tests))
			for k, t := range r.tests {
				w[k] = t.Weight
				if t.Status == probe.StatusNotRejected || t.Status == probe.StatusRejected {
					lp[k] = t.Log10P
				}
			}
			rej, err := stats.WeightedHolm(lp, w, a)
			if err != nil {
				return nil, err
			}
			for k, t := range r.tests {
				if rej[k] && t.Proposition != probe.PropSame {
					hits++
					break
				}
			}
		}
		rt := Rate{Alpha: a, Hits: hits, Trials: o.ProbeRuns, Rate: float64(hits) / float64(o.ProbeRuns)}
		rt.Lo, rt.Hi, _ = stats.ClopperPearson(hits, o.ProbeRuns, 0.95)
		set.Rates = append(set.Rates, rt)
	}
	return set, nil
}
