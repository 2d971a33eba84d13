package probe

import (
	"fmt"
	"strings"

	"forensics/stats"
)

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
			d.Green, d.TokensScored, d.GreenFraction, d.Gamma, stats.FormatP(t.Log10P))
	case TestCanary:
		d := t.Canary
		k0, n0 := 0, 0
		for _, c := range d.Controls {
			k0 += c.Hits
			n0 += c.Answers
		}
		return fmt.Sprintf("the suspect gave %d planted canary answers in %d trigger prompts, the controls %d in %d, p = %s",
			d.Suspect.Hits, d.Suspect.Answers, k0, n0, stats.FormatP(t.Log10P))
	case TestEquality:
		return fmt.Sprintf("on %d prompts the suspect's answers differ from our model's (mean MMD² %.4f), p = %s", t.N, t.Statistic, stats.FormatP(t.Log10P))
	case TestAttribution:
		var ev []string
		for _, c := range attributedCases(t.Attribution) {
			ev = append(ev, caseEvidence(c))
		}
		if p := t.Attribution.Pooled; p != nil && p.Status == StatusRejected {
			ev = append(ev, pooledEvidence(p))
		}
		return "the suspect's answers carry the watermark of " + strings.Join(ev, "; ")
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
		return fmt.Sprintf("%s test: p = %s", t.Name, stats.FormatP(t.Log10P))
	}
	md := t.MinDetectable
	return fmt.Sprintf("%s test: p = %s on %d %s; it has %.0f%% power only against %s ≥ %.3g",
		t.Name, stats.FormatP(t.Log10P), t.N, t.NUnit, md.Power*100, md.Name, md.Value)
}

// verdicts turns test outcomes into a plain-language verdict per
// proposition. A non-rejection never reads as "clean", and a rejection
// supports only what its null denies: our watermark or planted answers in
// the suspect's text support PropDerived; PropTrained needs, besides,
// that a relay of our service be ruled out (relayExcluded); and nothing
// is supported on answers collected elsewhere unless they answer exactly
// the planned queries, each once (SourceAccount.Exact).
func verdicts(m *Manifest, res *Results) []PropositionResult {
	var inexact, collected []string
	for _, src := range res.Sources {
		if src.Exact {
			collected = append(collected, src.Role)
		} else {
			inexact = append(inexact, src.Role+": "+src.Note)
		}
	}
	var out []PropositionResult
	for _, p := range m.Propositions {
		pr := PropositionResult{ID: p.ID, Statement: p.Statement, Tests: p.Tests}
		o := outcomesOf(res.Tests, p.Tests)
		pr.Verdict, pr.Text = verdictOn(p.ID, m, res, o, inexact)
		if pr.Verdict == VerdictSupported && len(collected) > 0 {
			// Answers nobody here saw being collected: they answer exactly
			// the planned queries, each once, but whoever collected them
			// could have chosen among candidate answers (with the key,
			// the greenest), so the tool cannot vouch for them.
			pr.Verdict = VerdictConditional
			pr.Text = fmt.Sprintf("Supported only if the answers of %s, collected elsewhere, are complete and were not selected (completeness not verified by this tool): %s",
				strings.Join(collected, ", "), strings.TrimPrefix(pr.Text, "Supported: "))
		}
		if (pr.Verdict == VerdictSupported || pr.Verdict == VerdictConditional) && len(o.others) > 0 {
			pr.Text += " Other tests: " + strings.Join(o.others, "; ") + "."
		}
		out = append(out, pr)
	}
	return out
}

// testOutcomes are a proposition's tests by outcome: those that rejected,
// and what each other could have seen (shortfall); withheld is set when
// one of those was withheld.
type testOutcomes struct {
	rejected []*TestResult
	others   []string
	withheld bool
}

func outcomesOf(tests []TestResult, names []string) testOutcomes {
	var o testOutcomes
	for _, name := range names {
		t := testByName(tests, name)
		if t == nil {
			continue
		}
		switch t.Status {
		case StatusRejected:
			o.rejected = append(o.rejected, t)
		case StatusWithheld:
			o.withheld = true
			o.others = append(o.others, shortfall(t))
		default:
			o.others = append(o.others, shortfall(t))
		}
	}
	return o
}

// verdictOn is one proposition's verdict and its text, before the
// conditions of answers collected elsewhere and the other tests are
// added; inexact are the file targets that do not answer exactly the
// planned queries.
func verdictOn(id string, m *Manifest, res *Results, o testOutcomes, inexact []string) (verdict, text string) {
	tests := res.Tests
	fwer := fmt.Sprintf("family-wise false-positive rate ≤ %g over all %d tests", m.Alpha, len(m.Tests))
	var ev []string
	for _, t := range o.rejected {
		ev = append(ev, evidence(t))
	}
	radio := testByName(tests, TestRadioactivity)
	rejected := len(o.rejected) > 0
	switch {
	case id == PropSame:
		return sameVerdict(m, tests)
	case id == PropCase && !(rejected && len(inexact) > 0):
		return caseVerdict(m, tests)
	case rejected && len(inexact) > 0:
		return VerdictWithheld, fmt.Sprintf("Withheld: %s, but answers collected elsewhere do not answer exactly the planned queries, each once (%s). Lines kept after scoring can make unrelated text look watermarked, so these answers cannot support the proposition.",
			strings.Join(ev, "; "), strings.Join(inexact, "; "))
	case rejected && id == PropTrained && radio != nil && radio.Status != StatusRejected:
		// Planted answers alone: a model trained on our outputs gives
		// them, and so does a cache of the answers a harvest received.
		return VerdictWithheld, fmt.Sprintf("Withheld: %s (%s); but our watermark was not shown in its answers to the ordinary prompts, and planted answers alone are also given by a cache of answers harvested from our service; the finding is \"depends on text our service generated\".",
			strings.Join(ev, "; "), fwer)
	case rejected && id == PropTrained && radio == nil:
		return VerdictWithheld, fmt.Sprintf("Withheld: %s (%s); but no radioactivity test was planned, and planted answers alone are also given by a cache of answers harvested from our service.", strings.Join(ev, "; "), fwer)
	case rejected && id == PropTrained:
		if why := relayNotExcluded(res); why != "" {
			return VerdictWithheld, fmt.Sprintf("Withheld: %s (%s); but %s. A model trained on our outputs and a relay of our service (a reseller forwarding our API, with or without changing our answers) both explain that evidence; the finding is \"depends on text our service generated\".",
				strings.Join(ev, "; "), fwer, why)
		}
		return VerdictSupported, fmt.Sprintf("Supported: %s (%s); and the suspect is not a relay of our service: %s. %s (so it is not our model served unchanged).", strings.Join(ev, "; "), fwer, relayLogText(res.RelayLog), upperFirst(answersDiffer(res.Tests)))
	case rejected:
		return VerdictSupported, fmt.Sprintf("Supported: %s (%s). This shows that the suspect's text depends on text our service generated, not how: training on it, relaying our service and copying our text all explain it (see the next proposition).", strings.Join(ev, "; "), fwer)
	case o.withheld:
		return VerdictWithheld, fmt.Sprintf("Withheld: %s.", strings.Join(o.others, "; "))
	}
	return VerdictInsufficient, fmt.Sprintf("Insufficient evidence: no test rejected at its share of α = %g (%s). This is not evidence that the proposition is false.", m.Alpha, strings.Join(o.others, "; "))
}

// relayNotExcluded says why a relay of our service is not ruled out, or
// "" when it is. Only the request log rules it out (relaylog.go): the
// equality test and the relay check rule out a relay that forwards our
// answers unchanged with the probe's settings, but a relay that routes
// some prompts elsewhere, appends to, re-samples or paraphrases our
// answers passes both (issue 14 review: routing half the prompts to
// another model was "trained: supported" in 20 of 20 runs when they
// sufficed). They are still reported, for what they do show.
//
// The log cannot show our model served elsewhere with our key (stolen
// weights and key, or a gateway whose log was not searched), so the
// suspect's answers must also be shown to differ from our service's, by
// either answer-based test.
func relayNotExcluded(res *Results) string {
	if !res.RelayLog.Excludes() {
		why := relayLogText(res.RelayLog)
		if d := answersDiffer(res.Tests); d != "" {
			why += ". " + upperFirst(d) + ": that rules out only a relay forwarding our answers unchanged with the probe's settings"
		}
		return why
	}
	if answersDiffer(res.Tests) == "" {
		return relayLogText(res.RelayLog) + "; but its answers were not shown to differ from our service's (neither the equality test nor the relay check rejected), which our model served elsewhere with our key, or a relay through a gateway whose log was not searched, would explain"
	}
	return ""
}

// answersDiffer states what the answer-based relay tests showed: how the
// suspect's answers differ from our service's ("" if they were not shown
// to).
func answersDiffer(tests []TestResult) string {
	var why []string
	if eq := testByName(tests, TestEquality); eq != nil && eq.Status == StatusRejected {
		why = append(why, fmt.Sprintf("its answers differ from our service's (equality p = %s)", stats.FormatP(eq.Log10P)))
	}
	if radio := testByName(tests, TestRadioactivity); radio != nil && radio.Radioactivity != nil && radio.Radioactivity.Relay != nil && radio.Radioactivity.Relay.Weaker {
		rc := radio.Radioactivity.Relay
		why = append(why, fmt.Sprintf("its answers carry our watermark more weakly than our service's answers to the same prompts (mean green fraction %.3f against %.3f on %d prompts, relay check p = %s)",
			rc.SuspectGreen, rc.ReferenceGreen, rc.Prompts, stats.FormatP(rc.Log10P)))
	}
	return strings.Join(why, ", and ")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// sameVerdict is PropSame's: the equality test, with its power, and the
// watermark's strength against our service's.
func sameVerdict(m *Manifest, tests []TestResult) (string, string) {
	eq := testByName(tests, TestEquality)
	switch {
	case eq == nil:
		return VerdictNotTested, "Not tested: no reference (our service) was asked, so the suspect's answers were not compared with our model's."
	case eq.Status == StatusNotRun:
		return VerdictNotTested, fmt.Sprintf("Not tested: %s.", shortfall(eq))
	case eq.Status == StatusWithheld:
		return VerdictWithheld, fmt.Sprintf("Withheld: %s.", shortfall(eq))
	case eq.Status == StatusRejected:
		return VerdictNotSupported, fmt.Sprintf("Not supported: %s (family-wise false-positive rate ≤ %g over all %d tests). The suspect is not our model served unchanged with these settings.", evidence(eq), m.Alpha, len(m.Tests))
	}
	var rc *RelayCheck
	radio := testByName(tests, TestRadioactivity)
	if radio != nil && radio.Radioactivity != nil {
		rc = radio.Radioactivity.Relay
	}
	if rc != nil && rc.Weaker {
		return VerdictNotSupported, fmt.Sprintf("Not supported: its answers carry our watermark more weakly than our service's answers to the same prompts (mean green fraction %.3f against %.3f on %d prompts, p = %s ≤ %g), which our model served with our key does not do; %s.",
			rc.SuspectGreen, rc.ReferenceGreen, rc.Prompts, stats.FormatP(rc.Log10P), m.Null.RelayAlpha, shortfall(eq))
	}
	if eq.MinDetectable == nil {
		return VerdictInsufficient, fmt.Sprintf("Insufficient evidence: the equality test did not reject and cannot state what it would have detected (%s; %d rounds, smallest p %.2g, share of α %.2g). This is not evidence that the suspect serves our model.",
			shortfall(eq), m.Rounds, 1/float64(m.Rounds+1), eq.AlphaShare)
	}
	text := fmt.Sprintf("Consistent: no difference from our model's answers was detected (%s). A non-rejection does not prove identity: a model that differs by less than that is not told apart.", shortfall(eq))
	if radio != nil && radio.Status == StatusRejected && rc != nil && rc.ReferenceWatermarked {
		text += fmt.Sprintf(" Its answers carry our watermark as strongly as our service's (mean green fraction %.3f against %.3f): it serves text our service generated, as a relay of our service or a copy of our model with our key would.", rc.SuspectGreen, rc.ReferenceGreen)
	}
	return VerdictConsistent, text
}

// caseVerdict is PropCase's: the cases whose key the suspect's answers
// carry, and what the others could not show.
func caseVerdict(m *Manifest, tests []TestResult) (string, string) {
	t := testByName(tests, TestAttribution)
	switch {
	case t == nil:
		return VerdictNotTested, "Not tested: no case of the ledger was named."
	case t.Status == StatusNotRun || t.Attribution == nil:
		return VerdictNotTested, fmt.Sprintf("Not tested: %s.", t.Reason)
	}
	d := t.Attribution
	hyps := fmt.Sprintf("the %d case keys searched", d.Hypotheses)
	if d.Pooled != nil {
		hyps += " and the case keys pooled"
	}
	fwer := fmt.Sprintf("family-wise false-positive rate ≤ %g over all %d tests, %s", m.Alpha, len(m.Tests), hyps)
	att := attributedCases(d)
	withheld := 0
	for _, c := range d.Cases {
		if c.Status == StatusWithheld {
			withheld++
		}
	}
	rest := ""
	if n := d.Hypotheses - len(att); n > 0 {
		rest = fmt.Sprintf(" %d cases were not attributed one by one (%d withheld): no evidence for them singly at this power, which is not evidence that their accounts are uninvolved.", n, withheld)
	}
	pooledRejected := d.Pooled != nil && d.Pooled.Status == StatusRejected
	meaning := "A case key was used only for the case's accounts, from the time each joined the case: the suspect depends on text served to those accounts after that time (by training on it, relaying through those accounts, or copying text they published); it does not say which of a case's accounts."
	switch {
	case len(att) > 0:
		return VerdictSupported, fmt.Sprintf("Supported for %d of %d cases: %s (%s). %s%s", len(att), d.Hypotheses, evidence(t), fwer, meaning, rest)
	case pooledRejected:
		return VerdictSupported, fmt.Sprintf("Supported for the cases pooled, not for any one of them: text served under at least one of these %d case keys reached the suspect; which case is not determined (%s; %s). %s%s", d.Pooled.Keys, pooledEvidence(d.Pooled), fwer, meaning, rest)
	case withheld == d.Hypotheses:
		return VerdictWithheld, fmt.Sprintf("Withheld: every case was withheld (%s).", d.Cases[0].Reason)
	}
	pooledNote := ""
	if p := d.Pooled; p != nil && p.Status != StatusNotRejected {
		pooledNote = fmt.Sprintf(" The pooled hypothesis was %s (%s).", p.Status, p.Reason)
	}
	return VerdictInsufficient, fmt.Sprintf("Insufficient evidence: no case key, singly or pooled, rejected at its share of α (%s; weighted Bonferroni p = %s).%s%s", fwer, stats.FormatP(t.Log10P), pooledNote, rest)
}

// limitations are what a reader must not conclude, for this bundle.
func limitations(m *Manifest, res *Results) []string {
	l := []string{
		"A non-rejection is not proof of independence: a model trained on few of our outputs, or on paraphrased or re-generated ones, can carry too little watermark to detect with this many tokens.",
		"Watermark evidence weakens under paraphrasing and deliberate scrubbing of the training data; its absence says nothing about such a model.",
		"p-values are computed under each test's stated null hypothesis; the family-wise error bound holds for the tests in the manifest, fixed before any query.",
		"Our watermark in a suspect's text shows that the text depends on text generated under our key. A relay of our service shows it as strongly as our own answers; the relay check and the equality test rule out a relay that forwards the probe's questions with the probe's settings, not one that re-samples our service with other settings (a higher temperature weakens the watermark). A relay forwards the probe's prompts to us: search our request log for them over the probe's dates.",
		"Watermark stealing: a party that queries a watermarked model enough can learn much of a green list with a short context (h = 2 here) and then write or train on text that scores as ours without having used our outputs (Jovanović, Staab and Vechev, \"Watermark Stealing in Large Language Models\", ICML 2024). The evidence is therefore strongest together with the request log: who queried us, how much, when.",
		"Learnability: a model trained on watermarked text learns to produce the watermark (Gu, Li, Liang and Hashimoto, \"On the Learnability of Watermarks for Language Models\", ICLR 2024; Sander et al., \"Watermarking Makes Language Models Radioactive\", NeurIPS 2024); how strongly depends on how much of its training data was ours, how it was trained and filtered. This tool does not estimate what share of the suspect's training data came from our outputs: the strength of the signal cannot be turned into a share without a calibration for the suspect's training method, which we do not have.",
		"Paraphrasing or re-generating the training data scrubs much of the watermark (Kirchenbauer et al., \"On the Reliability of Watermarks for Large Language Models\", ICLR 2024); a model trained on scrubbed data can carry too little to detect, and then only the canary test may remain.",
		"The canary test counts only for the secret set derived from our key: a public set's answers can be learned from the set itself. Publishing this bundle publishes the set; a new key gives a new set.",
	}
	if m.Cases != nil {
		l = append(l, "A case names the set of its accounts, not one of them; a case key in the suspect's text shows that text served to that set after the case opened reached the suspect, not which account passed it on. Text served to those accounts before the case opened carries the master key, not the case's.")
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
