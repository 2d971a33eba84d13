package probe_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/internal/buildinfo"
	"forensics/probe"
	"forensics/probe/probetest"
)

// TestManifestBuild: a probe resumed by another build keeps the plan and
// the build that wrote it; a manifest without a build parses, and one
// whose build is malformed does not.
func TestManifestBuild(t *testing.T) {
	dir := t.TempDir()
	cs := probetest.SmallSet(t, 4)
	_, key := probetest.Key(t, t.TempDir(), 3)
	tk, tf := probetest.EmbeddedTokenizer(t)
	setup := probetest.Options{Targets: probe.Targets{Suspect: "embedded:reference"}, Plan: probe.Plan{Prompts: 4}, Rounds: 99}
	first := &buildinfo.Info{Program: "forensics", Revision: "7ed32b1cf09562f0c78852df59a8786464400b3b", GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64"}
	plan := probetest.Manifest(t, key, cs, tk, setup)
	plan.Build = first
	m1, _, err := probe.Prepare(dir, plan, cs, tf)
	if err != nil {
		t.Fatal(err)
	}
	again := probetest.Manifest(t, key, cs, tk, setup)
	again.Build = &buildinfo.Info{Program: "forensics", Revision: "1cae5f2000000000000000000000000000000000", GoVersion: "go1.26.9", GOOS: "linux", GOARCH: "amd64"}
	m2, resumed, err := probe.Prepare(dir, again, cs, tf)
	if err != nil || !resumed || m2.SHA256() != m1.SHA256() || *m2.Build != *first {
		t.Fatalf("resume by another build: %v resumed=%v build %+v", err, resumed, m2.Build)
	}
	data, err := os.ReadFile(filepath.Join(dir, probe.FileManifest))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new string
		ok             bool
	}{
		{"as written", "", "", true},
		{"no build (an older bundle)", `"build": {`, `"old_build": {`, true},
		{"revision not hex", `"revision": "7ed32b1c`, `"revision": "<script>`, false},
		{"build not an object", `"build": {`, `"build": "v1", "x": {`, false},
	} {
		m, err := probe.ParseManifest([]byte(strings.Replace(string(data), tc.old, tc.new, 1)))
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.name, err, tc.ok)
		}
		if tc.name == "no build (an older bundle)" && err == nil && m.Build != nil {
			t.Errorf("%s: build %+v", tc.name, m.Build)
		}
	}
}
