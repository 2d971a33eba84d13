package experiments

import (
	"context"
	"testing"

	"forensics/internal/measure"
)

// TestCasesSmall runs the case-key experiments small (QuickCases) and
// checks
// what must hold at any size. Thresholds were written from the design
// before the first run: a student trained only on case-key text shows the
// case key (p ≤ 1e-6) and not the master key (p > 1e-4, i.e. no more than
// chance at that level); at most 2 of the 24 innocent students are
// wrongly attributed (weighted Holm at α = 0.01 bounds each run's chance
// by 0.01, so 3 or more of 24 has probability below 0.002, and fewer runs
// less); and every other-case student is attributed to its own case. In
// the world, every student is attributed to exactly the cases whose text
// it was trained on.
func TestCasesSmall(t *testing.T) {
	o := QuickCases()
	// Smaller than --quick where it does not weaken the checks: the null
	// runs (10: two of each kind) and the power students.
	o.Runs, o.NullAnswers, o.NullPrompts, o.Answers, o.ProbePrompts = 10, 150, 80, 200, 120
	if measure.Enabled() {
		o = DefaultCases()
	}
	o.Progress = func(s string) { t.Log(s) }
	r, err := Cases(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if r.World == nil {
		t.Fatal("no world")
	}
	for _, s := range r.World.Students {
		if !s.Correct {
			t.Errorf("student %s: attributed %v, expected %v", s.Name, s.Attributed, s.Expect)
		}
	}
	if len(r.World.Cases) != 2 || r.World.Served["case-0001"] == 0 || r.World.Served["case-0002"] == 0 {
		t.Errorf("world: cases %v, served %v", r.World.Cases, r.World.Served)
	}
	full := r.Power[0]
	if full.Share != 1 || full.Case.Log10P > -6 || full.Master.Log10P <= -4 {
		t.Errorf("student of case-key text only: case key log10 p %.1f, master key %.1f", full.Case.Log10P, full.Master.Log10P)
	}
	fa := r.False
	if fa.Runs != o.Runs || fa.Wrong > 2+o.Runs/50 {
		t.Errorf("false attribution: %d wrong of %d runs", fa.Wrong, fa.Runs)
	}
	if fa.TrueTested == 0 || fa.TrueFound != fa.TrueTested {
		t.Errorf("other-case students attributed to their own case in %d of %d runs", fa.TrueFound, fa.TrueTested)
	}
	t.Log(CasesMarkdown(r))
}
