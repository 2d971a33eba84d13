package probe

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"

	"forensics/canary"
	"forensics/llm/tokenizer"
	"forensics/stats"
	"forensics/watermark"
)

// The test battery: Analyze runs each test the manifest plans
// (radioactivity.go, canary.go, equality.go) on a probe's records, then
// weighted Holm over them (decide) and the verdicts (verdict.go).

// Inputs are everything the battery reads.
type Inputs struct {
	Manifest  *Manifest
	Canaries  *canary.Set
	Records   []Record
	Tokenizer tokenizer.Tokenizer
	// Key is the watermark key; nil skips the radioactivity test (verify
	// without the key), which is then reported as not run.
	Key        *watermark.Key
	MerkleRoot string
	// Recorded are the results stored in a bundle; without the key, the
	// radioactivity test is taken from them as recorded.
	Recorded *Results
	// Sources are the bundle's copies of file targets, by role.
	Sources map[string][]byte
	// RelayLog is the relay check by request log, as stored in the
	// bundle (nil: not planned, or not run yet).
	RelayLog *RelayLogCheck
	// Cases are the ledger's cases the manifest names, in its order, as
	// read from the bundle's ledger copy (nil: no case plan).
	Cases []Case
}

// power is the power minimum detectable effects are stated at.
const power = 0.8

// Analyze runs the test battery. It is deterministic: the same inputs give
// the same Results, whatever order the records arrived in.
func Analyze(ctx context.Context, in Inputs) (*Results, error) {
	m := in.Manifest
	if err := checkInputs(in); err != nil {
		return nil, err
	}
	// Randomisation seeds come from the manifest's own seeds (drawn at
	// random when a probe starts), so that the same seeds give the same
	// numbers wherever the bundle lives.
	a := &analysis{in: in, m: m, queries: m.Queries(in.Canaries), answers: map[string]string{}, seed: fmt.Sprintf("%s/%d", m.Null.Seed, m.Sampling.Seed)}
	res := &Results{
		Format: ResultsFormat, ManifestSHA256: m.SHA256(), Alpha: m.Alpha,
		Correction:  "weighted Holm (Holm 1979, with the manifest's weights): family-wise error ≤ α over all tests",
		Transcripts: a.summarise(),
	}
	for _, ref := range m.Sources {
		ft, err := parseFileTarget(ref.Role, in.Sources[ref.Role])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref.File, err)
		}
		res.Sources = append(res.Sources, ft.account(ref.Role, a.queries))
	}
	res.RelayLog = in.RelayLog
	for _, tp := range m.Tests {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tr, err := a.run(ctx, tp)
		if err != nil {
			return nil, fmt.Errorf("%s test: %w", tp.Name, err)
		}
		res.Tests = append(res.Tests, tr)
		a.done = res.Tests
	}
	if err := decide(res); err != nil {
		return nil, err
	}
	res.Propositions = verdicts(m, res)
	res.Limitations = limitations(m, res)
	return res, nil
}

// checkInputs checks that key, canary set and tokenizer are the ones the
// manifest committed to.
func checkInputs(in Inputs) error {
	m := in.Manifest
	if in.Key != nil && in.Key.Commitment() != m.Key.Commitment {
		return fmt.Errorf("the key %s does not match the manifest's commitment %.16s…", in.Key.ID, m.Key.Commitment)
	}
	if in.Canaries.SHA256 != m.Canaries.SHA256 {
		return fmt.Errorf("canary set sha256 %.16s… is not the manifest's %.16s…", in.Canaries.SHA256, m.Canaries.SHA256)
	}
	if m.Canaries.Secret && in.Key != nil {
		// The set must be the key's own: only then were its answers
		// secret to everyone but us.
		want, err := LoadCanaries(canary.Secret, in.Key)
		if err != nil {
			return err
		}
		if want.SHA256 != in.Canaries.SHA256 {
			return fmt.Errorf("the manifest says the canary set is the key's secret set, but it is not (sha256 %.16s…, the key's %.16s…)", in.Canaries.SHA256, want.SHA256)
		}
	}
	if in.Tokenizer.ID() != m.Tokenizer.ID {
		return fmt.Errorf("tokenizer %s is not the manifest's %s", in.Tokenizer.ID(), m.Tokenizer.ID)
	}
	return nil
}

// analysis is one run of the battery over a probe's records.
type analysis struct {
	in      Inputs
	m       *Manifest
	queries []Query           // the manifest's plan (Manifest.Queries)
	answers map[string]string // query id → answer text
	seed    string
	done    []TestResult // the tests run so far, in plan order
}

// run runs one planned test; its status starts as not rejected, and
// decide may reject it.
func (a *analysis) run(ctx context.Context, tp TestPlan) (TestResult, error) {
	tr := TestResult{Name: tp.Name, Proposition: tp.Proposition, Weight: tp.Weight, AlphaShare: tp.Weight * a.m.Alpha, Status: StatusNotRejected}
	var err error
	switch tp.Name {
	case TestRadioactivity:
		err = a.radioactivity(ctx, &tr)
	case TestCanary:
		err = a.canary(&tr)
	case TestEquality:
		err = a.equality(ctx, &tr)
	case TestAttribution:
		err = a.attribution(ctx, &tr)
	default:
		err = fmt.Errorf("unknown test %q in the manifest", tp.Name)
	}
	return tr, err
}

// summarise counts the records and keeps each query's first answer.
func (a *analysis) summarise() TranscriptSummary {
	s := TranscriptSummary{ByRole: map[string]int{}, MerkleRoot: a.in.MerkleRoot}
	recs := append([]Record(nil), a.in.Records...)
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Seq < recs[j].Seq })
	for _, r := range recs {
		s.Records++
		if !r.OK() {
			s.Failed++
			continue
		}
		if _, dup := a.answers[r.ID]; dup {
			continue // the first answer counts
		}
		a.answers[r.ID] = r.Text
		s.Answered++
		s.ByRole[r.Role]++
		s.Tokens += r.CompletionTokens
	}
	return s
}

func (a *analysis) answer(role, promptID string, repeat int) (string, bool) {
	t, ok := a.answers[role+"/"+promptID+"/"+strconv.Itoa(repeat)]
	return t, ok
}

// subSeed derives a randomization seed from the manifest and a label.
func (a *analysis) subSeed(label string) uint64 {
	d := sha256.Sum256([]byte(a.seed + "\n" + label))
	return binary.LittleEndian.Uint64(d[:])
}

func (a *analysis) prompts() []canary.Prompt {
	ps := a.in.Canaries.Prompts
	return ps[:min(len(ps), a.m.Plan.Prompts)]
}

func (a *analysis) triggers() []canary.Trigger {
	ts := a.in.Canaries.Triggers
	return ts[:min(len(ts), a.m.Plan.Triggers)]
}

func (a *analysis) pieces(text string) ([]string, error) {
	return a.in.Tokenizer.Pieces(watermark.Normalize(text))
}

// decide applies weighted Holm over the tests that ran, each case of the
// attribution test being one hypothesis with an equal part of its weight;
// withheld and not run tests (and cases) count as p = 1, so they can never
// make another test reject.
func decide(res *Results) error {
	type hyp struct{ test, cas int } // cas -1: the test itself; pooledHyp: the attribution test's pooled hypothesis
	var hs []hyp
	var lp, w []float64
	for i, t := range res.Tests {
		if d := t.Attribution; d != nil && len(d.Cases) > 0 {
			caseW := t.Weight / float64(len(d.Cases))
			if p := d.Pooled; p != nil {
				// The pooled hypothesis takes half the test's weight.
				caseW /= 2
				hs = append(hs, hyp{i, pooledHyp})
				w = append(w, t.Weight/2)
				lp = append(lp, ifTestable(t.Status == StatusNotRejected && p.Status == StatusNotRejected, p.Log10P))
			}
			for j, c := range d.Cases {
				hs = append(hs, hyp{i, j})
				w = append(w, caseW)
				lp = append(lp, ifTestable(t.Status == StatusNotRejected && c.Status == StatusNotRejected, c.Log10P))
			}
			continue
		}
		hs = append(hs, hyp{i, -1})
		w = append(w, t.Weight)
		lp = append(lp, ifTestable(t.Status == StatusNotRejected, t.Log10P))
	}
	rej, err := stats.WeightedHolm(lp, w, res.Alpha)
	if err != nil {
		return err
	}
	open := make([]bool, len(res.Tests))
	for i, t := range res.Tests {
		open[i] = t.Status == StatusNotRejected
	}
	for k, h := range hs {
		t := &res.Tests[h.test]
		if !rej[k] || !open[h.test] {
			continue
		}
		switch {
		case h.cas == pooledHyp:
			t.Attribution.Pooled.Status = StatusRejected
		case h.cas >= 0:
			t.Attribution.Cases[h.cas].Status = StatusRejected
		}
		t.Status = StatusRejected // the attribution test rejects when any case does
	}
	return nil
}

const pooledHyp = -2

func ifTestable(ok bool, log10p float64) float64 {
	if ok {
		return log10p
	}
	return 0
}
