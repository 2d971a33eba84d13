package experiments

import (
	"context"
	"testing"

	"forensics/internal/measure"
	"forensics/probe"
)

// TestInnocentSuiteSmall is the innocent-suspect suite at unit-test size
// (two runs a case, a small plan, small models; make measure runs 100 a
// case): no case may be falsely supported, the carefully cherry-picked
// file may reach only "supported if complete", the loose one nothing, and
// the relay must show as depending on our outputs (the test has power)
// while "trained" is not supported. The student of unwatermarked answers
// learns from 100 of them (300 under FORENSICS_MEASURE=1, 3,000 in the
// reported suite): unwatermarked text has no watermark to pass on, at
// any size.
func TestInnocentSuiteSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four small models and runs two probes per case")
	}
	o := InnocentOptions{Runs: 2, Prompts: 24, Equality: 12, Triggers: 8, MaxTokens: 60, NullKeys: 10, Rounds: 999, Seed: 7, TrainBytes: 60_000, Harvest: 100}
	if measure.Enabled() {
		o.Harvest = 300
	}
	res, err := Innocent(context.Background(), o, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cases {
		t.Logf("%-34s falsely supported %d/%d, conditional %d; %v", c.Name, c.Accused, c.Runs, c.Conditional, c.Verdicts)
		if c.Accused > 0 {
			t.Errorf("%s: %d of %d runs falsely supported", c.Name, c.Accused, c.Runs)
		}
		switch c.Name {
		case "relay":
			if n := c.Verdicts[probe.PropDerived][probe.VerdictSupported]; n != c.Runs {
				t.Errorf("relay: depends on our outputs supported in %d of %d runs", n, c.Runs)
			}
		case "cherry-picked-file":
			// The positive control of the request-log check: with no relay
			// in the log, it lets "trained" through (as "if complete")
			// where the answers differ from our service's.
			if n := c.Verdicts[probe.PropTrained][probe.VerdictConditional]; n == 0 {
				t.Errorf("cherry-picked file: trained conditional in %d of %d runs (%v)", n, c.Runs, c.Verdicts)
			}
		case "cherry-picked-file-loose":
			if n := c.Verdicts[probe.PropDerived][probe.VerdictWithheld]; n != c.Runs {
				t.Errorf("loose cherry-picked file: withheld in %d of %d runs (%v)", n, c.Runs, c.Verdicts)
			}
		}
	}
	if len(res.Cases) != len(InnocentCaseNames()) {
		t.Errorf("%d cases ran, want %d", len(res.Cases), len(InnocentCaseNames()))
	}
}
