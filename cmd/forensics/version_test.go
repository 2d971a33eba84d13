package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"forensics/internal/buildinfo"
)

// TestVersion: 'version', '--version' and 'version --json' name the same
// build, the one evidence records (the test binary is unstamped, and says
// so instead of "(devel)").
func TestVersion(t *testing.T) {
	want := buildinfo.Current()
	code, out, stderr := runCLI(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, want.String()+"\n") || !strings.Contains(out, "binary sha256 "+want.BinarySHA256) {
		t.Fatalf("version: %d\n%s\n%s", code, out, stderr)
	}
	if strings.Contains(out, "(devel)") || (!want.Stamped() && !strings.Contains(out, "unstamped build: no VCS revision")) {
		t.Errorf("version of an unstamped build:\n%s", out)
	}
	if code, out, _ := runCLI(t, "", "--version"); code != 0 || out != want.String()+"\n" {
		t.Errorf("--version: %d %q, want %q", code, out, want.String())
	}
	code, out, _ = runCLI(t, "", "version", "--json")
	var got buildinfo.Info
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || got != *want {
		t.Errorf("version --json: %d %v\n%s", code, err, out)
	}
	if !strings.Contains(out, `"binary_sha256"`) || !strings.Contains(out, `"go_version"`) {
		t.Errorf("version --json is not snake_case:\n%s", out)
	}
}

// TestEvidenceNamesBuild: the bundle probe makes names the build in its
// manifest, report.json and the rendered report, and verify with the same
// binary says it is the very executable that made it.
func TestEvidenceNamesBuild(t *testing.T) {
	b := buildinfo.Current()
	key := newKeyFile(t)
	bundle := filepath.Join(t.TempDir(), "case")
	if code, _, stderr := runCLI(t, "", "probe", "--target", "embedded:reference?key="+key, "--key", key,
		"--prompts", "12", "--max-tokens", "40", "--null-keys", "0", "--rounds", "99", "--out", bundle); code != 0 {
		t.Fatalf("probe: %s", stderr)
	}
	if code, _, stderr := runCLI(t, "", "report", "--format", "md", bundle); code != 0 {
		t.Fatalf("report: %s", stderr)
	}
	for _, name := range []string{"manifest.json", "report.json"} {
		var doc struct {
			Tool  string          `json:"tool"`
			Build *buildinfo.Info `json:"build"`
		}
		data, err := os.ReadFile(filepath.Join(bundle, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &doc); err != nil || doc.Build == nil || *doc.Build != *b {
			t.Errorf("%s names build %+v (%v), want %+v", name, doc.Build, err, b)
		}
		if name == "manifest.json" && doc.Tool != b.String() {
			t.Errorf("manifest tool %q, want %q", doc.Tool, b.String())
		}
	}
	md, err := os.ReadFile(filepath.Join(bundle, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), b.Detail()) || !strings.Contains(string(md), "Report rendered by") {
		t.Errorf("report.md does not name the build %q", b.Detail())
	}
	code, out, stderr := runCLI(t, "", "verify", "--key", key, bundle)
	if code != 0 || !slices.ContainsFunc(outputLines(out), func(l string) bool {
		return strings.HasPrefix(l, "ok   build        the bundle says it was made by this very executable ("+b.String())
	}) {
		t.Errorf("verify: %d\n%s\n%s", code, out, stderr)
	}
}
