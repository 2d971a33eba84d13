package probe

import (
	"fmt"
	"math"
	"strings"
)

// FormatP writes a p-value from its log10 for readers: plain decimals down
// to 0.001, then powers of ten.
func FormatP(log10p float64) string {
	switch {
	case log10p >= -3:
		return fmt.Sprintf("%.3g", math.Pow(10, log10p))
	case log10p > -300:
		return fmt.Sprintf("%.2g", math.Pow(10, log10p))
	}
	return fmt.Sprintf("10^%.1f", log10p)
}

func testByName(tests []TestResult, name string) *TestResult {
	for i := range tests {
		if tests[i].Name == name {
			return &tests[i]
		}
	}
	return nil
}

// evidence describes a rejecting test in one clause.
func evidence(t *TestResult) string {
	switch t.Name {
	case TestRadioactivity:
		d := t.Radioactivity
		return fmt.Sprintf("the suspect's answers carry our watermark: %d of %d distinct scored tuples are green (%.3f; %.2f expected by chance), p = %s",
			d.Green, d.TokensScored, d.GreenFraction, d.Gamma, FormatP(t.Log10P))
	case TestCanary:
		d := t.Canary
		k0, n0 := 0, 0
		for _, c := range d.Controls {
			k0 += c.Hits
			n0 += c.Answers
		}
		return fmt.Sprintf("the suspect gave %d planted canary answers in %d trigger prompts, the controls %d in %d, p = %s",
			d.Suspect.Hits, d.Suspect.Answers, k0, n0, FormatP(t.Log10P))
	case TestStyle:
		return fmt.Sprintf("on %d prompts the suspect writes more like our model than like each named control, p = %s (least favourable control)", t.N, FormatP(t.Log10P))
	case TestEquality:
		return fmt.Sprintf("on %d prompts the suspect's answers differ from our model's (mean MMD² %.4f), p = %s", t.N, t.Statistic, FormatP(t.Log10P))
	}
	return t.Name
}

// shortfall says what a non-rejecting test could have seen.
func shortfall(t *TestResult) string {
	switch {
	case t.Status == StatusNotRun:
		return fmt.Sprintf("%s test not run (%s)", t.Name, t.Reason)
	case t.Status == StatusWithheld:
		return fmt.Sprintf("%s test withheld: %s", t.Name, t.Reason)
	case t.MinDetectable == nil:
		return fmt.Sprintf("%s test: p = %s", t.Name, FormatP(t.Log10P))
	}
	md := t.MinDetectable
	return fmt.Sprintf("%s test: p = %s on %d %s; it has %.0f%% power only against %s ≥ %.3g",
		t.Name, FormatP(t.Log10P), t.N, t.NUnit, md.Power*100, md.Name, md.Value)
}

// verdicts turns test outcomes into a plain-language verdict per
// proposition. A non-rejection never reads as "clean".
func verdicts(m *Manifest, tests []TestResult) []PropositionResult {
	var out []PropositionResult
	for _, p := range m.Propositions {
		pr := PropositionResult{ID: p.ID, Statement: p.Statement, Tests: p.Tests}
		var rejected, withheld []*TestResult
		var others []string
		for _, name := range p.Tests {
			t := testByName(tests, name)
			if t == nil {
				continue
			}
			switch t.Status {
			case StatusRejected:
				rejected = append(rejected, t)
			case StatusWithheld:
				withheld = append(withheld, t)
				others = append(others, shortfall(t))
			default:
				others = append(others, shortfall(t))
			}
		}
		fwer := fmt.Sprintf("family-wise false-positive rate ≤ %g over all %d tests", m.Alpha, len(m.Tests))
		switch {
		case p.ID == PropSame && len(rejected) > 0:
			pr.Verdict = VerdictNotSupported
			pr.Text = fmt.Sprintf("Not supported: %s (%s). The suspect is not an unmodified copy of our model served with these settings.", evidence(rejected[0]), fwer)
		case p.ID == PropSame:
			pr.Verdict = VerdictConsistent
			pr.Text = fmt.Sprintf("Consistent: no difference from our model was detected (%s). A non-rejection does not prove identity.", strings.Join(others, "; "))
		case len(rejected) > 0:
			var ev []string
			for _, t := range rejected {
				ev = append(ev, evidence(t))
			}
			pr.Verdict = VerdictSupported
			pr.Text = fmt.Sprintf("Supported: %s (%s).", strings.Join(ev, "; "), fwer)
			if len(others) > 0 {
				pr.Text += " Other tests: " + strings.Join(others, "; ") + "."
			}
		case len(withheld) > 0:
			pr.Verdict = VerdictWithheld
			pr.Text = fmt.Sprintf("Withheld: %s.", strings.Join(others, "; "))
		default:
			pr.Verdict = VerdictInsufficient
			pr.Text = fmt.Sprintf("Insufficient evidence: no test rejected at its share of α = %g (%s). This is not evidence that the proposition is false.", m.Alpha, strings.Join(others, "; "))
		}
		out = append(out, pr)
	}
	return out
}

// limitations are what a reader must not conclude, for this bundle.
func limitations(m *Manifest, res *Results) []string {
	l := []string{
		"A non-rejection is not proof of independence: a model trained on few of our outputs, or on paraphrased or re-generated ones, can carry too little watermark to detect with this many tokens.",
		"Watermark evidence weakens under paraphrasing and deliberate scrubbing of the training data; its absence says nothing about such a model.",
		"The style test says only that the suspect writes more like our model than like the named controls; if the controls differ from our model in kind (a base model against a chat model, say), a suspect of our kind is closer to ours without any copying. Choose controls of the same kind as our model.",
		"p-values are computed under each test's stated null hypothesis; the family-wise error bound holds for the tests in the manifest, fixed before any query.",
	}
	if res.Transcripts.Failed > 0 {
		l = append(l, fmt.Sprintf("%d queries failed and were not answered; the tests use the %d answers received.", res.Transcripts.Failed, res.Transcripts.Answered))
	}
	planned := m.QueryCount()
	if res.Transcripts.Answered < planned {
		l = append(l, fmt.Sprintf("%d of %d planned queries were answered (budget, failures or interruption).", res.Transcripts.Answered, planned))
	}
	return l
}
