package bench

import (
	"context"
	"flag"
	"strings"
	"testing"

	"forensics/internal/measure"
)

// TestRun measures everything and checks the rows are complete and the
// logic-bound ones hold (no speed is asserted: that would be a timed
// test). Speculative acceptance must need fewer upstream requests than
// tokens. As a unit test each benchmark runs once (-benchtime 1x: every
// row is still computed, from one iteration, in about 2 s); under
// FORENSICS_MEASURE=1 at the usual benchtime (about 15 s).
func TestRun(t *testing.T) {
	if !measure.Enabled() {
		setBenchTime(t, "1x")
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

// setBenchTime sets testing.Benchmark's -test.benchtime for the test, as
// `go test -benchtime` would.
func setBenchTime(t *testing.T, d string) {
	t.Helper()
	f := flag.Lookup("test.benchtime")
	if f == nil {
		t.Fatal("no -test.benchtime flag")
	}
	old := f.Value.String()
	if err := f.Value.Set(d); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Value.Set(old) })
}
