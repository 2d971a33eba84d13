package experiments

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSmallRuns runs both measurements at a small size and checks their
// outputs: files written, a fully watermarked student caught, and null
// data flagged at no more than about the nominal rate.
func TestSmallRuns(t *testing.T) {
	dir := t.TempDir()
	d, err := Distill(context.Background(), DistillOptions{Answers: 200, AnswerTokens: 80, Fractions: []float64{1, 0}, Widths: []int{2}, ProbePrompts: 40, ProbeTokens: 60, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Cells) != 2 || d.Cells[0].Log10P > -6 || d.Cells[1].Log10P < -3 {
		t.Errorf("cells %+v", d.Cells)
	}
	if err := WriteDistill(d, dir); err != nil {
		t.Fatal(err)
	}
	c, err := Calibrate(context.Background(), CalibrateOptions{DocPieces: 200, Keys: 12, Generations: 50, ProbeRuns: 2, ProbePrompt: 20, Seed: 4}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sets) != 4 {
		t.Fatalf("%d null sets", len(c.Sets))
	}
	for _, s := range c.Sets {
		// Only the large sets can show a rate; two probes cannot.
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
