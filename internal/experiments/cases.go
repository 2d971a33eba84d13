package experiments

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"forensics/canary"
	"forensics/llm/embedded"
	"forensics/llm/tokenizer"
	"forensics/probe"
	"forensics/stats"
	"forensics/watermark"
)

// The case-key experiments (issue 16): how much of a student's training
// data must have come after a case opened for the case key to show, and
// how often a case key shows in a student that never saw its text (false
// attribution). The gateway world with two campaigns is casesworld.go.

// CasesOptions size the case-key experiments.
type CasesOptions struct {
	// Power: a student trained on Answers answers of one campaign, of
	// which the share Shares[i] was served after its case opened.
	Answers      int       `json:"answers"`
	AnswerTokens int       `json:"answer_tokens"`
	Shares       []float64 `json:"shares"`
	ProbePrompts int       `json:"probe_prompts"`
	ProbeTokens  int       `json:"probe_tokens"`
	// False attribution: Runs students, each with a fresh master key and
	// Cases case keys derived from it, trained on NullAnswers answers.
	Runs        int     `json:"runs"`
	Cases       int     `json:"cases"`
	NullAnswers int     `json:"null_answers"`
	NullPrompts int     `json:"null_probe_prompts"`
	Alpha       float64 `json:"alpha"`
	// World: the gateway with two campaigns (casesworld.go).
	World WorldOptions `json:"world"`
	Seed  uint64       `json:"seed"`
	// Progress receives one line per finished piece of work.
	Progress func(string) `json:"-"`
}

// DefaultCases is the experiment as reported in docs/experiments/cases.md.
func DefaultCases() CasesOptions {
	return CasesOptions{Answers: 1000, AnswerTokens: 120, Shares: []float64{1, 0.5, 0.25, 0.1, 0.05}, ProbePrompts: 550, ProbeTokens: 200,
		Runs: 500, Cases: 10, NullAnswers: 400, NullPrompts: 200, Alpha: 0.01, World: DefaultWorld(), Seed: 1}
}

// QuickCases is a small version (the unit test's, and --quick).
func QuickCases() CasesOptions {
	o := DefaultCases()
	o.Answers, o.Shares, o.ProbePrompts, o.Runs, o.Cases, o.NullAnswers, o.NullPrompts = 300, []float64{1, 0.25}, 200, 25, 5, 200, 100
	o.World = WorldOptions{Benign: 3, Campaigns: 2, CampaignAccounts: 2, AsksPerPhase: 40, AnswerTokens: 100, Mixes: []float64{1, 0.25}, ProbePrompts: 150, ProbeTokens: 80, NullKeys: 30}
	return o
}

// PowerCell is one student of the power experiment.
type PowerCell struct {
	Share float64 `json:"share_after_opening"`
	// Case and Master are the student's answers scored under the case key
	// and under the master key.
	Case   KeyCurve `json:"case_key"`
	Master KeyCurve `json:"master_key"`
}

// KeyCurve is one key's evidence in a student's probe answers.
type KeyCurve struct {
	Log10P        float64 `json:"log10_p"`
	GreenFraction float64 `json:"green_fraction"`
	Scored        int     `json:"tuples_scored"`
	AnswersTo1e6  int     `json:"answers_to_1e-6"` // 0: not reached
}

// FalseAttribution is the null experiment's outcome.
type FalseAttribution struct {
	Kinds []NullKind `json:"kinds"`
	// Runs with any case key wrongly attributed, over all kinds.
	Runs  int `json:"runs"`
	Wrong int `json:"wrong"`
	// WrongAtShare: at the attribution test's share of α in a probe.
	WrongAtShare    int        `json:"wrong_at_probe_share"`
	IntervalAtShare [2]float64 `json:"rate_at_probe_share_95"`
	Rate            float64    `json:"rate"`
	Interval        [2]float64 `json:"rate_95"`
	// NullP are the case keys' p-values in students that never saw their
	// text: how many, the share at or below 0.01 and 0.001, and the KS
	// test of their randomized versions against uniform.
	NullP      int     `json:"null_p_values"`
	AtMost1e2  float64 `json:"share_le_0.01"`
	AtMost1e3  float64 `json:"share_le_0.001"`
	KSP        float64 `json:"ks_p"`
	MinLog10P  float64 `json:"min_log10_p"`
	TrueFound  int     `json:"true_case_attributed"`
	TrueTested int     `json:"true_case_runs"`
}

// NullKind is one kind of innocent student.
type NullKind struct {
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Runs        int    `json:"runs"`
	Wrong       int    `json:"wrong"`
	// WrongAtShare counts at the attribution test's share of α in a probe
	// (probeShare·α).
	WrongAtShare int `json:"wrong_at_probe_share"`
}

// CasesResult is the whole experiment.
type CasesResult struct {
	Options CasesOptions     `json:"options"`
	Teacher string           `json:"teacher"`
	World   *WorldResult     `json:"world,omitempty"`
	Power   []PowerCell      `json:"power"`
	False   FalseAttribution `json:"false_attribution"`
	Seconds float64          `json:"seconds"`
}

// Cases runs the world, the power and the false-attribution experiments.
func Cases(ctx context.Context, o CasesOptions) (*CasesResult, error) {
	start := time.Now()
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	teacher, err := embedded.Load()
	if err != nil {
		return nil, err
	}
	res := &CasesResult{Options: o, Teacher: teacher.Name()}
	if o.World.Campaigns > 0 {
		if res.World, err = RunWorld(ctx, o.World, teacher, o.Progress); err != nil {
			return nil, fmt.Errorf("world: %w", err)
		}
	}
	probes, err := probePrompts(o.ProbePrompts)
	if err != nil {
		return nil, err
	}
	if res.Power, err = casePower(ctx, o, teacher, probes); err != nil {
		return nil, fmt.Errorf("power: %w", err)
	}
	if res.False, err = falseAttribution(ctx, o, teacher, probes[:min(o.NullPrompts, len(probes))]); err != nil {
		return nil, fmt.Errorf("false attribution: %w", err)
	}
	res.Seconds = math.Round(time.Since(start).Seconds()*10) / 10
	return res, nil
}

// probePrompts are the first n prompts of the public canary set, which
// the probe asks (the harvest prompts are other text).
func probePrompts(n int) ([]string, error) {
	cs, err := probe.LoadCanaries(canary.Default, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range cs.Prompts[:min(n, len(cs.Prompts))] {
		out = append(out, p.Text)
	}
	return out, nil
}

// experimentMaster is the master key of run r, derived from the seed.
func experimentMaster(seed uint64, label string, r int) (*watermark.Key, error) {
	secret := sha256.Sum256(fmt.Appendf(nil, "forensics-case-experiment\n%d\n%s\n%d", seed, label, r))
	return watermark.NewKeyFromSecret(fmt.Sprintf("master-%s-%d", label, r), watermark.DefaultParams(), secret, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
}

// experimentNonce is the nonce of run r's case i.
func experimentNonce(r, i int) string { return fmt.Sprintf("%08x%08x", r, i) }

// experimentLedger is run r's ledger id.
func experimentLedger(r int) string { return fmt.Sprintf("%016x", 0xe0000000+r) }

// caseID is the i-th case id (1-based), as the gateway numbers them.
func caseID(i int) string { return fmt.Sprintf("case-%04d", i) }

// casePower trains one student per share: Answers answers of a campaign,
// the first share of them served under the case key and the rest under
// the master key (before the case opened), and scores its probe answers
// under both keys.
func casePower(ctx context.Context, o CasesOptions, teacher *embedded.Model, probes []string) ([]PowerCell, error) {
	master, err := experimentMaster(o.Seed, "power", 0)
	if err != nil {
		return nil, err
	}
	ck, err := master.DeriveCase(experimentLedger(0), caseID(1), experimentNonce(0, 1))
	if err != nil {
		return nil, err
	}
	prompts, err := harvestPrompts(o.Answers)
	if err != nil {
		return nil, err
	}
	before, err := answers(ctx, teacher, watermark.NewScheme(master), prompts, o.AnswerTokens, o.Seed<<32)
	if err != nil {
		return nil, err
	}
	after, err := answers(ctx, teacher, watermark.NewScheme(ck), prompts, o.AnswerTokens, o.Seed<<32)
	if err != nil {
		return nil, err
	}
	var cells []PowerCell
	for _, share := range o.Shares {
		n := int(math.Round(share * float64(len(prompts))))
		texts := make([]string, len(prompts))
		for i, p := range prompts {
			a := before[i]
			if i < n {
				a = after[i]
			}
			texts[i] = probe.RenderEmbedded(p) + a
		}
		out, err := studentAnswers(ctx, texts, probes, o.ProbeTokens, o.Seed<<32+1<<20)
		if err != nil {
			return nil, err
		}
		c := PowerCell{Share: share}
		if c.Case, err = keyCurve(ck, teacher.Tokenizer(), probes, out); err != nil {
			return nil, err
		}
		if c.Master, err = keyCurve(master, teacher.Tokenizer(), probes, out); err != nil {
			return nil, err
		}
		cells = append(cells, c)
		o.Progress(fmt.Sprintf("power: %g%% after opening: case key log10 p %.1f (1e-6 after %d answers), master key %.1f (after %d)",
			100*share, c.Case.Log10P, c.Case.AnswersTo1e6, c.Master.Log10P, c.Master.AnswersTo1e6))
	}
	return cells, nil
}

// studentAnswers trains a 4-gram student on texts and has it answer the
// probe prompts.
func studentAnswers(ctx context.Context, texts, probes []string, maxTokens int, seed uint64) ([]string, error) {
	art, err := embedded.Train(ctx, texts)
	if err != nil {
		return nil, err
	}
	student, err := embedded.New(art, embedded.DefaultOrder)
	if err != nil {
		return nil, err
	}
	return answers(ctx, student, nil, probes, maxTokens, seed)
}

// keyCurve scores answers under a key as the probe's radioactivity test
// does.
func keyCurve(k *watermark.Key, tk tokenizer.Tokenizer, probes, out []string) (KeyCurve, error) {
	r, curve, err := probe.ScoreAnswers(watermark.NewScheme(k), tk, probes, out)
	if err != nil {
		return KeyCurve{}, err
	}
	c := KeyCurve{Log10P: r.Log10P, GreenFraction: r.GreenFraction, Scored: r.TokensScored}
	for _, pt := range curve {
		if pt.Log10P <= -6 {
			c.AnswersTo1e6 = pt.Answers
			break
		}
	}
	return c, nil
}

// nullKinds are the innocent students of the false-attribution runs, in
// rotation: the student's training text and which case (if any) it
// truly carries.
var nullKinds = []NullKind{
	{Kind: "other-case", Description: "trained on answers served under case-0002's key: every other case key must stay silent (case-0002 is tested too, and its rejection lowers the others' Holm levels, as in the probe)"},
	{Kind: "other-ledger", Description: "trained on answers served under case-0002 of another ledger of the same master key (a second gateway, or a ledger started again, numbering its cases from case-0001 too): no case key of this ledger may show, case-0002 included"},
	{Kind: "unflagged", Description: "trained on answers served under the master key (accounts never flagged): no case key may show"},
	{Kind: "other-provider", Description: "trained on answers watermarked under another provider's unrelated key: no case key may show"},
	{Kind: "unwatermarked", Description: "trained on the same teacher's unwatermarked answers (the same open weights, no key): no case key may show"},
}

// falseAttribution runs o.Runs innocent students, each with a fresh master
// key and o.Cases case keys, and counts runs where Holm at o.Alpha over
// the case keys attributes a case whose text the student never saw.
func falseAttribution(ctx context.Context, o CasesOptions, teacher *embedded.Model, probes []string) (FalseAttribution, error) {
	prompts, err := harvestPrompts(o.NullAnswers * 2)
	if err != nil {
		return FalseAttribution{}, err
	}
	fa := FalseAttribution{Kinds: append([]NullKind(nil), nullKinds...)}
	var nullU []float64
	nullLe2, nullLe3 := 0, 0
	for r := range o.Runs {
		kind := r % len(nullKinds)
		run, err := nullRun(ctx, o, teacher, probes, prompts, r, kind)
		if err != nil {
			return fa, err
		}
		fa.Kinds[kind].Runs++
		if run.wrong {
			fa.Kinds[kind].Wrong++
			fa.Wrong++
		}
		if run.wrongAtShare {
			fa.Kinds[kind].WrongAtShare++
			fa.WrongAtShare++
		}
		if run.trueTested {
			fa.TrueTested++
			if run.trueFound {
				fa.TrueFound++
			}
		}
		for _, lp := range run.nullLog10P {
			nullLe2 += b2i(lp <= -2)
			nullLe3 += b2i(lp <= -3)
			fa.MinLog10P = min(fa.MinLog10P, lp)
		}
		nullU = append(nullU, run.nullU...)
		if (r+1)%20 == 0 {
			o.Progress(fmt.Sprintf("false attribution: %d runs, %d wrong", r+1, fa.Wrong))
		}
	}
	fa.Runs = o.Runs
	fa.NullP = len(nullU)
	if fa.Runs > 0 {
		fa.Rate = float64(fa.Wrong) / float64(fa.Runs)
		lo, hi, err := stats.ClopperPearson(fa.Wrong, fa.Runs, 0.95)
		if err != nil {
			return fa, err
		}
		fa.Interval = [2]float64{lo, hi}
		if lo, hi, err = stats.ClopperPearson(fa.WrongAtShare, fa.Runs, 0.95); err != nil {
			return fa, err
		}
		fa.IntervalAtShare = [2]float64{lo, hi}
	}
	if len(nullU) > 0 {
		fa.AtMost1e2, fa.AtMost1e3 = float64(nullLe2)/float64(len(nullU)), float64(nullLe3)/float64(len(nullU))
		ks, err := stats.KSUniform(nullU)
		if err != nil {
			return fa, err
		}
		fa.KSP = ks.P
	}
	return fa, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nullOutcome is one false-attribution run.
type nullOutcome struct {
	wrong, wrongAtShare   bool
	trueTested, trueFound bool
	pooledRejected        bool
	nullLog10P, nullU     []float64
}

// nullRun trains one innocent student of the given kind under run r's
// fresh master key and tests every case key.
func nullRun(ctx context.Context, o CasesOptions, teacher *embedded.Model, probes, prompts []string, r, kind int) (nullOutcome, error) {
	var out nullOutcome
	master, err := experimentMaster(o.Seed, "null", r)
	if err != nil {
		return out, err
	}
	cases := make([]*watermark.Key, o.Cases)
	for i := range cases {
		if cases[i], err = master.DeriveCase(experimentLedger(r), caseID(i+1), experimentNonce(r, i+1)); err != nil {
			return out, err
		}
	}
	// Each run takes its own slice of harvest prompts and its own seeds.
	off := (r * 37) % max(1, len(prompts)-o.NullAnswers)
	ps := prompts[off : off+o.NullAnswers]
	truth := -1
	var scheme *watermark.Scheme
	switch nullKinds[kind].Kind {
	case "other-case":
		truth = 1
		scheme = watermark.NewScheme(cases[truth])
	case "other-ledger":
		other, err := master.DeriveCase(experimentLedger(r+1_000_000), caseID(2), experimentNonce(r+1_000_000, 2))
		if err != nil {
			return out, err
		}
		scheme = watermark.NewScheme(other)
	case "unflagged":
		scheme = watermark.NewScheme(master)
	case "other-provider":
		other, err := experimentMaster(o.Seed, "other-provider", r)
		if err != nil {
			return out, err
		}
		scheme = watermark.NewScheme(other)
	}
	seed := o.Seed<<40 + uint64(r)<<20
	ans, err := answers(ctx, teacher, scheme, ps, o.AnswerTokens, seed)
	if err != nil {
		return out, err
	}
	texts := make([]string, len(ps))
	for i, p := range ps {
		texts[i] = probe.RenderEmbedded(p) + ans[i]
	}
	sa, err := studentAnswers(ctx, texts, probes, o.ProbeTokens, seed+1<<19)
	if err != nil {
		return out, err
	}
	return decideRun(o, cases, teacher.Tokenizer(), probes, sa, truth, seed)
}

// decideRun scores a student's answers under every case key and decides
// as the probe's attribution test does, its share of α taken whole: the
// keys pooled are one hypothesis with half the weight, each case one with
// an equal part of the other half, weighted Holm at o.Alpha. A run is
// wrong when a case the student never saw is attributed, or the pooled
// hypothesis rejects for a student of no case.
func decideRun(o CasesOptions, cases []*watermark.Key, tk tokenizer.Tokenizer, probes, sa []string, truth int, seed uint64) (nullOutcome, error) {
	var out nullOutcome
	lp := make([]float64, len(cases)+1)
	w := make([]float64, len(cases)+1)
	rng := rand.New(rand.NewPCG(seed, 7))
	green, scored := 0, 0
	for i, k := range cases {
		r, _, err := probe.ScoreAnswers(watermark.NewScheme(k), tk, probes, sa)
		if err != nil {
			return out, err
		}
		lp[i+1], w[i+1] = r.Log10P, 0.5/float64(len(cases))
		green, scored = green+r.Green, scored+r.TokensScored
		if i != truth {
			out.nullLog10P = append(out.nullLog10P, r.Log10P)
			out.nullU = append(out.nullU, stats.BinomRandomizedP(r.Green, r.TokensScored, k.Gamma, rng.Float64()))
		}
	}
	lp[0], w[0] = stats.Log10BinomUpperTail(green, scored, cases[0].Gamma), 0.5
	for _, level := range []float64{o.Alpha, o.Alpha * probeShare} {
		rej, err := stats.WeightedHolm(lp, w, level)
		if err != nil {
			return out, err
		}
		wrong := truth < 0 && rej[0]
		for i, x := range rej[1:] {
			if i == truth && level == o.Alpha {
				out.trueTested, out.trueFound = true, x
			} else if i != truth && x {
				wrong = true
			}
		}
		if level == o.Alpha {
			out.pooledRejected, out.wrong = rej[0], wrong
		} else {
			out.wrongAtShare = wrong
		}
	}
	return out, nil
}

// probeShare is the attribution test's share of α in a probe that plans
// the radioactivity and attribution tests only (0.3 / 0.9); with the
// canary and equality tests it is smaller (0.3 / 1.3).
const probeShare = 0.3 / 0.9
