package report

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"forensics/canary"
	"forensics/caseledger"
	"forensics/evidence"
	"forensics/internal/reporttools"
	"forensics/llm/embedded"
	"forensics/llm/tokenizer"
	"forensics/probe"
	"forensics/stats"
	"forensics/watermark"
)

// fixtureBundle probes the embedded model served with a key (so the
// watermark test rejects) against an unwatermarked control, with a small
// plan, and seals the bundle.
func fixtureBundle(t *testing.T) (string, *watermark.Key) {
	t.Helper()
	return fixtureBundleOf(t, false, 1)
}

// fixtureBundleOf is fixtureBundle; withCases adds a signed ledger of two
// cases and has the suspect serve text under the second case's key (the
// attribution test rejects for it); controls is the number of controls.
func fixtureBundleOf(t *testing.T, withCases bool, controls int) (string, *watermark.Key) {
	t.Helper()
	dir := t.TempDir()
	key, err := watermark.NewKeyFromSecret("report-test", watermark.DefaultParams(), [32]byte{42}, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "key.yaml")
	if err := key.WriteFile(keyPath, false); err != nil {
		t.Fatal(err)
	}
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	var tf strings.Builder
	if err := tokenizer.Encode(&tf, m.Vocab().File()); err != nil {
		t.Fatal(err)
	}
	cs, err := probe.LoadCanaries(canary.Secret, key)
	if err != nil {
		t.Fatal(err)
	}
	targets := probe.Targets{Suspect: "embedded:reference?plant=1&key=" + keyPath, Reference: "embedded:reference?key=" + keyPath}
	for range controls {
		targets.Controls = append(targets.Controls, "embedded:reference")
	}
	plan := probe.Plan{Prompts: 40, EqualityPrompts: 10, Triggers: 6, HammingLength: 32}
	var cases *probe.CaseSetup
	if withCases {
		cases = fixtureLedger(t, dir, key)
		ck, _ := key.DeriveCase(cases.Plan.Ledger, "case-0002", fmt.Sprintf("%016x", 2))
		ckPath := filepath.Join(dir, "case.yaml")
		if err := ck.WriteFile(ckPath, false); err != nil {
			t.Fatal(err)
		}
		targets.Suspect = "embedded:reference?key=" + ckPath
	}
	tests := probe.PlanTests(targets, plan, cs.Secret, caseCount(cases))
	man := &probe.Manifest{
		Format: probe.ManifestFormat, Tool: "forensics test", Created: "2026-11-20T10:00:00Z", Command: []string{"forensics", "probe", "…"},
		Propositions: probe.PropositionsFor(tests), Alpha: 0.01, Tests: tests, Targets: targets,
		Canaries:  probe.CanaryRef{Name: cs.Name, Version: cs.Version, SHA256: cs.SHA256, File: probe.FileCanaries, Prompts: len(cs.Prompts), Triggers: len(cs.Triggers), Secret: cs.Secret},
		Key:       probe.KeyRef{ID: key.ID, Scheme: watermark.SchemeName, Commitment: key.Commitment(), Params: key.Params},
		Tokenizer: probe.TokenizerRef{ID: m.Tokenizer().ID(), File: probe.FileTokenizer},
		Sampling:  probe.Sampling{Temperature: 0.8, MaxTokens: 80, Seed: 5},
		Plan:      plan, Null: probe.NullPlan{Keys: 50, KSAlpha: 0.01, ControlAlpha: 0.001, RelayAlpha: 0.001, Seed: "fixture"}, Rounds: 199,
		Cases: cases.Planned(),
	}
	bundle := filepath.Join(dir, "bundle")
	man, _, err = probe.Prepare(bundle, man, cs, []byte(tf.String()))
	if err != nil {
		t.Fatal(err)
	}
	if cases != nil {
		if err := os.WriteFile(filepath.Join(bundle, probe.FileLedger), cases.Ledger, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, _, err := probe.OpenStore(filepath.Join(bundle, probe.FileTranscripts), man.SHA256())
	if err != nil {
		t.Fatal(err)
	}
	tgs := map[string]probe.Target{}
	for _, role := range targets.Roles() {
		tg, err := probe.OpenTarget(targets.Of(role), probe.TargetOptions{Canaries: cs})
		if err != nil {
			t.Fatal(err)
		}
		tgs[role] = tg
	}
	if _, err := probe.Run(context.Background(), man, cs, tgs, st, probe.RunOptions{Concurrency: 2}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := evidence.Finish(context.Background(), bundle, key, m.Tokenizer(), nil); err != nil {
		t.Fatal(err)
	}
	return bundle, key
}

func TestReportContentAndDeterminism(t *testing.T) {
	dir, _ := fixtureBundle(t)
	names, err := Render(dir, Options{Title: "Acme v. Example", CaseID: "2026-CV-0417", Samples: 3, Formats: []string{"md", "html", "pdf"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 4 {
		t.Fatalf("files %v", names)
	}
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	radio := testByName(b.Results, probe.TestRadioactivity)
	if radio.Status != probe.StatusRejected {
		t.Fatalf("fixture: radioactivity %s", radio.Status)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	for name, text := range map[string]string{"report.md": string(md), "report.html": string(html)} {
		for _, want := range []string{
			"Acme v. Example", "2026-CV-0417", "Summary", "What this evidence does not show",
			b.MerkleRoot, b.ManifestSHA256, stats.FormatP(radio.Log10P), "Supported", "Withheld", "relay of our service", "Relay check",
			"Methodology and limitations", "Measured error rates", "probe battery", "Chain of custody", "Appendix A: sample transcripts", b.LineSHA256[0][:16],
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
	// Self-contained: no scripts, nothing fetched.
	if regexp.MustCompile(`(?i)<script|src=|href=|@import|url\(`).Match(html) {
		t.Error("report.html refers to something outside itself")
	}
	if n := strings.Count(string(html), "<svg "); n < 3 { // green shares, p-curve, null QQ
		t.Errorf("report.html has %d inline figures, want 3", n)
	}
	// Deterministic: rendering again gives the same bytes.
	before := map[string][]byte{}
	for _, n := range names {
		before[n], _ = os.ReadFile(filepath.Join(dir, n))
	}
	if _, err := Render(dir, Options{Title: "Acme v. Example", CaseID: "2026-CV-0417", Samples: 3, Formats: []string{"md", "html", "pdf"}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		again, _ := os.ReadFile(filepath.Join(dir, n))
		if string(again) != string(before[n]) {
			t.Errorf("%s changed between two renderings", n)
		}
	}
	if !strings.Contains(string(before["report.pdf"]), "/CreationDate (D:20261120100000") {
		t.Error("the PDF's creation date is not the manifest's")
	}
	// verify's report check: clean, then an edited number is caught.
	if detail, err := Check(dir); err != nil {
		t.Errorf("check: %v", err)
	} else if !strings.Contains(detail, "report.pdf") {
		t.Errorf("check detail %q", detail)
	}
	edited := strings.Replace(string(html), stats.FormatP(radio.Log10P), "0.2", 1)
	os.WriteFile(filepath.Join(dir, "report.html"), []byte(edited), 0o644)
	if _, err := Check(dir); err == nil || !strings.Contains(err.Error(), "report.html does not match") {
		t.Errorf("edited report: %v", err)
	}
}

// TestReportPDFText extracts the PDF's text with pdftotext and checks the
// numbers and the Unicode in it.
func TestReportPDFText(t *testing.T) {
	pdftotext := reporttools.Need(t, "pdftotext")
	dir, _ := fixtureBundle(t)
	if _, err := Render(dir, Options{Title: "Case γ: ≤ α — Ünïcödé", Samples: 2, Formats: []string{"pdf"}}, nil); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", filepath.Join(dir, "report.pdf"), "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	b, _ := Load(dir)
	radio := testByName(b.Results, probe.TestRadioactivity)
	for _, want := range []string{
		"Case γ: ≤ α — Ünïcödé", "Summary", "Supported", stats.FormatP(radio.Log10P),
		b.MerkleRoot, "Share of green pairs", "Evidence against the number of scored pairs",
		"green fraction − γ", "Appendix B", "page 1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if pages := strings.Count(text, "\f"); pages < 5 {
		t.Errorf("PDF has %d pages", pages)
	}
}

// TestReportHTMLInChromium opens the HTML of a bundle with three controls
// in headless Chromium, prints it to PDF (layout and print styles run) and
// checks the page's text, and has it dump the DOM it built: the
// green-share figure is there as an inline SVG with its title and every
// row named (suspect, each control, the unused keys) and γ.
func TestReportHTMLInChromium(t *testing.T) {
	chromium := reporttools.Need(t, "chromium")
	pdftotext := reporttools.Need(t, "pdftotext")
	dir, _ := fixtureBundleOf(t, false, 3)
	if _, err := Render(dir, Options{Samples: 2, Formats: []string{"html"}}, nil); err != nil {
		t.Fatal(err)
	}
	printed := filepath.Join(t.TempDir(), "printed.pdf")
	reporttools.Chromium(t, chromium, "--print-to-pdf="+printed, "file://"+filepath.Join(dir, "report.html"))
	out, err := exec.Command(pdftotext, printed, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Summary", "What this evidence does not show", "Share of green pairs", "unused keys (50)", "control-3", "chance level γ", "Appendix A"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the page Chromium printed lacks %q", want)
		}
	}
	dom := reporttools.Chromium(t, chromium, "--dump-dom", "file://"+filepath.Join(dir, "report.html"))
	start := strings.Index(dom, `<figure id="fig-green-fraction">`)
	if start < 0 {
		t.Fatal("the DOM has no green-share figure")
	}
	fig := dom[start:]
	fig = fig[:strings.Index(fig, "</figure>")]
	for _, want := range []string{"<svg", `role="img"`, ">Share of green pairs</text>", "suspect</text>", "control-1</text>", "control-2</text>", "control-3</text>",
		"unused keys (50)</text>", "chance level γ = 0.25</text>", "<figcaption>Share of green pairs, one row each"} {
		if !strings.Contains(fig, want) {
			t.Errorf("the green-share figure in the DOM lacks %q", want)
		}
	}
}

// hostileAnswer is what a hostile suspect answers: terminal escapes, a
// carriage return followed by Markdown block markup, a bidi override, a C1
// control, an entity for one and a fence.
const hostileAnswer = "\x1b]0;pwned\x07\x1b[2J\r# Injected heading\r- injected item\u202egnp.exe\u0085 &#x202e; <b>x</b> ``` end\x7f"

// hostileBundle probes an Ollama-compatible suspect (an httptest server)
// that answers hostileAnswer, and seals the bundle.
func hostileBundle(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/show" {
			w.Write([]byte(`{}`))
			return
		}
		b, _ := json.Marshal(map[string]any{"response": hostileAnswer, "eval_count": 12, "done": true})
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	key, err := watermark.NewKeyFromSecret("hostile-test", watermark.DefaultParams(), [32]byte{7}, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := probe.LoadCanaries(canary.Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	targets := probe.Targets{Suspect: "ollama://" + strings.TrimPrefix(srv.URL, "http://") + "/suspect"}
	plan := probe.Plan{Prompts: 4, HammingLength: 32}
	tests := probe.PlanTests(targets, plan, cs.Secret, 0)
	man := &probe.Manifest{
		Format: probe.ManifestFormat, Tool: "forensics test", Created: "2026-11-20T10:00:00Z", Command: []string{"forensics", "probe", "…"},
		Propositions: probe.PropositionsFor(tests), Alpha: 0.01, Tests: tests, Targets: targets,
		Canaries:  probe.CanaryRef{Name: cs.Name, Version: cs.Version, SHA256: cs.SHA256, File: probe.FileCanaries, Prompts: len(cs.Prompts), Triggers: len(cs.Triggers), Secret: cs.Secret},
		Key:       probe.KeyRef{ID: key.ID, Scheme: watermark.SchemeName, Commitment: key.Commitment(), Params: key.Params},
		Tokenizer: probe.TokenizerRef{ID: m.Tokenizer().ID()},
		Sampling:  probe.Sampling{Temperature: 0.8, MaxTokens: 40, Seed: 5},
		Plan:      plan, Null: probe.NullPlan{KSAlpha: 0.01, ControlAlpha: 0.001, RelayAlpha: 0.001, Seed: "hostile"}, Rounds: 199,
	}
	bundle := filepath.Join(t.TempDir(), "bundle")
	man, _, err = probe.Prepare(bundle, man, cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := probe.OpenStore(filepath.Join(bundle, probe.FileTranscripts), man.SHA256())
	if err != nil {
		t.Fatal(err)
	}
	tg, err := probe.OpenTarget(targets.Suspect, probe.TargetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := probe.Run(context.Background(), man, cs, map[string]probe.Target{"suspect": tg}, st, probe.RunOptions{Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := evidence.Finish(context.Background(), bundle, key, m.Tokenizer(), nil); err != nil {
		t.Fatal(err)
	}
	return bundle
}

// displayUnsafe finds the first character of s that a terminal or viewer
// acts on: a control other than newline and tab, DEL, a C1 control or a
// bidirectional override or isolate.
func displayUnsafe(s string) (rune, bool) {
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return r, true
		}
	}
	return 0, false
}

// TestReportHostileTranscript renders a bundle whose transcripts (and
// title) carry control characters and markup: none of them reaches
// report.html or report.md raw, the Markdown gains no structure, and the
// rendering is still deterministic (verify's report check passes).
func TestReportHostileTranscript(t *testing.T) {
	dir := hostileBundle(t)
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) == 0 || b.Records[0].Text != hostileAnswer {
		t.Fatalf("fixture: the transcript does not hold the hostile answer")
	}
	o := Options{Title: "Case \x1b[8mhidden\r# Title heading\u202e &#x202e;", CaseID: "X\u009b2J \xff", Samples: 2, Formats: []string{"md", "html"}}
	if _, err := Render(dir, o, nil); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	for name, text := range map[string]string{"report.md": string(md), "report.html": string(html)} {
		if r, bad := displayUnsafe(text); bad {
			t.Errorf("%s holds %U", name, r)
		}
		for _, want := range []string{`\x1b]0;pwned\x07\x1b[2J\r# Injected heading`, `\u202egnp.exe\u0085`, `end\x7f`} {
			if !strings.Contains(text, want) {
				t.Errorf("%s does not show %q", name, want)
			}
		}
	}
	// CommonMark ends a line at \n, \r or both.
	for _, line := range strings.FieldsFunc(string(md), func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.HasPrefix(line, "# Injected") || strings.HasPrefix(line, "# Title") || strings.HasPrefix(line, "- injected") {
			t.Errorf("report.md gained structure: %q", line)
		}
	}
	if title, _, _ := strings.Cut(string(md), "\n"); !strings.Contains(title, `\u202e &amp;#x202e;`) {
		t.Error("report.md lets an entity reference through (it would render as U+202E)")
	}
	if strings.Contains(string(html), "<b>x</b>") {
		t.Error("report.html holds markup from the transcript")
	}
	if detail, err := Check(dir); err != nil {
		t.Errorf("re-rendering differs: %v", err)
	} else if !strings.Contains(detail, "report.md") {
		t.Errorf("check detail %q", detail)
	}
}

func caseCount(c *probe.CaseSetup) int {
	if c == nil {
		return 0
	}
	return len(c.Plan.Cases)
}

// fixtureLedger writes a signed case ledger of two cases under key and
// loads it for a probe.
func fixtureLedger(t *testing.T, dir string, key *watermark.Key) *probe.CaseSetup {
	t.Helper()
	path := filepath.Join(dir, "cases.jsonl")
	_, sign, _ := ed25519.GenerateKey(nil)
	clock := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	l, err := caseledger.Open(path, sign, func() time.Time { clock = clock.Add(time.Hour); return clock })
	if err != nil {
		t.Fatal(err)
	}
	for i, accts := range [][]string{{"harvester-1", "harvester-2"}, {"reseller-9"}} {
		ck, _ := key.DeriveCase(l.ID(), fmt.Sprintf("case-%04d", i+1), fmt.Sprintf("%016x", i+1))
		if _, err := l.Append(caseledger.Event{Kind: "opened", Case: ck.Case, MasterKey: key.ID, MasterCommitment: key.Commitment(), KeyID: ck.ID,
			KeyCommitment: ck.Commitment(), Nonce: fmt.Sprintf("%016x", i+1), Accounts: accts, Trigger: caseledger.Trigger{Source: "operator"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	cs, err := evidence.LoadCases(path, sign.Public().(ed25519.PublicKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestReportWhoHarvested: a bundle with case keys has the section "Who
// harvested", naming the attributed case's accounts and the ledger's head,
// and its HTML and PDF verify like any other.
func TestReportWhoHarvested(t *testing.T) {
	dir, key := fixtureBundleOf(t, true, 1)
	if _, err := Render(dir, Options{Title: "Cases", Samples: 1, Formats: []string{"md", "html", "pdf"}}, nil); err != nil {
		t.Fatal(err)
	}
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	att := testByName(b.Results, probe.TestAttribution)
	if att == nil || att.Status != probe.StatusRejected {
		t.Fatalf("fixture: attribution %+v", att)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	for _, want := range []string{"Who harvested", "reseller-9", "harvester-1, harvester-2", "attributed", "not attributed", "The keys of the 2 cases not withheld on their own", att.Attribution.Ledger.Head[:16], "signature was checked"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	checks, err := evidence.Verify(context.Background(), dir, evidence.VerifyOptions{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if !c.OK {
			t.Errorf("verify %s: %s", c.Name, c.Detail)
		}
	}
}

// TestGreenFigureRows draws the green-share figure for several controls,
// with and without unused keys: every row is named once, no two names
// closer than their font's size, and γ's name clear of every row's. A
// report.json without a layout (before issue 20) keeps the strip figure.
func TestGreenFigureRows(t *testing.T) {
	null := make([]float64, 100)
	for i := range null {
		null[i] = 0.25 + 0.02*math.Sin(float64(i))
	}
	text := regexp.MustCompile(`<text x="[-0-9.]+" y="(-?[0-9.]+)"[^>]*\n?[^>]*font-size:([0-9.]+)px">([^<]*)</text>`)
	for _, c := range []struct {
		controls int
		null     []float64
	}{{0, null}, {1, nil}, {6, null}, {12, null}} {
		d := &probe.RadioDetail{Gamma: 0.25, Green: 300, TokensScored: 600}
		d.Null.GreenFractions = c.null
		var rows []string
		for i := range c.controls {
			d.Controls = append(d.Controls, probe.ControlScore{Role: probe.ControlRole(i), Green: 150 + i, TokensScored: 600})
			rows = append(rows, probe.ControlRole(i))
		}
		rows = append(rows, "suspect")
		if c.null != nil {
			rows = append(rows, "unused keys (100)")
		}
		tr := &probe.TestResult{Name: probe.TestRadioactivity, Radioactivity: d}
		figs := greenFigure(tr, CurrentLayout)
		if len(figs) != 1 {
			t.Fatalf("%d controls: %d figures", c.controls, len(figs))
		}
		svg, err := svgOf(figs[0].(Figure))
		if err != nil {
			t.Fatal(err)
		}
		ys := map[string]float64{}
		var size float64
		for _, m := range text.FindAllStringSubmatch(string(svg), -1) {
			y, _ := strconv.ParseFloat(m[1], 64)
			ys[strings.TrimSpace(m[3])] = y
			if strings.TrimSpace(m[3]) == "suspect" {
				size, _ = strconv.ParseFloat(m[2], 64)
			}
		}
		named := append(rows, "chance level γ = 0.25")
		for i, a := range named {
			ya, ok := ys[a]
			if !ok {
				t.Errorf("%d controls: no %q in the figure", c.controls, a)
				continue
			}
			for _, b := range named[i+1:] {
				if yb, ok := ys[b]; ok && math.Abs(ya-yb) < size {
					t.Errorf("%d controls: %q and %q are %.1f apart, closer than their size %.0f", c.controls, a, b, math.Abs(ya-yb), size)
				}
			}
		}
	}
	tr := &probe.TestResult{Name: probe.TestRadioactivity, Radioactivity: &probe.RadioDetail{Gamma: 0.25, Green: 300, TokensScored: 600}}
	tr.Radioactivity.Null.GreenFractions = null
	old := greenFigure(tr, LayoutFirst)
	if len(old) != 1 || old[0].(Figure).Height != 0 || !strings.Contains(old[0].(Figure).Caption, "the keys never used (grey)") {
		t.Errorf("the first layout's figure: %+v", old)
	}
}
