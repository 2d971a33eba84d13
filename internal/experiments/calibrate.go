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
	DocPieces int `json:"doc_pieces"` // length of each scored document
	Keys      int `json:"keys"`       // keys each document is scored under
	// HumanDocs, when set, scores only the corpus's first HumanDocs
	// documents (a smaller run; 0: the whole corpus).
	HumanDocs   int          `json:"human_docs,omitempty"`
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
	c := &calibrator{o: o, model: m}
	for _, nullSet := range []func(context.Context) (*NullSet, error){c.humanText, c.unwatermarked, c.keySwap} {
		set, err := nullSet(ctx)
		if err != nil {
			return nil, err
		}
		res.Sets = append(res.Sets, *set)
		progress(fmt.Sprintf("%s: %d scores", set.Name, set.Trials))
	}

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

// calibrator makes the detector's null sets.
type calibrator struct {
	o       CalibrateOptions
	model   *embedded.Model
	prompts []string // the generations' prompts, once made
}

// schemeFor is the key document doc of null set set is scored under the
// j-th time. Every (document, j) pair has its own key, derived from the
// seed: documents share common word pairs, so scoring them all under the
// same few keys would make the trials dependent (a key that happens to make
// "of the" green lowers many documents' p-values at once) and the
// intervals too narrow.
func (c *calibrator) schemeFor(set, doc, j int) (*watermark.Scheme, error) {
	k, err := watermark.NewKeyFromSecret(fmt.Sprintf("calibration-%d-%d-%d", set, doc, j), watermark.DefaultParams(),
		secretOf(c.o.Seed+uint64(set)<<40+uint64(doc)<<8, j), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, fmt.Errorf("calibration key %d-%d-%d: %w", set, doc, j, err)
	}
	return watermark.NewScheme(k), nil
}

// score scores each of null set set's documents under c.o.Keys keys of
// their own.
func (c *calibrator) score(ctx context.Context, set int, docs [][]string) ([]float64, error) {
	return nullScores(ctx, docs, c.o.Keys, func(doc, j int) (*watermark.Scheme, error) { return c.schemeFor(set, doc, j) })
}

// nullScores scores document d under scheme(d, j) for j < keys, the
// scores of d at d·keys+j. It returns every score or an error: a score
// left out must not read as log10 p = 0, a trial without a false positive.
func nullScores(ctx context.Context, docs [][]string, keys int, scheme func(doc, j int) (*watermark.Scheme, error)) ([]float64, error) {
	out := make([]float64, len(docs)*keys)
	err := parallel(ctx, len(docs), func(d int) error {
		for j := range keys {
			s, err := scheme(d, j)
			if err != nil {
				return err
			}
			sc := s.NewScorer(false)
			sc.AddPieces(docs[d])
			out[d*keys+j] = sc.Result(0).Log10P
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scoring null documents: %w", err)
	}
	return out, nil
}

// humanText is the corpus, cut into documents.
func (c *calibrator) humanText(ctx context.Context) (*NullSet, error) {
	paras, err := corpora.Paragraphs()
	if err != nil {
		return nil, err
	}
	corpus := "the public-domain corpus in corpora/ (War and Peace, Opticks)"
	if c.o.HumanDocs > 0 {
		// Tokenizing the whole corpus is most of a small run's time; a
		// text has about 4 bytes a piece.
		paras = leadingParagraphs(paras, 5*c.o.HumanDocs*c.o.DocPieces)
		corpus = "the start of " + corpus
	}
	pieces, err := c.model.Tokenizer().Pieces(strings.Join(paras, "\n"))
	if err != nil {
		return nil, err
	}
	var human [][]string
	for i := 0; i+c.o.DocPieces <= len(pieces) && (c.o.HumanDocs == 0 || len(human) < c.o.HumanDocs); i += c.o.DocPieces {
		human = append(human, pieces[i:i+c.o.DocPieces])
	}
	lp, err := c.score(ctx, 1, human)
	if err != nil {
		return nil, err
	}
	return &NullSet{Name: "human text", Trials: len(lp), Rates: rates(lp),
		Description: fmt.Sprintf("%s cut into %d documents of %d pieces, each scored under %d keys of its own", corpus, len(human), c.o.DocPieces, c.o.Keys)}, nil
}

// leadingParagraphs is the shortest run of paras from the first with at
// least n bytes (all of them if they have fewer).
func leadingParagraphs(paras []string, n int) []string {
	size := 0
	for i, p := range paras {
		if size += len(p) + 1; size >= n {
			return paras[:i+1]
		}
	}
	return paras
}

// generations are the embedded model's answers to the calibration's
// prompts, as pieces, watermarked under s if it is set.
func (c *calibrator) generations(ctx context.Context, s *watermark.Scheme, seed uint64) ([][]string, error) {
	if c.prompts == nil {
		var err error
		if c.prompts, err = harvestPrompts(c.o.Generations); err != nil {
			return nil, err
		}
	}
	texts, err := answers(ctx, c.model, s, c.prompts, c.o.DocPieces, seed)
	if err != nil {
		return nil, err
	}
	return piecesOf(c.model.Tokenizer(), texts)
}

// unwatermarked is generations of the embedded model without a watermark.
func (c *calibrator) unwatermarked(ctx context.Context) (*NullSet, error) {
	docs, err := c.generations(ctx, nil, c.o.Seed<<33)
	if err != nil {
		return nil, err
	}
	lp, err := c.score(ctx, 2, docs)
	if err != nil {
		return nil, err
	}
	return &NullSet{Name: "unwatermarked generations", Trials: len(lp), Rates: rates(lp),
		Description: fmt.Sprintf("%d answers of up to %d pieces from the embedded model without a watermark, each scored under %d keys of its own", len(docs), c.o.DocPieces, c.o.Keys)}, nil
}

// keySwap is generations watermarked under one key, scored under others.
func (c *calibrator) keySwap(ctx context.Context) (*NullSet, error) {
	watermarker, err := c.schemeFor(99, 0, 0)
	if err != nil {
		return nil, err
	}
	docs, err := c.generations(ctx, watermarker, c.o.Seed<<34)
	if err != nil {
		return nil, err
	}
	lp, err := c.score(ctx, 3, docs)
	if err != nil {
		return nil, err
	}
	return &NullSet{Name: "key swap", Trials: len(lp), Rates: rates(lp),
		Description: fmt.Sprintf("%d answers watermarked under one key, each scored under %d other keys of its own", len(docs), c.o.Keys)}, nil
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
	runs := make([][]probe.TestResult, o.ProbeRuns)
	err = parallel(ctx, o.ProbeRuns, func(i int) error {
		tests, err := nullProbe(ctx, o, paras, teacher, i)
		if err != nil {
			return err
		}
		runs[i] = tests
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
		hits, err := falseAccusations(runs, a)
		if err != nil {
			return nil, err
		}
		rt := Rate{Alpha: a, Hits: hits, Trials: o.ProbeRuns, Rate: float64(hits) / float64(o.ProbeRuns)}
		rt.Lo, rt.Hi, _ = stats.ClopperPearson(hits, o.ProbeRuns, 0.95)
		set.Rates = append(set.Rates, rt)
	}
	return set, nil
}

// nullProbe is null probe run i: a fresh key, a suspect and a control
// trained on two random slices of paras, the full battery; it returns the
// tests' results.
func nullProbe(ctx context.Context, o CalibrateOptions, paras []string, teacher *embedded.Model, i int) ([]probe.TestResult, error) {
	dir, err := os.MkdirTemp("", "forensics-calibrate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	key, err := watermark.NewKeyFromSecret(fmt.Sprintf("null-run-%d", i), watermark.DefaultParams(), secretOf(o.Seed+99, i), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, err
	}
	keyPath := filepath.Join(dir, "key.yaml")
	if err := key.WriteFile(keyPath, false); err != nil {
		return nil, err
	}
	cs, err := probe.LoadCanaries(canary.Secret, key) // the run's key's secret set, as a deployment plants it
	if err != nil {
		return nil, err
	}
	suspect, control := filepath.Join(dir, "s.model"), filepath.Join(dir, "c.model")
	if err := trainNullModels(ctx, paras, rand.New(rand.NewPCG(o.Seed, uint64(i))), suspect, control); err != nil {
		return nil, err
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
		return nil, err
	}
	return res.Tests, nil
}

// trainNullModels trains the suspect on about 400 kB of paragraphs in
// rng's order from the first, and the control on as much from the middle
// of that order.
func trainNullModels(ctx context.Context, paras []string, rng *rand.Rand, suspect, control string) error {
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
	for _, x := range []struct {
		path string
		from int
	}{{suspect, 0}, {control, len(paras) / 2}} {
		if err := embedded.TrainFile(ctx, slice(x.from), x.path, "calibration null model"); err != nil {
			return err
		}
	}
	return nil
}

// falseAccusations counts the runs in which weighted Holm at alpha
// rejects a derivation test (any test but the equality one).
func falseAccusations(runs [][]probe.TestResult, alpha float64) (int, error) {
	hits := 0
	for _, tests := range runs {
		lp := make([]float64, len(tests))
		w := make([]float64, len(tests))
		for k, t := range tests {
			w[k] = t.Weight
			if t.Status == probe.StatusNotRejected || t.Status == probe.StatusRejected {
				lp[k] = t.Log10P
			}
		}
		rej, err := stats.WeightedHolm(lp, w, alpha)
		if err != nil {
			return 0, err
		}
		for k, t := range tests {
			if rej[k] && t.Proposition != probe.PropSame {
				hits++
				break
			}
		}
	}
	return hits, nil
}
