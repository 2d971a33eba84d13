package experiments

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"forensics/stats"
)

// WriteCases writes cases.json and cases.md.
func WriteCases(r *CasesResult, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "cases.json"), r); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "cases.md"), []byte(CasesMarkdown(r)), 0o644)
}

// CasesMarkdown is cases.md.
func CasesMarkdown(r *CasesResult) string {
	var md strings.Builder
	o := r.Options
	fmt.Fprintf(&md, "# Case keys: attribution, power, false attribution\n\nWritten by `forensics experiments cases` (%.0f s, seed %d). Teacher: the embedded model (%s); students are 4-gram models trained on (prompt, answer) texts. Decisions at family-wise α = %g.\n\n", r.Seconds, o.Seed, r.Teacher, o.Alpha)
	if w := r.World; w != nil {
		worldMarkdown(&md, o.World, w)
	}
	fmt.Fprintf(&md, "## Power: answers to p ≤ 1e-6, case key against master key\n\nOne campaign's %d answers (up to %d pieces each); the stated share of them was served after its case opened (under the case key), the rest before (under the master key). Each student answers %d probe prompts (up to %d pieces); the radioactivity scoring (distinct tuples, prompt tuples left out, exact binomial tail) runs under each key as answers accumulate.\n\n", o.Answers, o.AnswerTokens, o.ProbePrompts, o.ProbeTokens)
	md.WriteString("| share after opening | case key: log10 p | answers to 1e-6 | master key: log10 p | answers to 1e-6 |\n|---|---|---|---|---|\n")
	for _, c := range r.Power {
		fmt.Fprintf(&md, "| %g%% | %.1f | %s | %.1f | %s |\n", 100*c.Share, c.Case.Log10P, reached(c.Case.AnswersTo1e6), c.Master.Log10P, reached(c.Master.AnswersTo1e6))
	}
	fa := r.False
	fmt.Fprintf(&md, "\n## False attribution\n\n%d students, each with a fresh master key and %d case keys derived from it (`case-0001`…), trained on %d answers and probed with %d prompts; decided as the probe's attribution test decides, with α = %g taken whole (the probe gives the attribution test only part of α, so this is the stricter setting for a false attribution): the keys pooled are one hypothesis with half the weight, each case one with an equal part of the other half, weighted Holm. A run is wrong when a case whose text the student never saw is attributed, or the pooled hypothesis rejects for a student of no case. Scoring is the probe's (`probe.ScoreAnswers`: distinct tuples, prompt tuples left out, exact binomial tail); the control gate and the key-swap null of the full probe are not applied here (they only withhold).\n\n", fa.Runs, o.Cases, o.NullAnswers, o.NullPrompts, o.Alpha)
	fmt.Fprintf(&md, "| student | runs | wrong at α = %g | wrong at the probe's share, %.4g |\n|---|---|---|---|\n", o.Alpha, o.Alpha*probeShare)
	for _, k := range fa.Kinds {
		fmt.Fprintf(&md, "| %s: %s | %d | %d | %d |\n", k.Kind, k.Description, k.Runs, k.Wrong, k.WrongAtShare)
	}
	fmt.Fprintf(&md, "\nWrong attributions at α = %g: %d of %d runs, rate %.4f, exact 95%% interval [%.4f, %.4f] (Clopper–Pearson); the bound they test is α per run. At the attribution test's share of α in a probe that plans only the radioactivity and attribution tests (%.4g; less with canary and equality tests): %d of %d, exact 95%% interval [%.4f, %.4f]. The true case of the `other-case` students was attributed in %d of %d runs.\n\n",
		o.Alpha, fa.Wrong, fa.Runs, fa.Rate, fa.Interval[0], fa.Interval[1], o.Alpha*probeShare, fa.WrongAtShare, fa.Runs, fa.IntervalAtShare[0], fa.IntervalAtShare[1], fa.TrueFound, fa.TrueTested)
	fmt.Fprintf(&md, "Calibration of the %d p-values of case keys whose text the student never saw: %.4f of them ≤ 0.01 and %.4f ≤ 0.001 (nominal 0.01 and 0.001; binomial p-values are discrete, hence at or below nominal); the smallest was %s; Kolmogorov–Smirnov of their randomized versions against uniform: p = %.3g.\n",
		fa.NullP, fa.AtMost1e2, fa.AtMost1e3, stats.FormatP(fa.MinLog10P), fa.KSP)
	return md.String()
}

func worldMarkdown(md *strings.Builder, o WorldOptions, w *WorldResult) {
	fmt.Fprintf(md, "## The gateway world\n\nThe watermarking gateway in-process with a case ledger; %d benign accounts and two campaigns of %d accounts each ask %d prompts each in each of three phases (`/api/generate`, up to %d pieces, T = 0.8). After phase 1 the operator opens a case for campaign 1's accounts (`POST /admin/cases`), after phase 2 for campaign 2's. Responses in the request log, by the key they were served under:\n\n", o.Benign, o.CampaignAccounts, o.AsksPerPhase, o.AnswerTokens)
	md.WriteString("| key | responses |\n|---|---|\n")
	for _, k := range sortedKeys(w.Served) {
		name := k
		if k == "" {
			name = "master key (no case)"
		}
		fmt.Fprintf(md, "| %s | %d |\n", name, w.Served[k])
	}
	md.WriteString("\n| case | accounts | opened |\n|---|---|---|\n")
	for _, c := range w.Cases {
		fmt.Fprintf(md, "| %s | %s | %s |\n", c.ID, strings.Join(c.AccountNames(), ", "), c.Opened)
	}
	fmt.Fprintf(md, "\nEach student is questioned by the real probe (`evidence.Probe`: %d prompts, up to %d pieces, %d null keys, a control trained on the teacher's unwatermarked answers) with the ledger; α = 0.01 family-wise over all tests and both case keys.\n\n", o.ProbePrompts, o.ProbeTokens, o.NullKeys)
	md.WriteString("| student | trained on | expected | attributed | case log10 p | master key | as expected |\n|---|---|---|---|---|---|---|\n")
	for _, s := range w.Students {
		var lps []string
		for _, lp := range s.CaseLog10P {
			lps = append(lps, fmt.Sprintf("%.1f", lp))
		}
		fmt.Fprintf(md, "| %s | %s | %s | %s | %s | %s (%.1f) | %v |\n", s.Name, s.Description, orNoCase(s.Expect), orNoCase(s.Attributed), strings.Join(lps, " / "), s.Master.Status, s.Master.Log10P, s.Correct)
	}
	md.WriteString("\n")
}

func orNoCase(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

func reached(n int) string {
	if n == 0 {
		return "not reached"
	}
	return fmt.Sprint(n)
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
