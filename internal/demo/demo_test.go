package demo

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"forensics/evidence"
	"forensics/internal/measure"
	"forensics/probe"
	"forensics/report"
	"forensics/watermark"
)

// TestDemoQuick runs the whole demo, every stage end to end, and checks
// what it is meant to show: the campaign's accounts are flagged and linked
// into one cluster, no ordinary account is, the student carries the
// watermark and the control does not, and both bundles (with their
// reports) verify. The unit test runs the tiny demo (about 8 s, most of
// it the two probes' wait for the gateway's log to pass their end);
// FORENSICS_MEASURE=1 runs the quick one (about 25 s).
func TestDemoQuick(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo")
	stages := 0
	// A fixed seed: the verdicts below are then the same on every run (with
	// fresh keys, the control would be falsely accused 1% of the time at
	// α = 0.01, as designed).
	o := Options{Out: out, Tiny: !measure.Enabled(), Quick: true, Seed: 7, Stage: func(int, int, string) { stages++ }}
	sum, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if stages != 6 {
		t.Errorf("%d stages reported", stages)
	}
	// An account is flagged by its own verdict or its cluster's, as the
	// gateway applies them (serve/live.go).
	clusterAction := map[int]string{}
	for _, c := range sum.Scan.Clusters {
		clusterAction[c.ID] = c.Action
	}
	flagged := map[string]bool{}
	for _, a := range sum.Scan.Accounts {
		for _, action := range []string{a.Action, clusterAction[a.Cluster]} {
			if action == "suspend" || action == "throttle" {
				flagged[a.Account] = true
			}
		}
	}
	for _, a := range sum.Attackers {
		if !flagged[a] {
			t.Errorf("campaign account %s not flagged", a)
		}
	}
	for _, b := range sum.Benign {
		if flagged[b] {
			t.Errorf("ordinary account %s flagged", b)
		}
	}
	if len(sum.Scan.Clusters) != 1 || !slices.Equal(sum.Scan.Clusters[0].Accounts, sum.Attackers) {
		t.Errorf("clusters %+v, want one of %v", sum.Scan.Clusters, sum.Attackers)
	}
	// Halfway the scan flagged the campaign and the gateway opened cases
	// for it: only campaign accounts are in cases, the student (trained on
	// the whole harvest, half of it served under the case keys) is
	// attributed to a case, and the control to none.
	if len(sum.Cases) == 0 {
		t.Error("no case was opened halfway")
	}
	for _, c := range sum.Cases {
		for _, a := range c.Accounts() {
			if !slices.Contains(sum.Attackers, a) {
				t.Errorf("case %s holds %s, not a campaign account", c.ID, a)
			}
		}
	}
	attribution := func(p Probed) *probe.TestResult {
		for i := range p.Results.Tests {
			if p.Results.Tests[i].Name == probe.TestAttribution {
				return &p.Results.Tests[i]
			}
		}
		return nil
	}
	if a := attribution(sum.Student); a == nil || a.Status != probe.StatusRejected {
		t.Errorf("student's attribution test: %+v", a)
	}
	if a := attribution(sum.Control); a == nil || a.Status == probe.StatusRejected {
		t.Errorf("control's attribution test: %+v", a)
	}
	verdict := func(p Probed) string { return p.Results.Propositions[0].Verdict }
	if v := verdict(sum.Student); v != probe.VerdictSupported {
		t.Errorf("student: %s", v)
	}
	if v := verdict(sum.Control); v == probe.VerdictSupported {
		t.Errorf("control: %s", v)
	}
	key, err := watermark.LoadKey(filepath.Join(out, "keys", "main.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The bundles are signed, reports included, by the demo's signer.
	pub, err := evidence.LoadPublicKey(filepath.Join(out, "keys", "signer.key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Probed{sum.Student, sum.Control} {
		checks, err := evidence.Verify(context.Background(), p.Bundle, evidence.VerifyOptions{Key: key, PublicKey: pub})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range checks {
			if !c.OK {
				t.Errorf("%s: %s: %s", p.Bundle, c.Name, c.Detail)
			}
		}
		if _, err := report.Check(p.Bundle); err != nil {
			t.Errorf("%s: %v", p.Bundle, err)
		}
	}
	// The JSON summary (demo --json) speaks like every other command's:
	// snake_case keys, seconds rather than nanoseconds.
	if bad := nonSnakeKeys(t, sum); len(bad) > 0 {
		t.Errorf("JSON keys not in snake_case: %v", bad)
	}
	// A second run clears the folder the first made (prepareOut is how
	// Run starts).
	if err := prepareOut(out); err != nil {
		t.Errorf("second run: %v", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 1 || ents[0].Name() != marker {
		t.Errorf("second run left %d entries in %s", len(ents), out)
	}
	if err := prepareOut(t.TempDir()); err != nil {
		t.Errorf("empty folder: %v", err)
	}
}

func TestDemoRefusesForeignFolder(t *testing.T) {
	dir := t.TempDir()
	if err := writeHarvest(filepath.Join(dir, "precious.txt"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Out: dir, Quick: true}); err == nil {
		t.Fatal("the demo cleared a folder it did not make")
	}
}

// nonSnakeKeys encodes v as JSON and returns the object keys that are not
// snake_case, with their paths.
func nonSnakeKeys(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	// "answers_to_1e-6" is results.json's own (a bundle format, kept);
	// answered_by_role's keys are role names, data rather than fields.
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*(_1e-[0-9]+)?$`)
	var bad []string
	var walk func(path string, x any)
	walk = func(path string, x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, v := range x {
				if !snake.MatchString(k) && !strings.HasSuffix(path, ".answered_by_role") {
					bad = append(bad, path+"."+k)
				}
				walk(path+"."+k, v)
			}
		case []any:
			for _, v := range x {
				walk(path+"[]", v)
			}
		}
	}
	walk("", doc)
	slices.Sort(bad)
	return slices.Compact(bad)
}
