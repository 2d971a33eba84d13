package report

import (
	"fmt"
	"image/color"
	"math"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"forensics/internal/termsafe"
	"forensics/probe"
	"forensics/stats"
)

// greenFigure is the green-share figure in a report's layout.
func greenFigure(t *probe.TestResult, layout int) []Block {
	if layout == LayoutFirst {
		if p := greenPlot(t); p != nil {
			return []Block{Figure{Name: "green-fraction", Caption: "Share of green pairs: the suspect and the controls with 95% intervals, the keys never used (grey) and the chance level (dashed).", Plot: p}}
		}
		return nil
	}
	p, h := greenDistPlot(t)
	if p == nil {
		return nil
	}
	return []Block{Figure{Name: "green-fraction", Height: h, Plot: p,
		Caption: "Share of green pairs, one row each: the suspect and the controls, each a point with its exact 95% interval; at the bottom the suspect's answers scored under keys never used, which show what chance gives (box: quartiles and median; whiskers: the furthest within 1.5 times the box's width; every key a grey dot); the dashed line is the chance level γ."}}
}

// greenRow is one marked row of the green-share figure: a set of answers
// scored under our key, with its 95% interval.
type greenRow struct {
	label string
	k, n  int
	c     color.Color
}

// greenDistPlot shows the green shares one row each, named on the axis so
// that no name overlaps another however many controls there are: the
// suspect on top, the controls below it, each a point with its exact 95%
// interval; at the bottom the suspect's answers under the keys never used,
// as the distribution they are (a box of the quartiles and median,
// whiskers to the furthest share within 1.5 IQR, every key a grey dot);
// and the chance level γ as a dashed line, named at its top. It returns
// the figure's height, which grows with the rows.
func greenDistPlot(t *probe.TestResult) (*plot.Plot, vg.Length) {
	d := t.Radioactivity
	if d == nil || d.TokensScored == 0 {
		return nil, 0
	}
	rows := []greenRow{{"suspect", d.Green, d.TokensScored, colSuspect}}
	for _, c := range d.Controls {
		rows = append(rows, greenRow{axisLabel(c.Role), c.Green, c.TokensScored, colControl})
	}
	null := finite(d.Null.GreenFractions)
	n := len(rows)
	if len(null) > 0 {
		n++
	}
	// Row i from the top is drawn at y = n−1−i.
	names := make([]string, n)
	p := newPlot("Share of green pairs", "share of green pairs (95% intervals)", "")
	lo, hi := d.Gamma, d.Gamma
	for i, r := range rows {
		y := float64(n - 1 - i)
		names[n-1-i] = r.label
		if r.n == 0 {
			names[n-1-i] = r.label + " (no pairs)"
			continue
		}
		l, h := addGreenRow(p, r, y)
		lo, hi = math.Min(lo, l), math.Max(hi, h)
	}
	var onTop []plot.Plotter
	if len(null) > 0 {
		names[0] = fmt.Sprintf("unused keys (%d)", len(null))
		var l, h float64
		l, h, onTop = addNullRow(p, null)
		lo, hi = math.Min(lo, l), math.Max(hi, h)
	}
	top := float64(n) - 0.5 + 0.35 // room above the top row for γ's name
	gl := vline(d.Gamma, -0.5, top, color.Black, vg.Points(4), vg.Points(3))
	gn, _ := plotter.NewLabels(plotter.XYLabels{XYs: []plotter.XY{{X: d.Gamma, Y: top - 0.3}}, Labels: []string{fmt.Sprintf("chance level γ = %g", d.Gamma)}})
	gn.TextStyle[0].Font.Size = vg.Points(8)
	gn.Offset = vg.Point{X: vg.Points(3)}
	p.Add(gl, gn)
	p.Add(onTop...)
	for i := range names {
		// A margin at the canvas's left edge, which a viewer's font may
		// otherwise cross.
		names[i] = "\u2002" + names[i]
	}
	p.NominalY(names...)
	pad := 0.06 * math.Max(hi-lo, 0.02)
	p.X.Min, p.X.Max = lo-pad, hi+4*pad // γ's name reads to the right of the line
	p.Y.Min, p.Y.Max = -0.5, top
	return p, max(figureH, vg.Length(n+3)*0.75*vg.Centimeter)
}

// addGreenRow draws one row's share and its exact 95% interval with caps,
// and returns the interval.
func addGreenRow(p *plot.Plot, r greenRow, y float64) (lo, hi float64) {
	f := float64(r.k) / float64(r.n)
	lo, hi, _ = stats.ClopperPearson(r.k, r.n, 0.95)
	bar, _ := plotter.NewLine(plotter.XYs{{X: lo, Y: y}, {X: hi, Y: y}})
	bar.Color, bar.Width = r.c, vg.Points(1.5)
	capLo := vline(lo, y-0.12, y+0.12, r.c)
	capHi := vline(hi, y-0.12, y+0.12, r.c)
	s, _ := plotter.NewScatter(plotter.XYs{{X: f, Y: y}})
	s.GlyphStyle.Color, s.GlyphStyle.Radius, s.GlyphStyle.Shape = r.c, vg.Points(3.5), draw.CircleGlyph{}
	p.Add(bar, capLo, capHi, s)
	return lo, hi
}

// addNullRow draws the unused keys' shares at y = 0: every key a dot,
// spread over the row's height in a fixed pattern so that equal shares
// stay visible, and over them a box plot; it returns their range. When
// every key has the same share the box is a line, which the γ line may
// cover: it returns instead a marker to draw over γ (onTop), an outlined
// square around a grey dot.
func addNullRow(p *plot.Plot, null []float64) (lo, hi float64, onTop []plot.Plotter) {
	xy := make(plotter.XYs, len(null))
	lo, hi = null[0], null[0]
	for i, g := range null {
		frac := math.Mod(float64(i)*0.6180339887, 1) // low-discrepancy spread
		xy[i] = plotter.XY{X: g, Y: 0.3 * (frac - 0.5)}
		lo, hi = math.Min(lo, g), math.Max(hi, g)
	}
	s, _ := plotter.NewScatter(xy)
	s.GlyphStyle.Color, s.GlyphStyle.Radius, s.GlyphStyle.Shape = colNull, vg.Points(1.3), draw.CircleGlyph{}
	if lo == hi {
		m, _ := plotter.NewScatter(plotter.XYs{{X: lo, Y: 0}})
		m.GlyphStyle.Color, m.GlyphStyle.Radius, m.GlyphStyle.Shape = color.Black, vg.Points(7), draw.SquareGlyph{}
		dot, _ := plotter.NewScatter(plotter.XYs{{X: lo, Y: 0}})
		dot.GlyphStyle.Color, dot.GlyphStyle.Radius, dot.GlyphStyle.Shape = colNull, vg.Points(4), draw.CircleGlyph{}
		return lo, hi, []plot.Plotter{m, dot}
	}
	box, err := plotter.NewBoxPlot(vg.Points(22), 0, plotter.Values(null))
	if err != nil {
		p.Add(s)
		return lo, hi, nil
	}
	box.Horizontal = true
	box.BoxStyle.Color, box.BoxStyle.Width = color.Black, vg.Points(0.8)
	box.MedianStyle.Color, box.MedianStyle.Width = color.Black, vg.Points(1.6)
	box.WhiskerStyle.Color, box.WhiskerStyle.Width, box.WhiskerStyle.Dashes = color.Black, vg.Points(0.8), nil
	box.GlyphStyle.Radius = 0 // every key is already a dot
	p.Add(s, box)
	return lo, hi, nil
}

// maxAxisLabel bounds a row's name, in runes: a control's role comes from
// results.json, and a name of a hundred characters left the plot no
// width (its coordinates NaN).
const maxAxisLabel = 40

// axisLabel is a row's name, escaped as the report's text is and clipped.
func axisLabel(s string) string {
	s = termsafe.Document(s)
	if utf8.RuneCountInString(s) <= maxAxisLabel {
		return s
	}
	return string([]rune(s)[:maxAxisLabel-1]) + "…"
}

// finite drops the values that are not finite numbers (results.json
// cannot carry them, but the figure must not panic on them).
func finite(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}

func vline(x, y0, y1 float64, c color.Color, dashes ...vg.Length) *plotter.Line {
	l, _ := plotter.NewLine(plotter.XYs{{X: x, Y: y0}, {X: x, Y: y1}})
	l.Color = c
	l.Dashes = dashes
	return l
}
