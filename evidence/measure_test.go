package evidence

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sync/errgroup"

	"forensics/canary"
	"forensics/corpora"
	"forensics/internal/measure"
	"forensics/probe"
	"forensics/probe/probetest"
	"forensics/stats"
	"forensics/watermark"
)

// TestMeasureEmbeddedTargets probes three suspects in the simulated world
// (our watermarked service itself, a student distilled from it, and a
// control trained on human text). With FORENSICS_MEASURE=1 it uses the
// full plan (every prompt and trigger of the set, 100 equality prompts,
// 9,999 rounds) and logs the numbers docs/probe.md quotes; without, the plan
// of TestProbeStudentAndVerify (120 prompts, 30 equality prompts, 999
// rounds), seeded alike, under the same assertions. Those hold at the
// small size by what the full run and that test show, not by looking at
// the small run: teacher and student reach p ≤ 1e-6 within their first
// answer at full size (README), 30 equality prompts at 999 rounds already
// show the student "trained" in TestProbeStudentAndVerify, our own
// service's answers never differ from our service's, and a control
// supported at α = 0.01 would be a false accusation the battery bounds at
// 1%.
func TestMeasureEmbeddedTargets(t *testing.T) {
	w := sharedWorld(t)
	plan := probe.Plan{Prompts: 120, EqualityPrompts: 30, Triggers: 40, HammingLength: 32}
	rounds := 999
	if measure.Enabled() {
		plan = probe.Plan{Prompts: len(w.canaries.Prompts), EqualityPrompts: 100, Triggers: len(w.canaries.Triggers), HammingLength: 32}
		rounds = 9999
	}
	teacher := "embedded:reference?plant=1&key=" + w.keyPath
	for _, c := range []struct {
		name, suspect string
		derived       bool
	}{
		{"teacher (our service)", teacher, true},
		{"student (4-gram on harvested answers)", "embedded:" + w.student, true},
		{"control (4-gram on human text)", "embedded:" + w.control, false},
	} {
		controls := []string{"embedded:" + w.control}
		if !c.derived {
			controls = []string{"embedded:" + w.control2} // never one's own control
		}
		s := probetest.Options{
			Targets: probe.Targets{Suspect: c.suspect, Reference: teacher, Controls: controls},
			Plan:    plan,
			Seed:    21, Rounds: rounds, NullKeys: 100, RequestLog: probetest.QuietLog(t),
		}
		res, stats := runProbe(t, t.TempDir(), w.key, w.canaries, s)
		r := probetest.TestNamed(res.Tests, probe.TestRadioactivity)
		t.Logf("== suspect: %s — %d queries, %d completion tokens", c.name, stats.Planned, stats.Tokens)
		for _, tr := range res.Tests {
			t.Logf("   %-13s %-12s N=%-6d log10 p=%9.2f  effect %.4f [%.4f, %.4f]", tr.Name, tr.Status, tr.N, tr.Log10P, tr.Effect.Value, tr.Effect.Lo, tr.Effect.Hi)
		}
		d := r.Radioactivity
		t.Logf("   radioactivity reached p ≤ 1e-6 after %d answers (%d answer tokens); key-swap null: %d keys, KS p = %.3f, empirical p = %.4f",
			d.AnswersTo1e6, d.TokensTo1e6, d.Null.Keys, d.Null.KSP, d.Null.EmpiricalP)
		for _, p := range res.Propositions {
			t.Logf("   %s: %s", p.ID, p.Verdict)
		}
		verdict := map[string]string{}
		for _, p := range res.Propositions {
			verdict[p.ID] = p.Verdict
		}
		if c.derived && (verdict[probe.PropDerived] != probe.VerdictSupported || d.AnswersTo1e6 == 0) {
			t.Errorf("%s: depends on our outputs %s, p ≤ 1e-6 after %d answers", c.name, verdict[probe.PropDerived], d.AnswersTo1e6)
		}
		// Our own service asked as a suspect (here not through a logged
		// gateway: our model and key served elsewhere) is not "trained":
		// its answers do not differ from our service's.
		if relay := c.suspect == teacher; c.derived && (verdict[probe.PropTrained] == probe.VerdictSupported) == relay {
			t.Errorf("%s: trained on our outputs %s", c.name, verdict[probe.PropTrained])
		}
		for _, p := range res.Propositions {
			if !c.derived && p.ID != probe.PropSame && p.Verdict == probe.VerdictSupported {
				t.Errorf("%s: %s falsely supported: %s", c.name, p.ID, p.Text)
			}
		}
	}
}

// nullRun is one probe of a suspect that has nothing to do with our key or
// our outputs: a 4-gram model trained on a random slice of human text, with
// a control trained on another slice of the same size and a fresh key.
func nullRun(t testing.TB, run int, paras []string, cs *canary.Set) *probe.Results {
	dir, err := os.MkdirTemp("", "nullrun-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	keyPath, key := probetest.Key(t, dir, byte(run%250)+1)
	// Distinct keys across runs: vary the secret beyond the first byte.
	k, _ := watermark.NewKeyFromSecret(key.ID, key.Params, [32]byte{byte(run), byte(run >> 8), 77}, key.Created)
	if err := k.WriteFile(keyPath, true); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(run), 99))
	perm := rng.Perm(len(paras))
	slice := func(from int) []string {
		var out []string
		size := 0
		for _, i := range perm[from:] {
			out = append(out, paras[i])
			size += len(paras[i])
			if size > 400_000 {
				break
			}
		}
		return out
	}
	suspect, control := filepath.Join(dir, "s.model"), filepath.Join(dir, "c.model")
	writeStudent(t, slice(0), suspect)
	writeStudent(t, slice(len(paras)/2), control)
	s := probetest.Options{
		Targets: probe.Targets{Suspect: "embedded:" + suspect, Reference: "embedded:reference?plant=1&key=" + keyPath, Controls: []string{"embedded:" + control}},
		Plan:    probe.Plan{Prompts: 100, EqualityPrompts: 30, Triggers: 40, HammingLength: 32},
		Seed:    uint64(run) + 1, Rounds: 999, NullKeys: 100,
	}
	s.NullSeed = fmt.Sprintf("null-run-%d", run) // independent unused keys in every run
	if cs == nil {
		// The secret set of this run's key, as a deployment plants it.
		if cs, err = probe.LoadCanaries(canary.Secret, k); err != nil {
			t.Fatal(err)
		}
	}
	res, _ := runProbe(t, filepath.Join(dir, "b"), k, cs, s)
	return res
}

// TestBatteryFalsePositiveRate runs the whole battery on suspects that
// were not derived from our model, FORENSICS_NULL_RUNS times (default 200
// with FORENSICS_MEASURE=1, else skipped), and checks that the rate of
// false accusations (any derivation proposition supported) stays within
// α, and that the key-swap null's p-values are uniform across all runs.
func TestBatteryFalsePositiveRate(t *testing.T) {
	measure.Require(t, "200 probes of independent suspects, about 4 minutes on 2 cores")
	runs := 200
	var cs *canary.Set // each run's key's secret set
	paras, err := corpora.Paragraphs()
	if err != nil {
		t.Fatal(err)
	}
	results := make([]*probe.Results, runs)
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range runs {
		g.Go(func() error {
			results[i] = nullRun(t, i, paras, cs)
			return nil
		})
	}
	g.Wait() // nullRun fails the test itself
	accused, withheld, equalityRejects := 0, 0, 0
	rejects := map[string]int{}
	ksRejects := 0
	var nullP, realP []float64
	for _, res := range results {
		for _, p := range res.Propositions {
			if p.ID != probe.PropSame && p.Verdict == probe.VerdictSupported {
				accused++
				break
			}
		}
		for _, tr := range res.Tests {
			if tr.Status == probe.StatusRejected {
				rejects[tr.Name]++
			}
			if tr.Status == probe.StatusWithheld {
				withheld++
			}
		}
		r := probetest.TestNamed(res.Tests, probe.TestRadioactivity)
		if !r.Radioactivity.Null.Uniform {
			ksRejects++
		}
		for _, lp := range r.Radioactivity.Null.Log10P {
			nullP = append(nullP, math.Pow(10, lp))
		}
		realP = append(realP, math.Pow(10, r.Log10P))
		if probetest.TestNamed(res.Tests, probe.TestEquality).Status == probe.StatusRejected {
			equalityRejects++
		}
	}
	lo, hi, _ := stats.ClopperPearson(accused, runs, 0.95)
	t.Logf("%d null runs at α = 0.01: %d false accusations (rate %.4f, 95%% CI %.4f–%.4f); rejections by test %v; withheld %d",
		runs, accused, float64(accused)/float64(runs), lo, hi, rejects, withheld)
	t.Logf("key-swap null: KS check rejected uniformity in %d/%d runs (nominal 1%%)", ksRejects, runs)
	for _, a := range []float64{0.1, 0.01} {
		n, m := 0, 0
		for _, p := range nullP {
			if p <= a {
				n++
			}
		}
		for _, p := range realP {
			if p <= a {
				m++
			}
		}
		t.Logf("p ≤ %g: %d of %d null-key scores (%.4f), %d of %d our-key scores of independent suspects (%.4f)", a, n, len(nullP), float64(n)/float64(len(nullP)), m, len(realP), float64(m)/float64(len(realP)))
	}
	t.Logf("equality test (suspect ≠ our model, a true difference) rejected in %d/%d runs", equalityRejects, runs)
	if lo > 0.01 {
		t.Errorf("false accusation rate %d/%d exceeds α = 0.01 beyond sampling error", accused, runs)
	}
}
