package report

import (
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"forensics/probe"
	"forensics/stats"
)

var (
	colSuspect = color.RGBA{R: 0xb2, G: 0x22, B: 0x22, A: 0xff}
	colControl = color.RGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}
	colNull    = color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
)

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.TextStyle.Font.Size = vg.Points(9)
	p.Y.Label.TextStyle.Font.Size = vg.Points(9)
	p.X.Tick.Label.Font.Size = vg.Points(8)
	p.Y.Tick.Label.Font.Size = vg.Points(8)
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Legend.Top = true
	return p
}

func hline(y, x0, x1 float64, c color.Color, dashes ...vg.Length) *plotter.Line {
	l, _ := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	l.Color = c
	l.Dashes = dashes
	return l
}

// greenPlot shows green fractions: suspect and controls with 95% intervals,
// the null keys as a grey strip, and γ. It is the figure of LayoutFirst,
// kept for the bundles rendered with it (greenDistPlot replaced it: the
// unused keys' strip read as a smear, and the names on one axis collided).
func greenPlot(t *probe.TestResult) *plot.Plot {
	d := t.Radioactivity
	if d == nil || d.TokensScored == 0 {
		return nil
	}
	p := newPlot("Share of green pairs", "", "green share")
	type point struct {
		label string
		k, n  int
		c     color.Color
	}
	pts := []point{{"suspect", d.Green, d.TokensScored, colSuspect}}
	for _, c := range d.Controls {
		pts = append(pts, point{c.Role, c.Green, c.TokensScored, colControl})
	}
	var names []string
	for i, pt := range pts {
		names = append(names, pt.label)
		if pt.n == 0 {
			continue
		}
		f := float64(pt.k) / float64(pt.n)
		lo, hi, _ := stats.ClopperPearson(pt.k, pt.n, 0.95)
		s, _ := plotter.NewScatter(plotter.XYs{{X: float64(i), Y: f}})
		s.GlyphStyle.Color = pt.c
		s.GlyphStyle.Radius = vg.Points(3)
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		bar, _ := plotter.NewLine(plotter.XYs{{X: float64(i), Y: lo}, {X: float64(i), Y: hi}})
		bar.Color = pt.c
		bar.Width = vg.Points(1.5)
		p.Add(bar, s)
	}
	if null := finite(d.Null.GreenFractions); len(null) > 0 {
		x := float64(len(pts))
		names = append(names, "unused keys")
		xy := make(plotter.XYs, len(null))
		for i, g := range null {
			// A fixed spread so the points do not sit on each other.
			xy[i] = plotter.XY{X: x - 0.2 + 0.4*float64(i)/float64(len(xy)), Y: g}
		}
		s, _ := plotter.NewScatter(xy)
		s.GlyphStyle.Color = colNull
		s.GlyphStyle.Radius = vg.Points(1.2)
		p.Add(s)
	}
	gl := hline(d.Gamma, -0.5, float64(len(names))-0.5, color.Black, vg.Points(4), vg.Points(3))
	p.Add(gl)
	p.Legend.Add("chance level γ", gl)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
	return p
}

// curvePlot is −log10 p against scored pairs as answers accumulate.
func curvePlot(t *probe.TestResult) *plot.Plot {
	d := t.Radioactivity
	if d == nil || len(d.Curve) < 2 {
		return nil
	}
	p := newPlot("Evidence against the number of scored pairs", "scored pairs", "−log10 p")
	xy := make(plotter.XYs, len(d.Curve))
	for i, c := range d.Curve {
		xy[i] = plotter.XY{X: float64(c.Scored), Y: math.Max(0, -c.Log10P)}
	}
	l, _ := plotter.NewLine(xy)
	l.Color = colSuspect
	l.Width = vg.Points(1.5)
	xmax := xy[len(xy)-1].X
	a := hline(-math.Log10(t.AlphaShare), 0, xmax, color.Black, vg.Points(1), vg.Points(2))
	six := hline(6, 0, xmax, colNull, vg.Points(4), vg.Points(3))
	p.Add(l, a, six)
	p.Legend.Add("suspect", l)
	p.Legend.Add("share of α", a)
	p.Legend.Add("p = 1e-6", six)
	p.Legend.Left = true
	return p
}

// qqPlot compares the unused keys' p-values with the uniform distribution,
// on the −log10 scale where small p-values are visible.
func qqPlot(t *probe.TestResult) *plot.Plot {
	d := t.Radioactivity
	if d == nil || len(d.Null.Log10P) < 2 {
		return nil
	}
	obs := append([]float64(nil), d.Null.Log10P...)
	sort.Float64s(obs) // most significant first
	n := float64(len(obs))
	xy := make(plotter.XYs, len(obs))
	top := 0.0
	for i, lp := range obs {
		exp := -math.Log10((float64(i) + 0.5) / n)
		xy[i] = plotter.XY{X: exp, Y: -lp}
		top = math.Max(top, math.Max(exp, -lp))
	}
	p := newPlot("Unused keys: p-values against uniform", "expected −log10 p", "observed −log10 p")
	s, _ := plotter.NewScatter(xy)
	s.GlyphStyle.Color = colNull
	s.GlyphStyle.Radius = vg.Points(2)
	diag, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: top, Y: top}})
	diag.Color = color.Black
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(diag, s)
	return p
}
