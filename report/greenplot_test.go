package report

import (
	"math"
	"strings"
	"testing"

	"forensics/probe"
)

// greenSVG renders the green-share figure of the current layout.
func greenSVG(t *testing.T, d *probe.RadioDetail) string {
	t.Helper()
	figs := greenFigure(&probe.TestResult{Name: probe.TestRadioactivity, Radioactivity: d}, CurrentLayout)
	if len(figs) != 1 {
		t.Fatalf("%d figures", len(figs))
	}
	svg, err := svgOf(figs[0].(Figure))
	if err != nil {
		t.Fatal(err)
	}
	return string(svg)
}

// TestGreenFigureHostileResults: the figure of results.json's values at
// their edges. A role of a hundred characters left the plot no width
// (NaN coordinates, no data), a NaN among the unused keys' shares
// panicked, and unused keys that all share γ drew a line under γ's.
func TestGreenFigureHostileResults(t *testing.T) {
	long := strings.Repeat("very-long-control-role-name-", 4) + "\u202e"
	d := &probe.RadioDetail{Gamma: 0.25, Green: 300, TokensScored: 1000,
		Controls: []probe.ControlScore{{Role: long, Green: 250, TokensScored: 1000}}}
	d.Null.GreenFractions = []float64{0.24, 0.26, 0.25}
	svg := greenSVG(t, d)
	if strings.Contains(svg, "NaN") || !strings.Contains(svg, "very-long-control-role-name-very-long-c…") || strings.ContainsRune(svg, '\u202e') {
		t.Errorf("a long role: NaN %v, clipped %v, bidi %v", strings.Contains(svg, "NaN"), strings.Contains(svg, "…"), strings.ContainsRune(svg, '\u202e'))
	}

	d.Controls = nil
	d.Null.GreenFractions = []float64{math.NaN(), 0.24, math.Inf(1), 0.26}
	if svg := greenSVG(t, d); strings.Contains(svg, "NaN") || !strings.Contains(svg, "unused keys (2)") {
		t.Error("non-finite shares: NaN in the figure or counted as keys")
	}
	d.Null.GreenFractions = []float64{math.NaN()}
	if svg := greenSVG(t, d); strings.Contains(svg, "NaN") || strings.Contains(svg, "unused keys") {
		t.Error("only non-finite shares: drawn as a row")
	}

	for _, g := range []float64{0.25, 0.3} {
		null := []float64{g, g, g, g}
		if _, _, onTop := addNullRow(newPlot("", "", ""), null); len(onTop) == 0 {
			t.Errorf("unused keys all at %g: no marker drawn over γ", g)
		}
		d.Null.GreenFractions = null
		svg := greenSVG(t, d)
		gamma := strings.LastIndex(svg, "stroke-dasharray")
		if gamma < 0 || !strings.Contains(svg[gamma:], "fill:#999999") {
			t.Errorf("unused keys all at %g: nothing drawn after the γ line", g)
		}
	}
	if _, _, onTop := addNullRow(newPlot("", "", ""), []float64{0.24, 0.26}); onTop != nil {
		t.Error("a spread of shares drew the marker")
	}
}
