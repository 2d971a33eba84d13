package evidence

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/internal/buildinfo"
	"forensics/probe"
	"forensics/probe/probetest"
)

// buildBundle makes a small sealed bundle whose manifest names made as its
// build (nil: none, as bundles from before builds were recorded).
func buildBundle(t *testing.T, made *buildinfo.Info) (string, *probe.Manifest) {
	t.Helper()
	srv := httptest.NewServer(&probetest.FakeOllama{})
	defer srv.Close()
	dir := t.TempDir()
	cs := probetest.SmallSet(t, 4)
	_, key := probetest.Key(t, t.TempDir(), 9)
	tk, tf := probetest.EmbeddedTokenizer(t)
	plan := probetest.Manifest(t, key, cs, tk, probetest.Options{
		Targets: probe.Targets{Suspect: "ollama://" + strings.TrimPrefix(srv.URL, "http://") + "/s"},
		Plan:    probe.Plan{Prompts: 4}, Seed: 1, Rounds: 99,
	})
	plan.Build = made
	if made != nil {
		plan.Tool = made.String()
	}
	m, _, err := probe.Prepare(dir, plan, cs, tf)
	if err != nil {
		t.Fatal(err)
	}
	probetest.Ask(t, dir, m, cs)
	if _, err := Finish(context.Background(), dir, key, tk, nil); err != nil {
		t.Fatal(err)
	}
	setComputedBy(t, dir, made)
	return dir, m
}

// setComputedBy makes results.json say that build computed it (nil: none,
// as results from before builds were recorded) and seals again: as if
// that build had finished the bundle.
func setComputedBy(t *testing.T, dir string, build *buildinfo.Info) {
	t.Helper()
	path := filepath.Join(dir, FileResults)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r probe.Results
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	r.Build = build
	if b, err = MarshalResults(&r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Seal(dir, nil); err != nil {
		t.Fatal(err)
	}
}

// alterResults changes a number in results.json and seals the bundle
// again, so that only the re-derivation of results fails.
func alterResults(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, FileResults)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	r["alpha"] = 0.02
	if b, err = json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Seal(dir, nil); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyComparesBuilds: verify's last check compares the bundle's
// build with its own and says whether a difference matters: a warning,
// never a failure, that names the build to verify with when a
// re-derivation failed.
func TestVerifyComparesBuilds(t *testing.T) {
	const rev, rev2 = "7ed32b1cf09562f0c78852df59a8786464400b3b", "1cae5f2000000000000000000000000000000000"
	own := buildinfo.Info{Program: "forensics", Version: "v0.0.0-20261127111926-7ed32b1cf095", Revision: rev, GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64",
		BinarySHA256: strings.Repeat("a", 64)}
	with := func(edit func(*buildinfo.Info)) *buildinfo.Info {
		i := own
		i.BinarySHA256 = strings.Repeat("b", 64)
		edit(&i)
		return &i
	}
	cases := []struct {
		name        string
		made        *buildinfo.Info
		computed    *buildinfo.Info // results.json's build, when not made's
		alter       bool
		warning     string // "" for none
		detail      []string
		resultsFail bool
	}{
		{name: "identical", made: &own, detail: []string{"made by this very executable"}},
		{name: "same revision, other Go", made: with(func(i *buildinfo.Info) { i.GoVersion = "go1.26.7" }),
			warning: "BUILD DIFFERS from the bundle's (forensics v0.0.0-20261127111926-7ed32b1cf095 (go1.26.7 linux/amd64)); every re-derived check passed",
			detail:  []string{"the same code, another Go version", "the difference changed no re-derived number"}},
		{name: "same revision, other binary", made: with(func(*buildinfo.Info) {}),
			warning: "BUILD DIFFERS", detail: []string{"the same code, another build flags or binary"}},
		{name: "other revision", made: with(func(i *buildinfo.Info) { i.Revision, i.Version = rev2, "" }),
			warning: "BUILD DIFFERS from the bundle's (forensics rev 1cae5f200000 (go1.26.8 linux/amd64))", detail: []string{"another revision of the code", "changed no re-derived number"}},
		{name: "made unstamped", made: with(func(i *buildinfo.Info) { i.Revision, i.Version = "", "" }),
			warning: "build NOT COMPARABLE", detail: []string{"an unstamped build names no code", "any difference changed no re-derived number"}},
		{name: "made dirty", made: with(func(i *buildinfo.Info) { i.Modified = true }),
			warning: "build NOT COMPARABLE", detail: []string{"modified working tree"}},
		{name: "none recorded", made: nil,
			warning: "build NOT COMPARABLE with the bundle's (forensics test)", detail: []string{`the bundle records no build, only the tool "forensics test"`}},
		{name: "other revision, results fail", made: with(func(i *buildinfo.Info) { i.Revision, i.Version = rev2, "" }), alter: true, resultsFail: true,
			warning: "BUILD DIFFERS from the bundle's and a re-derivation failed: verify with forensics rev 1cae5f200000",
			detail:  []string{"results failed, which the build difference may explain", "revision " + rev2}},
		{name: "identical, results fail", made: &own, alter: true, resultsFail: true, detail: []string{"made by this very executable"}},
		// Planned by another revision, resumed and finished by this very
		// executable: the re-derived numbers were computed by this build.
		{name: "finished by this build", made: with(func(i *buildinfo.Info) { i.Revision, i.Version = rev2, "" }), computed: &own,
			detail: []string{"results computed by forensics v0.0.0-20261127111926-7ed32b1cf095", "the probe planned by forensics rev 1cae5f200000", "made by this very executable"}},
		{name: "finished by another revision", made: &own, computed: with(func(i *buildinfo.Info) { i.Revision, i.Version = rev2, "" }),
			warning: "BUILD DIFFERS from the bundle's (forensics rev 1cae5f200000", detail: []string{"the probe planned by forensics v0.0.0-20261127111926-7ed32b1cf095", "another revision of the code"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := buildBundle(t, tc.made)
			if tc.computed != nil {
				setComputedBy(t, dir, tc.computed)
			}
			if tc.alter {
				alterResults(t, dir)
			}
			checks, err := Verify(context.Background(), dir, VerifyOptions{Build: &own})
			if err != nil {
				t.Fatal(err)
			}
			if r := checkNamed(checks, "results"); r == nil || r.OK == tc.resultsFail {
				t.Fatalf("results check %+v, want failed %v", r, tc.resultsFail)
			}
			last := checks[len(checks)-1]
			if last.Name != "build" || !last.OK {
				t.Fatalf("last check %+v, want a passed build check", last)
			}
			if (tc.warning == "") != (last.Warning == "") || !strings.HasPrefix(last.Warning, tc.warning) {
				t.Errorf("warning %q, want %q", last.Warning, tc.warning)
			}
			for _, d := range tc.detail {
				if !strings.Contains(last.Detail, d) {
					t.Errorf("detail %q lacks %q", last.Detail, d)
				}
			}
		})
	}
}

// TestVerifyNamesTheBuildOfAManifestItCannotRead: a manifest with a field
// a later build added does not parse here, yet verify still says which
// build made the bundle and that the failure may come from the build,
// not from tampering.
func TestVerifyNamesTheBuildOfAManifestItCannotRead(t *testing.T) {
	const rev2 = "1cae5f2000000000000000000000000000000000"
	own := &buildinfo.Info{Program: "forensics", Revision: strings.Repeat("7", 40), GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64"}
	made := &buildinfo.Info{Program: "forensics", Revision: rev2, GoVersion: "go1.27.0", GOOS: "linux", GOARCH: "amd64"}
	dir, _ := buildBundle(t, made)
	path := filepath.Join(dir, probe.FileManifest)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = append([]byte(`{"from_a_later_build":true,`), b[1:]...)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Seal(dir, nil); err != nil {
		t.Fatal(err)
	}
	checks, err := Verify(context.Background(), dir, VerifyOptions{Build: own})
	if err != nil {
		t.Fatal(err)
	}
	if in := checkNamed(checks, "inputs"); in == nil || in.OK {
		t.Fatalf("inputs check %+v, want failed", in)
	}
	last := checks[len(checks)-1]
	if want := "BUILD DIFFERS from the bundle's and a re-derivation failed: verify with forensics rev 1cae5f200000"; last.Name != "build" || !strings.HasPrefix(last.Warning, want) {
		t.Errorf("last check %+v, want a build warning %q", last, want)
	}
	if !strings.Contains(last.Detail, "inputs failed") {
		t.Errorf("detail %q does not say the inputs failed", last.Detail)
	}
}
