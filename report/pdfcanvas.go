package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"

	"github.com/go-pdf/fpdf"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// pdfCanvas is a vg.Canvas that draws a plot into a region of a page of
// an fpdf document, so that figures are vector graphics inside the one
// report PDF. It follows gonum's vgpdf, but registers the plot fonts as
// UTF-8 TrueType fonts, so that "−", "≤" and Greek letters render (vgpdf
// encodes text as cp1252).
type pdfCanvas struct {
	doc    *fpdf.Fpdf
	fonts  map[string]bool
	widths []vg.Length
	images int
}

// drawRegion sets up the transform for a plot whose top-left corner is at
// (x, y) on the page (in points), h points tall, runs draw, and restores.
func (c *pdfCanvas) drawRegion(x, y, h float64, draw func()) {
	c.doc.TransformBegin()
	// fpdf coordinates run down from the top; vg's run up from the bottom
	// of the plot: translate to the plot's bottom-left, then flip.
	c.doc.TransformTranslate(x, y+h)
	c.doc.TransformScale(100, -100, 0, 0)
	c.widths = []vg.Length{1}
	c.doc.SetLineWidth(1)
	draw()
	c.doc.TransformEnd()
}

func (c *pdfCanvas) SetLineWidth(w vg.Length) {
	c.widths[len(c.widths)-1] = w
	c.doc.SetLineWidth(w.Points())
}

func (c *pdfCanvas) SetLineDash(dashes []vg.Length, offs vg.Length) {
	ds := make([]float64, len(dashes))
	for i, d := range dashes {
		ds[i] = d.Points()
	}
	c.doc.SetDashPattern(ds, offs.Points())
}

func (c *pdfCanvas) SetColor(clr color.Color) {
	if clr == nil {
		clr = color.Black
	}
	r, g, b, a := clr.RGBA()
	ri, gi, bi := 0, 0, 0
	if a > 0 {
		ri, gi, bi = int(r*255/a), int(g*255/a), int(b*255/a)
	}
	c.doc.SetFillColor(ri, gi, bi)
	c.doc.SetDrawColor(ri, gi, bi)
	c.doc.SetTextColor(ri, gi, bi)
	c.doc.SetAlpha(float64(a)/0xffff, "Normal")
}

func (c *pdfCanvas) Rotate(r float64) { c.doc.TransformRotate(-r*180/math.Pi, 0, 0) }

func (c *pdfCanvas) Translate(pt vg.Point) { c.doc.TransformTranslate(pt.X.Points(), pt.Y.Points()) }

func (c *pdfCanvas) Scale(x, y float64) { c.doc.TransformScale(x*100, y*100, 0, 0) }

func (c *pdfCanvas) Push() {
	c.widths = append(c.widths, c.widths[len(c.widths)-1])
	c.doc.TransformBegin()
}

func (c *pdfCanvas) Pop() {
	c.doc.TransformEnd()
	c.widths = c.widths[:len(c.widths)-1]
	c.doc.SetLineWidth(c.widths[len(c.widths)-1].Points())
}

func (c *pdfCanvas) Stroke(p vg.Path) {
	if c.widths[len(c.widths)-1] > 0 {
		c.path(p, "D")
	}
}

func (c *pdfCanvas) Fill(p vg.Path) { c.path(p, "F") }

func (c *pdfCanvas) path(p vg.Path, style string) {
	var x0, y0 float64
	for _, comp := range p {
		switch comp.Type {
		case vg.MoveComp:
			x0, y0 = comp.Pos.X.Points(), comp.Pos.Y.Points()
			c.doc.MoveTo(x0, y0)
		case vg.LineComp:
			c.doc.LineTo(comp.Pos.X.Points(), comp.Pos.Y.Points())
		case vg.ArcComp:
			const deg = 180 / math.Pi
			sx := comp.Pos.X + comp.Radius*vg.Length(math.Cos(comp.Start))
			sy := comp.Pos.Y + comp.Radius*vg.Length(math.Sin(comp.Start))
			c.doc.LineTo(sx.Points(), sy.Points())
			r := comp.Radius.Points()
			beg := comp.Start * deg
			c.doc.Arc(comp.Pos.X.Points(), comp.Pos.Y.Points(), r, r, comp.Angle*deg, beg, beg+comp.Angle*deg, style)
			ex := comp.Pos.X + comp.Radius*vg.Length(math.Cos(comp.Start+comp.Angle))
			ey := comp.Pos.Y + comp.Radius*vg.Length(math.Sin(comp.Start+comp.Angle))
			c.doc.MoveTo(ex.Points(), ey.Points())
		case vg.CurveComp:
			px, py := comp.Pos.X.Points(), comp.Pos.Y.Points()
			switch len(comp.Control) {
			case 1:
				c.doc.CurveTo(comp.Control[0].X.Points(), comp.Control[0].Y.Points(), px, py)
			case 2:
				c.doc.CurveBezierCubicTo(comp.Control[0].X.Points(), comp.Control[0].Y.Points(), comp.Control[1].X.Points(), comp.Control[1].Y.Points(), px, py)
			}
		case vg.CloseComp:
			c.doc.LineTo(x0, y0)
			c.doc.ClosePath()
		}
	}
	c.doc.DrawPath(style)
}

func (c *pdfCanvas) FillString(fnt font.Face, pt vg.Point, str string) {
	if fnt.Font.Size == 0 {
		return
	}
	name := "plot-" + fnt.Name()
	if !c.fonts[name] {
		var raw bytes.Buffer
		if _, err := fnt.Face.WriteSourceTo(nil, &raw); err != nil {
			c.doc.SetError(err)
			return
		}
		c.doc.AddUTF8FontFromBytes(name, "", raw.Bytes())
		c.fonts[name] = true
	}
	c.doc.SetFont(name, "", fnt.Font.Size.Points())
	c.Push()
	defer c.Pop()
	c.Translate(pt)
	c.Scale(1, -1) // text runs the right way up
	_, h := c.doc.GetFontSize()
	desc := c.doc.GetFontDesc(name, "")
	top := 0.81 * h
	if desc.Ascent != 0 {
		top = -float64(desc.Ascent) * h / float64(desc.Ascent-desc.Descent)
	}
	str = pdfSafe(str)
	w := c.doc.GetStringWidth(str)
	c.doc.MoveTo(-c.doc.GetCellMargin(), top)
	c.doc.CellFormat(w, h, str, "", 0, "BL", false, 0, "")
}

func (c *pdfCanvas) DrawImage(rect vg.Rectangle, img image.Image) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		c.doc.SetError(err)
		return
	}
	c.images++
	name := "plot-image-" + strconv.Itoa(c.images)
	opts := fpdf.ImageOptions{ImageType: "png"}
	c.doc.RegisterImageOptionsReader(name, opts, &buf)
	sz := rect.Size()
	c.doc.ImageOptions(name, rect.Min.X.Points(), rect.Min.Y.Points(), sz.X.Points(), sz.Y.Points(), false, opts, 0, "")
}
