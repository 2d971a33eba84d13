package report

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/evidence"
	"forensics/internal/buildinfo"
	"forensics/internal/reporttools"
)

func TestOptionsValidate(t *testing.T) {
	long := strings.Repeat("x", MaxTitle+1)
	for _, c := range []struct {
		name    string
		o       Options
		wantErr string
	}{
		{"zero (an earlier report.json)", Options{}, ""},
		{"the defaults", DefaultOptions(), ""},
		{"current", Options{Title: strings.Repeat("x", MaxTitle), CaseID: "X-17", Samples: MaxSamples, Formats: []string{"md", "md"}, Layout: CurrentLayout, Build: buildinfo.Current()}, ""},
		{"long title", Options{Title: long}, "title of 513 bytes: at most 512"},
		{"long case id", Options{CaseID: long}, "case id of 513 bytes"},
		{"negative samples", Options{Samples: -1}, "samples -1: between 0 and 1000"},
		{"too many samples", Options{Samples: MaxSamples + 1}, "samples 1001"},
		{"unknown format", Options{Formats: []string{"html", "docx"}}, `unknown report format "docx"`},
		{"too many formats", Options{Formats: strings.Split(strings.Repeat("md,", maxFormats)+"md", ",")}, "17 formats"},
		{"later layout", Options{Layout: 99}, "layout 99 is unknown to this build: verify with a later build"},
		{"negative layout", Options{Layout: -3}, "layout -3 is unknown to this build"},
		{"build revision", Options{Build: &buildinfo.Info{Program: "forensics", Revision: "not-a-hash"}}, "not a hexadecimal hash"},
		{"build program", Options{Build: &buildinfo.Info{Program: strings.Repeat("p", 100_000)}}, "build program: longer than"},
	} {
		err := c.o.Validate()
		if c.wantErr == "" && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.wantErr)
		}
	}
}

// editOptions rewrites a rendered bundle's report.json as an adversary
// would and seals the bundle again with sign, so that only the report
// check stands between the edit and a verified bundle.
func editOptions(t *testing.T, dir string, sign []byte, edit func(o map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, FileOptions))
	if err != nil {
		t.Fatal(err)
	}
	var o map[string]any
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	edit(o)
	if data, err = json.Marshal(o); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileOptions), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := evidence.Seal(dir, sign); err != nil {
		t.Fatal(err)
	}
}

// TestHostileRecordedOptions runs the attacks on report.json of the issue
// 20 review: a bundle sealed again by its adversary with options that
// panicked verify (samples −1), took minutes (a 2 MB title) or were
// trusted unchecked (a later layout, a build that is no build, a format
// this build does not make). Recorded, Check and Render refuse each, at
// once, naming what is wrong.
func TestHostileRecordedOptions(t *testing.T) {
	base, _ := fixtureBundle(t)
	sign := testSigner(3)
	if _, err := Render(base, Options{Samples: 2, Formats: []string{"html", "pdf"}}, sign); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		edit    func(o map[string]any)
		wantErr string
	}{
		{"2 MB title", func(o map[string]any) { o["title"] = strings.Repeat("word ", 400_000) }, "report.json is malformed: title of 2000000 bytes"},
		{"long case id", func(o map[string]any) { o["case_id"] = strings.Repeat("x", 600) }, "report.json is malformed: case id of 600 bytes"},
		{"negative samples", func(o map[string]any) { o["samples"] = -1 }, "samples -1"},
		{"unknown format", func(o map[string]any) { o["formats"] = []string{"html", "docx"} }, `unknown report format "docx"`},
		{"later layout", func(o map[string]any) { o["layout"] = 99 }, "report.json: layout 99 is unknown to this build: verify with a later build"},
		{"negative layout", func(o map[string]any) { o["layout"] = -3 }, "layout -3 is unknown"},
		{"build revision", func(o map[string]any) { o["build"].(map[string]any)["revision"] = "not-a-hash" }, "is not a hexadecimal hash"},
		{"build program", func(o map[string]any) { o["build"].(map[string]any)["program"] = strings.Repeat("p", 100_000) }, "build program: longer than 256 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			editOptions(t, dir, sign, c.edit)
			start := time.Now()
			if _, err := Check(dir); err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Check: %v, want %q", err, c.wantErr)
			}
			if _, _, err := Recorded(dir); err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Recorded: %v, want %q", err, c.wantErr)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("refusing took %v", d)
			}
		})
	}
	for _, o := range []Options{{Title: strings.Repeat("word ", 400_000)}, {CaseID: strings.Repeat("x", 600)}, {Samples: MaxSamples + 1}, {Formats: []string{"docx"}}} {
		if _, err := Render(base, o, sign); err == nil || !strings.Contains(err.Error(), "report options: ") {
			t.Errorf("Render(%.40v): %v", o, err)
		}
	}
}

func TestPDFEscapes(t *testing.T) {
	for _, c := range []struct{ in, safe, line string }{
		{"plain γ", "plain γ", "plain γ"},
		{"a\nb\tc", "a\nb\tc", `a\nb\tc`},
		{"\x1b[2J\x07\x00", `\x1b[2J\x07\x00`, `\x1b[2J\x07\x00`},
		{"\u2067evil\u2069 \u202eabc", `\u2067evil\u2069 \u202eabc`, `\u2067evil\u2069 \u202eabc`},
		{"emoji 😀", "emoji \uFFFD", "emoji \uFFFD"},
		{"bad \xff", `bad \xff`, `bad \xff`},
	} {
		if got := pdfSafe(c.in); got != c.safe {
			t.Errorf("pdfSafe(%q) = %q, want %q", c.in, got, c.safe)
		}
		if got := pdfLine(c.in); got != c.line {
			t.Errorf("pdfLine(%q) = %q, want %q", c.in, got, c.line)
		}
	}
}

// TestReportPDFHostileTitle renders a title and case id that try to add a
// finding of their own to the title page, reorder it (bidi isolates and
// an override) and send control characters: pdftotext finds them shown as
// escapes on the title's own line, as Markdown and HTML show them.
func TestReportPDFHostileTitle(t *testing.T) {
	pdftotext := reporttools.Need(t, "pdftotext")
	dir, _ := fixtureBundle(t)
	title := "Acme\n## Finding: SUPPORTED [click](http://evil.example/x) \u2067tsil\u2069 \u202eesrever \x1b[2J\x07"
	if _, err := Render(dir, Options{Title: title, CaseID: "X-17\nVerified: yes\x00", Samples: 1, Formats: []string{"pdf"}}, nil); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, filepath.Join(dir, "report.pdf"), "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, line := range strings.Split(text, "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "## Finding") || strings.HasPrefix(l, "Verified: yes") {
			t.Errorf("the PDF has a line of its own from the title or case id: %q", l)
		}
	}
	for _, want := range []string{`Acme\n## Finding`, `\u2067tsil\u2069`, `\u202eesrever`, `\x1b[2J\x07`, `Case X-17\nVerified: yes\x00`} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if r, bad := displayUnsafe(strings.ReplaceAll(text, "\f", "")); bad || strings.ContainsRune(text, '\uFFFD') {
		t.Errorf("PDF text holds %U", r)
	}
}

// FuzzParseOptions: report.json comes from the bundle, anyone's. What
// parseOptions accepts is within the bounds and reads back the same.
func FuzzParseOptions(f *testing.F) {
	for _, s := range []string{
		`{"title":"Forensic examination of a suspect language model","samples":5,"formats":["md","html","pdf"]}`,
		`{"title":"T","case_id":"X","samples":-1,"formats":["docx"],"layout":99}`,
		`{"layout":-3,"build":{"program":"forensics","revision":"not-a-hash"}}`,
		`{"samples":1e9}`, `null`, `[]`, `{"formats":null,"title":"\u202e\n"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := parseOptions(data)
		if err != nil {
			return
		}
		if len(o.Title) > MaxTitle || len(o.CaseID) > MaxTitle || o.Samples < 0 || o.Samples > MaxSamples || o.Layout < 0 || o.Layout > CurrentLayout {
			t.Fatalf("accepted %+v", o)
		}
		again, _ := json.Marshal(o)
		if _, err := parseOptions(again); err != nil {
			t.Fatalf("accepted %q, but not its own encoding %s: %v", data, again, err)
		}
	})
}
