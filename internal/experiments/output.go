package experiments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

var palette = []color.Color{
	color.RGBA{0xb2, 0x22, 0x22, 0xff}, color.RGBA{0x1f, 0x5f, 0xa8, 0xff},
	color.RGBA{0x2e, 0x7d, 0x32, 0xff}, color.RGBA{0x6a, 0x1b, 0x9a, 0xff},
}

// savePlot writes a plot as SVG.
func savePlot(p *plot.Plot, path string) error {
	c := vgsvg.New(16*vg.Centimeter, 9*vg.Centimeter)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// WriteDistill writes distill.json, distill.md and one plot per h.
func WriteDistill(r *DistillResult, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "distill.json"), r); err != nil {
		return err
	}
	var md strings.Builder
	o := r.Options
	fmt.Fprintf(&md, "# Distillation experiment\n\nWritten by `forensics experiments distill` (%.0f s). Teacher: the embedded model (%s), answering %d harvest prompts (openings of held-out corpus paragraphs) with up to %d pieces at T = 0.8, once under a key of context width h and once without a watermark. Each student is a 4-gram model trained on %d (prompt, answer) pairs of which the stated fraction carry the watermark (the rest are the same teacher's unwatermarked answers). Each student then answers the first %d canary prompts (up to %d pieces), and the probe's radioactivity score (distinct tuples, prompt tuples left out, exact binomial tail) is computed under the key.\n\n",
		r.Seconds, r.Teacher, o.Answers, o.AnswerTokens, o.Answers, o.ProbePrompts, o.ProbeTokens)
	md.WriteString("| h | watermarked share | tuples scored | green share | log10 p | probe answers (pieces) to p ≤ 1e-6 |\n|---|---|---|---|---|---|\n")
	for _, c := range r.Cells {
		reach := "not reached"
		if c.AnswersTo1e6 > 0 {
			reach = fmt.Sprintf("%d (%d)", c.AnswersTo1e6, c.TokensTo1e6)
		}
		fmt.Fprintf(&md, "| %d | %g%% | %d | %.3f | %.1f | %s |\n", c.H, 100*c.Fraction, c.Scored, c.GreenFraction, c.Log10P, reach)
	}
	md.WriteString("\n")
	for _, h := range o.Widths {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("Student evidence, h = %d", h)
		p.X.Label.Text = "probe answer pieces"
		p.Y.Label.Text = "−log10 p"
		k := 0
		var xmax float64
		for _, c := range r.Cells {
			if c.H != h || len(c.Curve) == 0 {
				continue
			}
			xy := make(plotter.XYs, len(c.Curve))
			for i, pt := range c.Curve {
				xy[i] = plotter.XY{X: float64(pt.Tokens), Y: math.Max(0, -pt.Log10P)}
			}
			xmax = math.Max(xmax, xy[len(xy)-1].X)
			l, _ := plotter.NewLine(xy)
			l.Color = palette[k%len(palette)]
			l.Width = vg.Points(1.5)
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%g%% watermarked", 100*c.Fraction), l)
			k++
		}
		six, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 6}, {X: xmax, Y: 6}})
		six.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(six)
		p.Legend.Add("p = 1e-6", six)
		p.Legend.Top, p.Legend.Left = true, true
		name := fmt.Sprintf("distill-h%d.svg", h)
		if err := savePlot(p, filepath.Join(dir, name)); err != nil {
			return err
		}
		fmt.Fprintf(&md, "![h = %d](%s)\n\n", h, name)
	}
	return os.WriteFile(filepath.Join(dir, "distill.md"), []byte(md.String()), 0o644)
}

// CalibrationTable is the Markdown table of a calibration.
func CalibrationTable(r *CalibrationResult) string {
	var b strings.Builder
	b.WriteString("| null data | trials |")
	for _, a := range Alphas {
		fmt.Fprintf(&b, " α = %g |", a)
	}
	b.WriteString("\n|---|---|")
	for range Alphas {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, s := range r.Sets {
		fmt.Fprintf(&b, "| %s | %d |", s.Name, s.Trials)
		for _, rt := range s.Rates {
			fmt.Fprintf(&b, " %d (%.2g; 95%% CI %.2g–%.2g) |", rt.Hits, rt.Rate, rt.Lo, rt.Hi)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// WriteCalibration writes calibration.json, calibration.md and
// calibration.svg.
func WriteCalibration(r *CalibrationResult, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, "calibration.json"), r); err != nil {
		return err
	}
	var md strings.Builder
	fmt.Fprintf(&md, "# Calibration\n\nWritten by `forensics calibrate` (%s, %.0f s). Each cell: false positives (empirical rate; exact 95%% Clopper–Pearson interval) at the nominal level α.\n\n", r.Tool, r.Seconds)
	md.WriteString(CalibrationTable(r))
	md.WriteString("\n")
	for _, s := range r.Sets {
		fmt.Fprintf(&md, "- **%s**: %s.\n", s.Name, s.Description)
	}
	md.WriteString("\n![empirical against nominal false-positive rates](calibration.svg)\n")
	p := plot.New()
	p.Title.Text = "False positives: empirical against nominal"
	p.X.Label.Text = "nominal α"
	p.Y.Label.Text = "empirical rate"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	lo := 1e-5
	diag, _ := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: 0.05, Y: 0.05}})
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(diag)
	p.Legend.Add("nominal", diag)
	for k, s := range r.Sets {
		var seen, none plotter.XYs
		for _, rt := range s.Rates {
			// Sets are drawn side by side around each α.
			x := rt.Alpha * math.Pow(1.15, float64(k)-float64(len(r.Sets)-1)/2)
			if rt.Hits > 0 {
				seen = append(seen, plotter.XY{X: x, Y: rt.Rate})
				bar, _ := plotter.NewLine(plotter.XYs{{X: x, Y: math.Max(rt.Lo, lo)}, {X: x, Y: rt.Hi}})
				bar.Color = palette[k%len(palette)]
				p.Add(bar)
			} else {
				none = append(none, plotter.XY{X: x, Y: rt.Hi})
			}
		}
		if len(seen) > 0 {
			sc, _ := plotter.NewScatter(seen)
			sc.GlyphStyle.Color = palette[k%len(palette)]
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			sc.GlyphStyle.Radius = vg.Points(3)
			p.Add(sc)
			p.Legend.Add(s.Name, sc)
		}
		if len(none) > 0 {
			sc, _ := plotter.NewScatter(none)
			sc.GlyphStyle.Color = palette[k%len(palette)]
			sc.GlyphStyle.Shape = draw.TriangleGlyph{}
			sc.GlyphStyle.Radius = vg.Points(3)
			p.Add(sc)
			if len(seen) == 0 {
				p.Legend.Add(s.Name+" (none seen: 95% upper bound)", sc)
			}
		}
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 5e-5, 0.03, lo, 0.05
	p.Legend.Top, p.Legend.Left = true, true
	if err := savePlot(p, filepath.Join(dir, "calibration.svg")); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "calibration.md"), []byte(md.String()), 0o644)
}
