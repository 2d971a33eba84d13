package bench

import (
	"context"
	"strings"
	"testing"
)

// TestRun measures everything once and checks the rows are complete and
// the logic-bound ones hold (no speed is asserted: that would be a timed
// test). Speculative acceptance must need fewer upstream requests than
// tokens; the whole scan cannot outrun its own per-request part by much.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("about 15 seconds")
	}
	rows, err := Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		if !(r.Value > 0) {
			t.Errorf("%s: %v", r.Name, r.Value)
		}
		if r.Baseline != "" && !(r.Ratio > 0) {
			t.Errorf("%s: no ratio to %s", r.Name, r.Baseline)
		}
		if strings.Contains(r.Name, "speculative") && !(r.Value < 1) {
			t.Errorf("speculative acceptance needs %v round trips per token", r.Value)
		}
	}
}
