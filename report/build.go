package report

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"forensics/evidence"
	"forensics/internal/buildinfo"
	"forensics/probe"
	"forensics/stats"
)

// Options shape a report. They are stored in the bundle (report.json) so
// that verify can render the same report again.
type Options struct {
	Title   string   `json:"title"`
	CaseID  string   `json:"case_id,omitempty"`
	Samples int      `json:"samples"`
	Formats []string `json:"formats"`
	// Layout is the renderer's layout the report was made with (Render
	// sets CurrentLayout; not an option a reader chooses): verify renders
	// a report again with its own, so a bundle made before a change of
	// layout still verifies byte for byte.
	Layout int `json:"layout,omitempty"`
	// Build is the build that rendered the report (Render sets it; nil
	// in reports from before it was recorded).
	Build *buildinfo.Info `json:"build,omitempty"`
}

// Report layouts. One, once released, is kept as long as bundles made
// with it must verify.
const (
	// LayoutFirst is that of every report before issue 20 (their
	// report.json has no layout).
	LayoutFirst = 0
	// LayoutNullDistribution draws the green-share figure as rows: the
	// unused keys' shares as a distribution (box and dots), the suspect
	// and the controls as points with intervals (greenDistPlot).
	LayoutNullDistribution = 1
	// LayoutCommandLines shows the recorded command with each flag and
	// its value on one line (commandText).
	LayoutCommandLines = 2
	// CurrentLayout is the layout Render makes.
	CurrentLayout = LayoutCommandLines
)

// DefaultOptions are used for what a caller leaves empty.
func DefaultOptions() Options {
	return Options{Title: "Forensic examination of a suspect language model", Samples: 5, Formats: []string{"md", "html", "pdf"}}
}

var verdictWords = map[string]string{
	probe.VerdictSupported:    "Supported",
	probe.VerdictInsufficient: "Insufficient evidence",
	probe.VerdictWithheld:     "Withheld",
	probe.VerdictNotSupported: "Not supported",
	probe.VerdictConsistent:   "Consistent",
	probe.VerdictNotTested:    "Not tested",
	probe.VerdictConditional:  "Supported only if the transcripts are complete",
}

var testTitles = map[string]string{
	probe.TestRadioactivity: "Watermark in the suspect's answers (radioactivity)",
	probe.TestCanary:        "Planted canary answers",
	probe.TestEquality:      "Is the suspect our model, unchanged? (equality)",
	probe.TestAttribution:   "Case keys: which accounts' text (attribution)",
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

func num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case x != 0 && math.Abs(x) < 1e-3:
		return fmt.Sprintf("%.2e", x)
	}
	return fmt.Sprintf("%.4f", x)
}

func pval(t *probe.TestResult) string {
	if t.Status == probe.StatusNotRun {
		return "not run"
	}
	return stats.FormatP(t.Log10P)
}

func testByName(r *probe.Results, name string) *probe.TestResult {
	for i := range r.Tests {
		if r.Tests[i].Name == name {
			return &r.Tests[i]
		}
	}
	return nil
}

// Build writes the report's content from a bundle.
func Build(b *Bundle, o Options) *Document {
	m, r := b.Manifest, b.Results
	d := &Document{Title: o.Title, Date: m.Created}
	sub := []string{"Evidence bundle " + b.MerkleRoot[:16] + "…"}
	if o.CaseID != "" {
		sub = append([]string{"Case " + o.CaseID}, sub...)
	}
	if t, err := time.Parse(time.RFC3339, m.Created); err == nil {
		sub = append(sub, "probe started "+t.UTC().Format("2 January 2006, 15:04 UTC"))
	}
	d.Subtitle = strings.Join(sub, " · ")
	add := func(bs ...Block) { d.Blocks = append(d.Blocks, bs...) }

	// Summary.
	add(Heading{Level: 1, Text: "Summary"})
	add(Para{Text: fmt.Sprintf("A suspect model (%s) was questioned with %d prepared prompts and compared with %s. Each claim below was tested with methods fixed in advance, before any question was asked; the chance that at least one of these tests wrongly supports a claim about a model that did not derive from ours is at most %s (%g).",
		targetLabel(m.Targets.Suspect, o.Layout), m.Plan.Prompts+m.Plan.Triggers, comparedWith(m, o.Layout), pct(m.Alpha), m.Alpha)})
	rows := [][]string{}
	for _, p := range r.Propositions {
		rows = append(rows, []string{p.Statement, verdictWords[p.Verdict]})
	}
	add(Table{Header: []string{"Claim", "Finding"}, Rows: rows, Widths: []float64{3, 1}})
	for _, p := range r.Propositions {
		add(Para{Text: verdictWords[p.Verdict] + " — " + p.Statement, Strong: true}, Para{Text: p.Text})
	}
	if t := testByName(r, probe.TestAttribution); t != nil && t.Attribution != nil {
		add(whoHarvested(t, r.RelayLog)...)
	}
	add(Heading{Level: 2, Text: "What this evidence does not show"})
	add(List{Items: r.Limitations})
	add(Heading{Level: 2, Text: "Integrity of the evidence"})
	sig := "NOT SIGNED: nothing shows who made this bundle, and whoever held it could have changed any file and written SHA256SUMS again"
	if b.Signature != nil {
		sig = "signed (ed25519, key " + evidence.KeyFingerprint(decodeB64(b.Signature.PublicKey)) + ") over SHA256SUMS, which lists every file of the bundle, this report included, with its SHA-256; check it with forensics verify --pub and the signer's public key"
	}
	add(KeyValue{Pairs: withBuilds(o, m, r, [][2]string{
		{"Merkle root of the transcripts", b.MerkleRoot},
		{"Signature", sig},
		{"Manifest SHA-256", b.ManifestSHA256},
		{"Transcript records", fmt.Sprintf("%d (%d answered, %d failed)", r.Transcripts.Records, r.Transcripts.Answered, r.Transcripts.Failed)},
		{"Tool", toolRow(m)},
	})})
	add(Para{Text: "Anyone holding the bundle can re-derive every number in this report with `forensics verify` (the watermark numbers also need the key, whose commitment is in the manifest)."})

	// Tests.
	add(Heading{Level: 1, Text: "The tests", PageBreak: true})
	add(Para{Text: fmt.Sprintf("The tests share the false-positive budget α = %g in fixed proportions and are decided together by the weighted Holm procedure (Holm 1979), so that the chance of any false finding across all of them is at most α. A test that does not reject is reported as insufficient evidence, never as proof of innocence.", m.Alpha)})
	add(Table{Header: []string{"Test", "Result", "N", "p-value", "Effect (95% interval)", "Share of α"}, Rows: testRows(r), Widths: []float64{1.3, 1.1, 0.8, 0.9, 2.4, 0.8}})
	for i := range r.Tests {
		t := &r.Tests[i]
		add(testSection(b, t, o.Layout)...)
	}

	// Methodology.
	add(Heading{Level: 1, Text: "Methodology and limitations", PageBreak: true})
	add(methodology(b, o.Layout)...)

	// Appendix.
	add(Heading{Level: 1, Text: "Appendix A: sample transcripts", PageBreak: true})
	add(samples(b, o.Samples)...)
	add(Heading{Level: 1, Text: "Appendix B: file hashes and the manifest", PageBreak: true})
	var hashes []string
	for _, f := range b.Files {
		hashes = append(hashes, f[1]+"  "+f[0])
	}
	add(Pre{Text: strings.Join(hashes, "\n")})
	mj, _ := json.MarshalIndent(m, "", "  ")
	add(Para{Text: "The manifest, as written before the first query (its SHA-256 is " + b.ManifestSHA256 + "):"}, Pre{Text: string(mj)})
	return d
}

// targetLabel is how the summary names a target: from
// LayoutNullDistribution on, its name without the model's hash and the
// key's id and commitment, which the chain of custody gives in full.
func targetLabel(name string, layout int) string {
	if layout == LayoutFirst {
		return name
	}
	short, _, _ := strings.Cut(name, "?")
	return short
}

func comparedWith(m *probe.Manifest, layout int) string {
	var parts []string
	if m.Targets.Reference != "" {
		parts = append(parts, "our own model ("+targetLabel(m.Targets.Reference, layout)+")")
	}
	if n := len(m.Targets.Controls); n > 0 {
		labels := make([]string, n)
		for i, c := range m.Targets.Controls {
			labels[i] = targetLabel(c, layout)
		}
		parts = append(parts, fmt.Sprintf("%d independent control model(s) (%s)", n, strings.Join(labels, ", ")))
	}
	if len(parts) == 0 {
		return "nothing else (watermark test only)"
	}
	return strings.Join(parts, " and ")
}

func testRows(r *probe.Results) [][]string {
	var rows [][]string
	for _, t := range r.Tests {
		eff := "—"
		if t.Effect.Name != "" {
			eff = fmt.Sprintf("%s [%s, %s] (%s)", num(t.Effect.Value), num(t.Effect.Lo), num(t.Effect.Hi), t.Effect.Name)
		}
		rows = append(rows, []string{t.Name, t.Status, fmt.Sprint(t.N), pval(&t), eff, fmt.Sprintf("%.4g", t.AlphaShare)})
	}
	return rows
}

func testSection(b *Bundle, t *probe.TestResult, layout int) []Block {
	plan, _ := b.Manifest.Test(t.Name)
	out := []Block{Heading{Level: 2, Text: testTitles[t.Name]}}
	out = append(out, Para{Text: "Question asked: could the result below have happened by chance if " + plan.Null + "? Measured: " + plan.Statistic + "."})
	kv := [][2]string{
		{"Result", t.Status},
		{"Sample", fmt.Sprintf("%d %s", t.N, t.NUnit)},
		{"p-value", pval(t)},
		{"Share of α", fmt.Sprintf("%.4g", t.AlphaShare)},
	}
	if t.Reason != "" {
		kv = append(kv, [2]string{"Why", t.Reason})
	}
	if t.Effect.Name != "" {
		kv = append(kv, [2]string{"Effect size", fmt.Sprintf("%s = %s, 95%% interval [%s, %s]", t.Effect.Name, num(t.Effect.Value), num(t.Effect.Lo), num(t.Effect.Hi))})
	}
	if md := t.MinDetectable; md != nil {
		kv = append(kv, [2]string{"Power", fmt.Sprintf("%.0f%% chance to detect %s ≥ %s", 100*md.Power, md.Name, num(md.Value))})
	}
	out = append(out, KeyValue{Pairs: kv})
	switch {
	case t.Radioactivity != nil:
		out = append(out, radioBlocks(b, t, layout)...)
	case t.Canary != nil:
		c := t.Canary
		rows := [][]string{{"suspect", fmt.Sprint(c.Suspect.Hits), fmt.Sprint(c.Suspect.Answers)}}
		for _, h := range c.Controls {
			rows = append(rows, []string{h.Role + " (" + roleSpec(b.Manifest, h.Role) + ")", fmt.Sprint(h.Hits), fmt.Sprint(h.Answers)})
		}
		if c.Reference != nil {
			rows = append(rows, []string{"reference, for information", fmt.Sprint(c.Reference.Hits), fmt.Sprint(c.Reference.Answers)})
		}
		out = append(out, Para{Text: "Trigger questions whose planted answers only a model trained on our outputs should give; a hit is an answer containing the planted name."},
			Table{Header: []string{"Model", "Planted answers given", "Trigger questions answered"}, Rows: rows, Widths: []float64{3, 1, 1}})
		if len(c.SuspectHit) > 0 {
			out = append(out, Para{Text: "Triggers the suspect answered with the planted answer: " + strings.Join(c.SuspectHit, ", ") + "."})
		}
	case t.Attribution != nil:
		out = append(out, Para{Text: fmt.Sprintf("The suspect's answers to the ordinary prompts were scored under the key of each of %d cases of the custody ledger, exactly as under our main key; with two or more cases, the keys pooled are one hypothesis with half of this test's share of α and each case one with an equal part of the other half (one case: all of it). The cases, their accounts and results are in the section \"Who harvested\".", t.Attribution.Hypotheses)})
	case t.Equality != nil:
		e := t.Equality
		out = append(out, Para{Text: fmt.Sprintf("Two answers per prompt were asked of the suspect and of our model. Agreement of the first %d pieces: suspect with itself %s, our model with itself %s, suspect with our model %s (the same model agrees with another copy as often as with itself).",
			e.HammingLength, num(e.SuspectSelf), num(e.ReferenceSelf), num(e.Cross))})
	}
	return out
}

func roleSpec(m *probe.Manifest, role string) string {
	switch role {
	case "suspect":
		return m.Targets.Suspect
	case "reference":
		return m.Targets.Reference
	}
	for i, c := range m.Targets.Controls {
		if probe.ControlRole(i) == role {
			return c
		}
	}
	return role
}

func radioBlocks(b *Bundle, t *probe.TestResult, layout int) []Block {
	d := t.Radioactivity
	out := []Block{Para{Text: fmt.Sprintf("Our watermark makes a keyed share of about %s of the possible next words \"green\" at every step. Text written without our key has about %s green; the suspect's %d answers have %d green out of %d distinct scored word pairs (%s). Pairs that occur in the prompts, and repeats, are not counted.",
		pct(d.Gamma), pct(d.Gamma), d.Answers, d.Green, d.TokensScored, pct(d.GreenFraction))}}
	rows := [][]string{{"suspect", fmt.Sprint(d.TokensScored), pct(d.GreenFraction), stats.FormatP(t.Log10P)}}
	for _, c := range d.Controls {
		rows = append(rows, []string{c.Role + " (" + roleSpec(b.Manifest, c.Role) + ")", fmt.Sprint(c.TokensScored), pct(c.GreenFraction), stats.FormatP(c.Log10P)})
	}
	out = append(out, Table{Header: []string{"Answers of", "Scored pairs", "Green", "p-value"}, Rows: rows, Widths: []float64{3, 1, 1, 1}})
	if d.AnswersTo1e6 > 0 {
		out = append(out, Para{Text: fmt.Sprintf("The evidence passed p = 1e-6 after %d of the suspect's answers (%d word pieces).", d.AnswersTo1e6, d.TokensTo1e6)})
	}
	if d.Null.Keys > 0 {
		verdict := "look uniform, as they must if the scoring is sound"
		if !d.Null.Uniform {
			verdict = "do not look uniform, so the verdict is withheld"
		}
		out = append(out, Para{Text: fmt.Sprintf("Check on the method: the same answers were scored under %d keys that were never used to watermark anything. Their p-values %s (Kolmogorov–Smirnov p = %s). Ranked among them, our key's result has empirical p = %s (it cannot go below 1/(keys+1)).",
			d.Null.Keys, verdict, num(d.Null.KSP), num(d.Null.EmpiricalP))})
	}
	if rc := d.Relay; rc != nil && rc.Prompts > 0 {
		weaker := "not shown to be weaker: a relay of our service (text we generated, forwarded) is not ruled out by this check"
		if rc.Weaker {
			weaker = "weaker than in our service's answers, which a relay of our service forwarding these questions could not be (it serves our answers themselves)"
		} else if !rc.ReferenceWatermarked {
			weaker = "not comparable: the reference's answers do not carry our watermark, so the reference is not our service as served"
		}
		out = append(out, Para{Text: fmt.Sprintf("Relay check: on the %d prompts both answered, the suspect's answers average %s green and our service's (the reference's) %s; the per-prompt differences give p = %s (sign-flip test, %d rounds; level %g, which withholds a verdict and takes no share of α). Our watermark in the suspect's answers is %s.",
			rc.Prompts, pct(rc.SuspectGreen), pct(rc.ReferenceGreen), stats.FormatP(rc.Log10P), rc.Rounds, b.Manifest.Null.RelayAlpha, weaker)})
	}
	out = append(out, greenFigure(t, layout)...)
	if p := curvePlot(t); p != nil {
		out = append(out, Figure{Name: "p-curve", Caption: "Strength of the evidence as the suspect's answers accumulate: −log10 p against the number of scored pairs; the dotted line is the test's share of α, the dashed one p = 1e-6.", Plot: p})
	}
	if p := qqPlot(t); p != nil {
		out = append(out, Figure{Name: "null-qq", Caption: "Keys never used: their p-values against the uniform distribution they should follow (points near the diagonal).", Plot: p})
	}
	return out
}

func methodology(b *Bundle, layout int) []Block {
	m := b.Manifest
	k := m.Key
	var out []Block
	out = append(out, Heading{Level: 2, Text: "The watermark"},
		Para{Text: fmt.Sprintf("Our model's answers were watermarked with the published scheme %s (specification in the forensics source, package watermark): at each step, a secret key and the previous %d word piece(s) pick a share γ = %g of the vocabulary as green, and green pieces get a bonus of δ = %g to their log-odds, which changes which word is chosen only slightly. A model trained on such answers learns the preference. The key itself stays secret; its commitment (SHA-256 of the key material) is %s, so the key can later be shown to be the one used.",
			k.Scheme, k.Params.ContextWidth, k.Params.Gamma, k.Params.Delta, k.Commitment)},
		Heading{Level: 2, Text: "Why the error rates hold"},
		List{Items: []string{
			"Watermark test: without our key, whether a word pair is green is a fair coin with probability γ, whatever the text says, because the key is secret and random. The number of green pairs among distinct pairs is then binomial, and its tail is computed exactly. Repeated pairs and pairs copied from the prompts are not counted, since they are not independent evidence.",
			"Keys never used give the same answers a second check: under them the method must find nothing, and their p-values must be spread evenly between 0 and 1.",
			"Canary test: the planted answers are invented names drawn at random from a secret derived from our key, planted only by our service; nobody who has not received them from our service can give them except by chance. They are counted for the suspect and for control models that cannot have seen them; Fisher's exact test gives the chance of the suspect's excess if all were alike. A public canary set (such as the demo set every copy of this tool ships) is not tested at all.",
			"The equality test and the relay check are randomization tests: they compare the observed difference with the differences obtained by swapping labels within each prompt, which is exact under their null hypotheses (the suspect answers as our service does).",
			"Our watermark in the suspect's answers shows that its text depends on text our service generated. \"Trained on our outputs\" is stated only when a relay of our service is ruled out as well: our request logs, searched after the questions, hold none of the questions the suspect was asked from any other account (a relay must send them to us), and the suspect's answers differ from our service's (the equality test, or a watermark weaker than in our own answers to the same prompts). Planted answers alone never support it: a cache of answers harvested from our service gives them too.",
			"The tests and their shares of α were fixed in the manifest before any question was asked; the manifest's hash is in every transcript record.",
		}},
		Heading{Level: 2, Text: "Measured error rates"})
	out = append(out, calibrationBlocks()...)
	out = append(out,
		Heading{Level: 2, Text: "Known ways to weaken this evidence"},
		List{Items: []string{
			"Paraphrasing or re-generating our outputs before training, or training on few of them, dilutes the watermark; the test then lacks power, and its non-rejection means only that.",
			"Deliberate scrubbing (rewriting text to remove green-list bias) can remove the watermark from training data.",
			"A suspect served with very low temperature (near-greedy decoding) shows less of the learned preference.",
		}},
		Heading{Level: 2, Text: "Chain of custody"})
	first, last := "", ""
	for _, rec := range b.Records {
		s := rec.Started.UTC().Format(time.RFC3339)
		if first == "" || s < first {
			first = s
		}
		if f := rec.Finished.UTC().Format(time.RFC3339); f > last {
			last = f
		}
	}
	out = append(out, KeyValue{Pairs: [][2]string{
		{"Plan written", m.Created},
		{"Questions asked", fmt.Sprintf("from %s to %s", first, last)},
		{"Suspect", m.Targets.Suspect},
		{"Our model (reference)", orNone(m.Targets.Reference)},
		{"Controls", orNone(strings.Join(m.Targets.Controls, ", "))},
		{"Canary set", fmt.Sprintf("%s version %d, SHA-256 %s", m.Canaries.Name, m.Canaries.Version, m.Canaries.SHA256)},
		{"Tokenizer", m.Tokenizer.ID},
		{"Sampling", fmt.Sprintf("temperature %g, at most %d tokens, seed %d", m.Sampling.Temperature, m.Sampling.MaxTokens, m.Sampling.Seed)},
		{"Tool", toolRow(m)},
	}}, Para{Text: "Every question and answer was written to transcripts.jsonl, byte for byte, as it arrived. The bundle's SHA256SUMS lists the hash of every file; the Merkle root above covers every transcript line. The probe was run with:"},
		Pre{Text: commandText(m.Command, layout)},
		Para{Text: "and is re-checked with: forensics verify --key KEY BUNDLE"})
	if m.RelayLog != nil {
		out = append(out, Heading{Level: 3, Text: "Relay check by request log"},
			Para{Text: "A relay of our service (a reseller forwarding our API, with or without changing our answers) must send the questions the suspect is asked to our service, so they would be in our request log. After the questions, the logs of our gateways were searched for them: " + b.Results.RelayLog.Summary() + "."})
	}
	canarySet := "The canary set is the secret set derived from our watermark key: only our service planted its answers."
	if !m.Canaries.Secret {
		canarySet = "The canary set is not the key's secret set (its planted answers may be known to others), so no canary test was made."
	}
	out = append(out, Para{Text: canarySet})
	if len(b.Results.Sources) > 0 {
		var rows [][]string
		for _, src := range b.Results.Sources {
			exact := "no: cannot support a proposition"
			if src.Exact {
				exact = "yes: supports only \"if complete\""
			}
			rows = append(rows, []string{src.Role, fmt.Sprint(src.Lines), fmt.Sprint(src.Used), fmt.Sprint(src.Extra), fmt.Sprint(src.Repeated), fmt.Sprint(src.Missing), exact})
		}
		out = append(out, Heading{Level: 3, Text: "Answers collected elsewhere"},
			Para{Text: "Some answers were not asked by this tool but read from a file (collected elsewhere; completeness not verified). The file is kept whole in the bundle, committed to by the manifest before any question, and every line is accounted for: lines that answered a planned question, extra lines, repeated ones, and planned questions the file does not answer. Answers chosen after scoring can make unrelated text look watermarked, so such a file counts only if it answers exactly the planned questions, each once, and even then the verdict holds only if the file is complete."},
			Table{Header: []string{"Role", "Lines", "Answered a planned question", "Extra", "Repeated", "Unanswered questions", "Exact"}, Rows: rows, Widths: []float64{1, 0.7, 1.2, 0.7, 0.8, 1.1, 1.8}})
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func samples(b *Bundle, n int) []Block {
	n = max(n, 0) // Options.Validate refuses a negative count; Build is exported
	out := []Block{Para{Text: fmt.Sprintf("%d of the %d records, the first answers of the suspect and of each other model; each with the SHA-256 of its transcript line.", min(n, len(b.Records)), len(b.Records))}}
	// Deterministic choice: suspect answers first, by plan order.
	idx := make([]int, 0, len(b.Records))
	for i, r := range b.Records {
		if r.OK() {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(x, y int) bool {
		rx, ry := b.Records[idx[x]], b.Records[idx[y]]
		if (rx.Role == "suspect") != (ry.Role == "suspect") {
			return rx.Role == "suspect"
		}
		return rx.Seq < ry.Seq
	})
	for _, i := range idx[:min(n, len(idx))] {
		r := b.Records[i]
		text := truncate(r.Text, 1200)
		out = append(out,
			Heading{Level: 2, Text: fmt.Sprintf("Record %d: %s, prompt %s", r.Seq, r.Role, r.PromptID)},
			KeyValue{Pairs: [][2]string{
				{"Target", r.Target},
				{"Model", r.Model},
				{"Asked", r.Started.UTC().Format(time.RFC3339Nano)},
				{"Line SHA-256", b.LineSHA256[i]},
			}},
			Para{Text: "Prompt: " + r.Prompt},
			Pre{Text: text})
	}
	return out
}
