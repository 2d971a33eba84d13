package experiments

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/internal/measure"
)

// TestSmallRuns runs both measurements at a small size and checks their
// outputs: files written, a fully watermarked student caught, and null
// data flagged at no more than about the nominal rate. The thresholds come
// from the reported runs (docs/experiments/distill.md: at h = 2 a fully
// watermarked student reaches p ≤ 1e-6 within one answer, an unwatermarked
// one stays near log10 p = 0; docs/calibration/calibration.md: human text
// flagged at 0.0086 at α = 0.01: 1,000 documents under one key each keep
// the interval's lower end below α, and would not at a rate of 3%).
// FORENSICS_MEASURE=1 runs them larger (more answers, the whole
// corpus under 12 keys, two null probes).
func TestSmallRuns(t *testing.T) {
	dir := t.TempDir()
	do := DistillOptions{Answers: 100, AnswerTokens: 60, Fractions: []float64{1, 0}, Widths: []int{2}, ProbePrompts: 30, ProbeTokens: 50, Seed: 3}
	co := CalibrateOptions{DocPieces: 200, Keys: 1, HumanDocs: 1000, Generations: 20, ProbeRuns: 1, ProbePrompt: 10, Seed: 4}
	if measure.Enabled() {
		do.Answers, do.AnswerTokens, do.ProbePrompts, do.ProbeTokens = 200, 80, 40, 60
		co.Keys, co.HumanDocs, co.Generations, co.ProbeRuns, co.ProbePrompt = 12, 0, 50, 2, 20
	}
	d, err := Distill(context.Background(), do)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Cells) != 2 || d.Cells[0].Log10P > -6 || d.Cells[1].Log10P < -3 {
		t.Errorf("cells %+v", d.Cells)
	}
	if err := WriteDistill(d, dir); err != nil {
		t.Fatal(err)
	}
	c, err := Calibrate(context.Background(), co, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sets) != 4 {
		t.Fatalf("%d null sets", len(c.Sets))
	}
	for _, s := range c.Sets {
		// Only the large sets can show a rate; a probe or two cannot.
		if r := s.Rates[0]; s.Trials >= 500 && r.Lo > 0.01 {
			t.Errorf("%s: %d/%d false positives at α = 0.01", s.Name, r.Hits, r.Trials)
		}
	}
	if err := WriteCalibration(c, dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"distill.json", "distill.md", "distill-h2.svg", "calibration.json", "calibration.md", "calibration.svg"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || len(b) == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "calibration.md"))
	if !strings.Contains(string(md), "human text") || !strings.Contains(string(md), "probe battery") {
		t.Errorf("calibration.md:\n%s", md)
	}
}
