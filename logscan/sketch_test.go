package logscan

import (
	"math"
	"testing"
)

// sketchOf sketches the minutes [from, to).
func sketchOf(from, to int64) *minuteSketch {
	k := &minuteSketch{}
	for m := from; m < to; m++ {
		k.add(m)
		k.add(m) // a second request in the same minute changes nothing
	}
	return k
}

func TestMinuteSketchJaccard(t *testing.T) {
	cases := []struct {
		name   string
		a, b   *minuteSketch
		want   float64
		within float64
	}{
		{"same minutes", sketchOf(0, 500), sketchOf(0, 500), 1, 0},
		{"disjoint", sketchOf(0, 500), sketchOf(10_000, 10_500), 0, 0.05},
		{"half", sketchOf(0, 600), sketchOf(200, 800), 400.0 / 800, 0.2},
		{"a fifth", sketchOf(0, 600), sketchOf(400, 1000), 200.0 / 1000, 0.15},
		{"empty", &minuteSketch{}, sketchOf(0, 10), 0, 0},
	}
	for _, c := range cases {
		if got := c.a.jaccard(c.b); math.Abs(got-c.want) > c.within {
			t.Errorf("%s: Jaccard %.3f, want %.3f ± %.2f", c.name, got, c.want, c.within)
		}
	}
	if k := sketchOf(0, 500); k.minutes != 500 {
		t.Errorf("counted %d minutes, want 500", k.minutes)
	}
}

// TestMinuteSketchMergeIsUnion: merging two sketches gives the sketch of
// the union of their minutes.
func TestMinuteSketchMergeIsUnion(t *testing.T) {
	a, b := sketchOf(0, 300), sketchOf(200, 700)
	a.merge(b)
	if union := sketchOf(0, 700); a.mins != union.mins {
		t.Error("merged sketch differs from the union's")
	}
	empty := &minuteSketch{}
	empty.merge(b)
	if empty.mins != b.mins || empty.minutes != b.minutes {
		t.Error("merge into an empty sketch is not a copy")
	}
}

// TestMinuteSketchSizeFixed: an account's schedule state does not grow
// with the log's time span: adding minutes never allocates.
func TestMinuteSketchSizeFixed(t *testing.T) {
	k := &minuteSketch{}
	m := int64(0)
	if allocs := testing.AllocsPerRun(100_000, func() { m += 7; k.add(m) }); allocs != 0 {
		t.Errorf("%.2f allocations a minute", allocs)
	}
	if k.minutes < 100_000 {
		t.Errorf("counted %d minutes", k.minutes)
	}
}

// TestSketchBands: sketches at Jaccard 1 share every band; disjoint
// minute sets share none (a band key collision of 3 rows is ~2⁻⁹⁶).
func TestSketchBands(t *testing.T) {
	a, b, c := sketchOf(0, 400), sketchOf(0, 400), sketchOf(50_000, 50_400)
	for i := 0; i < sketchBands; i++ {
		if a.band(i) != b.band(i) {
			t.Errorf("band %d differs for equal sets", i)
		}
		if a.band(i) == c.band(i) {
			t.Errorf("band %d equal for disjoint sets", i)
		}
	}
}
