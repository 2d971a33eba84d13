package report

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"forensics/internal/buildinfo"
)

// TestReportNamesBuilds: the Tool rows name the probe's build with its
// revision, dirty flag and Go version, and a row names the build that
// rendered the report, in every format, and one the build that computed
// the results when it is not the probe's.
func TestReportNamesBuilds(t *testing.T) {
	dir, _ := fixtureBundle(t)
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	b.Manifest.Build = &buildinfo.Info{Program: "forensics", Version: "v0.0.0-20261127111926-7ed32b1cf095+dirty", Revision: "7ed32b1cf09562f0c78852df59a8786464400b3b",
		CommitTime: "2026-11-27T11:19:26Z", Modified: true, GoVersion: "go1.26.7", GOOS: "linux", GOARCH: "amd64", BinarySHA256: strings.Repeat("ab", 32)}
	// A probe resumed and finished by another build than planned it.
	b.Results.Build = &buildinfo.Info{Program: "forensics", Version: "v1.1.0", GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "arm64", BinarySHA256: strings.Repeat("ef", 32)}
	renderer := &buildinfo.Info{Program: "forensics", Version: "v1.2.0", GoVersion: "go1.26.8", GOOS: "darwin", GOARCH: "arm64", BinarySHA256: strings.Repeat("cd", 32)}
	files, err := Files(b, Options{Title: "t", Samples: 1, Formats: []string{"md", "html", "pdf"}, Build: renderer})
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{"report.md": string(files["report.md"]), "report.html": string(files["report.html"]), "report.json": string(files["report.json"])}
	if pdftotext, err := exec.LookPath("pdftotext"); err == nil {
		path := filepath.Join(t.TempDir(), "report.pdf")
		if err := os.WriteFile(path, files["report.pdf"], 0o644); err != nil {
			t.Fatal(err)
		}
		// The PDF wraps long rows: compare with its words joined.
		out, err := exec.Command(pdftotext, path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		texts["report.pdf"] = strings.Join(strings.Fields(string(out)), "")
	}
	for name, text := range texts {
		wants := []string{"v0.0.0-20261127111926-7ed32b1cf095+dirty", "7ed32b1cf09562f0c78852df59a8786464400b3b", "uncommitted changes", "go1.26.7", "v1.2.0", "go1.26.8 darwin/arm64", "Results computed by", "v1.1.0 (go1.26.8 linux/arm64)"}
		if name == "report.json" {
			wants = []string{`"build": {`, `"version": "v1.2.0"`, `"goos": "darwin"`}
		}
		for _, want := range wants {
			if name == "report.pdf" {
				want = strings.Join(strings.Fields(want), "")
			}
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
}

func TestCommandText(t *testing.T) {
	args := []string{"forensics", "probe", "--target", "embedded:student.model", "--json", "--key=main.yaml", "-o", "case-17", "--quick"}
	for _, tc := range []struct {
		layout int
		want   string
	}{
		{LayoutFirst, strings.Join(args, " \\\n    ")},
		{LayoutNullDistribution, strings.Join(args, " \\\n    ")},
		{LayoutCommandLines, "forensics probe \\\n    --target embedded:student.model \\\n    --json \\\n    --key=main.yaml \\\n    -o case-17 \\\n    --quick"},
	} {
		if got := commandText(args, tc.layout); got != tc.want {
			t.Errorf("layout %d:\n%s\nwant\n%s", tc.layout, got, tc.want)
		}
	}
	if got := commandText([]string{"forensics"}, CurrentLayout); got != "forensics" {
		t.Errorf("program alone: %q", got)
	}
}
