package evidence

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"forensics/internal/buildinfo"
	"forensics/internal/termsafe"
	"forensics/probe"
)

// rederived are the checks that recompute something with this build's
// code, so that another build could come to another answer ("inputs":
// this build's parser, which refuses fields a newer build added).
var rederived = []string{"inputs", "hashes", "transcripts", "merkle root", "results", "report", "canaries", "relay log"}

// BuildCheck compares the build that made a bundle (its manifest's Build,
// or only its Tool string in bundles from before Build) with own, the
// verifying build, and says whether a difference matters for the checks
// made so far: when every re-derived check passed, it changed no
// re-derived number; when one failed, the failure may come from the
// build, and the check names the build to verify with. A difference is a
// Warning, never a failure: the re-derivations are the verdict.
//
// computed is the build that computed results.json (its "build"; nil in
// bundles from before it was recorded). When the probe was resumed and
// finished by another build than the one that planned it, computed is the
// one verify's re-derivations are compared with, and the plan's is named
// beside it.
func BuildCheck(m *probe.Manifest, computed, own *buildinfo.Info, checks []Check) Check {
	subject := m.Build
	if computed != nil {
		subject = computed
	}
	c := buildinfo.Compare(subject, own)
	if subject == nil {
		c.Why = fmt.Sprintf("the bundle records no build, only the tool %q: nobody can tell whether the code is the same as this build's (%s)", m.Tool, own.String())
	}
	if computed != nil && m.Build != nil && buildinfo.Compare(m.Build, computed).Sameness != buildinfo.Identical {
		c.Why = fmt.Sprintf("results computed by %s, the probe planned by %s; %s", computed.String(), m.Build.String(), c.Why)
	}
	if c.Sameness == buildinfo.Identical {
		return Check{Name: "build", OK: true, Detail: c.Why}
	}
	var failed []string
	for _, ch := range checks {
		if !ch.OK && slices.Contains(rederived, ch.Name) && !slices.Contains(failed, ch.Name) {
			failed = append(failed, ch.Name)
		}
	}
	made := m.Tool
	if subject != nil {
		made = subject.String()
	}
	var matters, warning string
	switch {
	case len(failed) > 0:
		matters = fmt.Sprintf("%s failed, which the build difference may explain: verify with the build that made the bundle (%s) before concluding the bundle was altered", strings.Join(failed, ", "), made)
		if subject != nil && subject.Revision != "" {
			matters += ", revision " + subject.Revision
		}
		warning = "BUILD DIFFERS from the bundle's and a re-derivation failed: verify with " + made
	case c.Sameness == buildinfo.Unknown:
		matters = "every re-derived check passed, so any difference changed no re-derived number"
		warning = "build NOT COMPARABLE with the bundle's (" + made + "); every re-derived check passed"
	default:
		matters = "every re-derived check passed, so the difference changed no re-derived number"
		warning = "BUILD DIFFERS from the bundle's (" + made + "); every re-derived check passed"
	}
	return Check{Name: "build", OK: true, Warning: warning, Detail: c.Why + "; " + matters}
}

// claimedBuild reads only the tool and build a manifest names, leniently
// (unknown fields allowed), for a manifest the strict parser refused. It
// is what the bundle claims, not a checked fact: nil when the file
// cannot be read, names nothing, or names a malformed build.
func claimedBuild(dir string) *probe.Manifest {
	b, err := ReadBundleFile(dir, probe.FileManifest)
	if err != nil {
		return nil
	}
	var m struct {
		Tool  string          `json:"tool"`
		Build *buildinfo.Info `json:"build"`
	}
	if json.Unmarshal(b, &m) != nil || m.Build.Validate() != nil || (m.Tool == "" && m.Build == nil) {
		return nil
	}
	return &probe.Manifest{Tool: termsafe.Line(m.Tool), Build: m.Build}
}
