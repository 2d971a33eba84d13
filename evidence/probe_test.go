package evidence

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/canary"
	"forensics/internal/testfs"
	"forensics/probe"
	"forensics/probe/probetest"
	"forensics/watermark"
)

// runProbe prepares dir, asks every query and seals the bundle.
func runProbe(t testing.TB, dir string, key *watermark.Key, cs *canary.Set, s probetest.Options) (*probe.Results, probe.RunStats) {
	t.Helper()
	tk, tf := probetest.EmbeddedTokenizer(t)
	m, _, err := probe.Prepare(dir, probetest.Manifest(t, key, cs, tk, s), cs, tf)
	if err != nil {
		t.Fatal(err)
	}
	writeExtra(t, dir)
	st, _, err := probe.OpenStore(filepath.Join(dir, probe.FileTranscripts), m.SHA256())
	if err != nil {
		t.Fatal(err)
	}
	tgs := probetest.OpenTargets(t, m, cs)
	stats, err := probe.Run(context.Background(), m, cs, tgs, st, probe.RunOptions{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if s.RequestLog != "" {
		c, err := probe.CheckRelayLog(context.Background(), []string{s.RequestLog}, m, cs, st.Records())
		if err != nil {
			t.Fatal(err)
		}
		if err := probe.WriteRelayLog(dir, c); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Finish(context.Background(), dir, key, tk, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res, stats
}

// checkNamed finds a verify check by name.
func checkNamed(checks []Check, name string) *Check {
	for i := range checks {
		if checks[i].Name == name {
			return &checks[i]
		}
	}
	return nil
}

// verdictOf is a proposition's verdict ("" when it was not planned).
func verdictOf(res *probe.Results, id string) string {
	for _, p := range res.Propositions {
		if p.ID == id {
			return p.Verdict
		}
	}
	return ""
}

func logResults(t *testing.T, res *probe.Results) {
	t.Helper()
	for _, tr := range res.Tests {
		t.Logf("%-13s %-12s N=%-6d log10 p=%8.2f effect %.4f [%.4f, %.4f] %s", tr.Name, tr.Status, tr.N, tr.Log10P, tr.Effect.Value, tr.Effect.Lo, tr.Effect.Hi, tr.Reason)
	}
	for _, p := range res.Propositions {
		t.Logf("%s: %s — %s", p.ID, p.Verdict, p.Text)
	}
}

// TestProbeStudentAndVerify is the whole path on the simulated world: the
// student trained on watermarked answers is caught, the bundle verifies,
// and any altered byte is named.
func TestProbeStudentAndVerify(t *testing.T) {
	w := sharedWorld(t)
	dir := t.TempDir()
	s := probetest.Options{
		Targets: probe.Targets{Suspect: "embedded:" + w.student, Reference: "embedded:reference?plant=1&key=" + w.keyPath, Controls: []string{"embedded:" + w.control}},
		Plan:    probe.Plan{Prompts: 120, EqualityPrompts: 30, Triggers: 40, HammingLength: 32},
		Seed:    7, Rounds: 999, NullKeys: 100, RequestLog: probetest.QuietLog(t),
	}
	res, stats := runProbe(t, dir, w.key, w.canaries, s)
	logResults(t, res)
	if stats.Failed != 0 || stats.Answered != stats.Planned {
		t.Fatalf("run: %+v", stats)
	}
	radio := probetest.TestNamed(res.Tests, probe.TestRadioactivity)
	if radio.Status != probe.StatusRejected || radio.Log10P > -6 {
		t.Errorf("radioactivity on the student: %s, log10 p %.2f; want rejected below 1e-6", radio.Status, radio.Log10P)
	}
	if !radio.Radioactivity.Null.Uniform {
		t.Errorf("key-swap null not uniform: KS p %v", radio.Radioactivity.Null.KSP)
	}
	if c := radio.Radioactivity.Controls[0]; c.Log10P < -2 {
		t.Errorf("control scores as watermarked: %+v", c)
	}
	canary := probetest.TestNamed(res.Tests, probe.TestCanary)
	if canary.Status != probe.StatusRejected {
		t.Errorf("canary test on the student: %s (hits %+v)", canary.Status, canary.Canary)
	}
	for _, id := range []string{probe.PropDerived, probe.PropTrained} {
		if v := verdictOf(res, id); v != probe.VerdictSupported {
			t.Errorf("proposition %s: %s", id, v)
		}
	}

	checks, err := Verify(context.Background(), dir, VerifyOptions{Key: w.key})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if !c.OK {
			t.Errorf("verify %s: %s", c.Name, c.Detail)
		}
	}
	// The relay check by request log: taken as recorded without the logs
	// (and said so), re-run with them, and a log that shows a relay of
	// the probe's prompts does not agree with the recorded outcome.
	if c := checkNamed(checks, "relay log"); c == nil || !strings.Contains(c.Warning, "TAKEN AS RECORDED") {
		t.Errorf("relay log check without the logs: %+v", c)
	}
	checks, _ = Verify(context.Background(), dir, VerifyOptions{Key: w.key, RequestLogs: []string{s.RequestLog}})
	if c := checkNamed(checks, "relay log"); c == nil || !c.OK || c.Warning != "" {
		t.Errorf("relay log check with the logs: %+v", c)
	}
	relayed := probetest.WriteLog(t, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		map[string]any{"ts": time.Now().UTC().Format(time.RFC3339Nano), "account": "reseller", "endpoint": "/api/generate", "prompt": w.canaries.Prompts[3].Text, "status": 200})
	checks, _ = Verify(context.Background(), dir, VerifyOptions{Key: w.key, RequestLogs: []string{relayed}})
	if c := checkNamed(checks, "relay log"); c == nil || c.OK {
		t.Errorf("relay log check on a log with a relay: %+v", c)
	}
	// Without the key everything else is still re-derived.
	checks, _ = Verify(context.Background(), dir, VerifyOptions{})
	for _, c := range checks {
		if !c.OK {
			t.Errorf("verify without key %s: %s", c.Name, c.Detail)
		}
	}

	tamper := func(name string, edit func([]byte) []byte, want ...string) {
		t.Helper()
		cp := testfs.CopyDir(t, dir, func(n string, b []byte) []byte {
			if n == name {
				return edit(b)
			}
			return b
		})
		checks, err := Verify(context.Background(), cp, VerifyOptions{Key: w.key})
		if err != nil {
			t.Fatal(err)
		}
		var failed []string
		for _, c := range checks {
			if !c.OK {
				failed = append(failed, c.Detail)
			}
		}
		all := strings.Join(failed, " | ")
		if len(failed) == 0 {
			t.Errorf("altering %s went unnoticed", name)
		}
		for _, w := range want {
			if !strings.Contains(all, w) {
				t.Errorf("altering %s: failures %q lack %q", name, all, w)
			}
		}
	}
	flip := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte { return []byte(strings.Replace(string(b), old, new, 1)) }
	}
	tamper(probe.FileTranscripts, func(b []byte) []byte {
		lines := strings.SplitAfter(string(b), "\n")
		lines[4] = strings.Replace(lines[4], `"text":"`, `"text":"x`, 1)
		return []byte(strings.Join(lines, ""))
	}, "transcripts.jsonl: SHA-256 differs", "transcripts.jsonl line 5")
	tamper(FileResults, flip(`"green":`, `"green": 1`), "results.json: SHA-256 differs")
	tamper(probe.FileManifest, flip(`"alpha": 0.01`, `"alpha": 0.05`), "manifest.json: SHA-256 differs")
	tamper(FileRoot, func(b []byte) []byte { // change the first hex digit, whatever it is
		c := append([]byte(nil), b...)
		if c[0] = '0'; b[0] == '0' {
			c[0] = '1'
		}
		return c
	}, "MERKLE_ROOT")
	// A results change with re-made sums is still caught by recomputation.
	cp := testfs.CopyDir(t, dir, func(n string, b []byte) []byte {
		if n == FileResults {
			return []byte(strings.Replace(string(b), `"answers_to_1e-6": `, `"answers_to_1e-6": 1`, 1))
		}
		return b
	})
	if err := Seal(cp, nil); err != nil {
		t.Fatal(err)
	}
	checks, _ = Verify(context.Background(), cp, VerifyOptions{Key: w.key})
	if last := checks[len(checks)-1]; last.OK || !strings.Contains(last.Detail, "answers_to_1e-6") {
		t.Errorf("re-summed altered results: %+v", last)
	}
}
