package report

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-fonts/liberation/liberationmonoregular"
	"codeberg.org/go-fonts/liberation/liberationserifbold"
	"codeberg.org/go-fonts/liberation/liberationserifitalic"
	"codeberg.org/go-fonts/liberation/liberationserifregular"
	"github.com/go-pdf/fpdf"
	"gonum.org/v1/plot/vg/draw"

	"forensics/internal/termsafe"
)

// Page geometry, in points (A4).
const (
	pageMargin = 56.0
	bodySize   = 10.5
	lineHeight = 14.0
)

// pdfSafe makes text from the bundle safe to set, as Markdown and HTML
// do (termsafe.Document: control characters and bidirectional controls
// become visible escapes, so ESC, BEL and NUL show as \x1b, \x07, \x00 and
// U+202E cannot reorder a line), and replaces what the embedded fonts
// cannot carry: characters outside the Basic Multilingual Plane (fpdf
// indexes glyph widths by a 16-bit rune).
func pdfSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r > 0xFFFF {
			return '\uFFFD'
		}
		return r
	}, termsafe.Document(s))
}

// pdfLine is pdfSafe for text set as one line (the title, the subtitle, a
// heading): a newline or tab in it shows as an escape, so a title cannot
// add a line to the title page that reads as the report's own.
func pdfLine(s string) string { return lineBreaks.Replace(pdfSafe(s)) }

var lineBreaks = strings.NewReplacer("\n", `\n`, "\t", `\t`)

// PDF renders the document as a PDF with embedded Liberation fonts
// (SIL Open Font License) and vector figures. Its creation date is the
// document's date, so the same bundle gives the same bytes.
func PDF(d *Document) ([]byte, error) {
	doc := fpdf.New("P", "pt", "A4", "")
	doc.SetCatalogSort(true)
	when, err := time.Parse(time.RFC3339, d.Date)
	if err != nil {
		return nil, fmt.Errorf("report date %q: %w", d.Date, err)
	}
	doc.SetCreationDate(when)
	doc.SetModificationDate(when)
	doc.SetTitle(pdfLine(d.Title), true)
	doc.SetCreator("forensics report", true)
	doc.SetProducer("forensics report (go-pdf/fpdf)", true)
	doc.AddUTF8FontFromBytes("serif", "", liberationserifregular.TTF)
	doc.AddUTF8FontFromBytes("serif", "B", liberationserifbold.TTF)
	doc.AddUTF8FontFromBytes("serif", "I", liberationserifitalic.TTF)
	doc.AddUTF8FontFromBytes("mono", "", liberationmonoregular.TTF)
	doc.SetMargins(pageMargin, pageMargin, pageMargin)
	doc.SetAutoPageBreak(true, pageMargin)
	footer := pdfLine(d.Title)
	doc.SetFooterFunc(func() {
		doc.SetY(-pageMargin + 16)
		doc.SetFont("serif", "I", 8)
		doc.SetTextColor(110, 110, 110)
		doc.CellFormat(0, 10, fmt.Sprintf("%s — page %d", footer, doc.PageNo()), "", 0, "C", false, 0, "")
		doc.SetTextColor(0, 0, 0)
	})
	p := &pdfWriter{doc: doc, canvas: &pdfCanvas{doc: doc, fonts: map[string]bool{}}}
	doc.AddPage()
	p.width, _ = doc.GetPageSize()
	p.width -= 2 * pageMargin
	doc.SetFont("serif", "B", 20)
	doc.MultiCell(0, 24, pdfLine(d.Title), "", "L", false)
	if d.Subtitle != "" {
		doc.SetFont("serif", "I", 10)
		doc.SetTextColor(90, 90, 90)
		doc.MultiCell(0, 13, pdfLine(d.Subtitle), "", "L", false)
		doc.SetTextColor(0, 0, 0)
	}
	doc.Ln(6)
	for _, b := range d.Blocks {
		if err := p.block(b); err != nil {
			return nil, err
		}
		if err := doc.Error(); err != nil {
			return nil, fmt.Errorf("render PDF: %w", err)
		}
	}
	var buf bytes.Buffer
	if err := doc.Output(&buf); err != nil {
		return nil, fmt.Errorf("render PDF: %w", err)
	}
	return buf.Bytes(), nil
}

type pdfWriter struct {
	doc    *fpdf.Fpdf
	canvas *pdfCanvas
	width  float64
}

// room starts a new page unless h points fit above the bottom margin.
func (p *pdfWriter) room(h float64) {
	_, ph := p.doc.GetPageSize()
	if p.doc.GetY()+h > ph-pageMargin {
		p.doc.AddPage()
	}
}

func (p *pdfWriter) atTop() bool { return p.doc.GetY() <= pageMargin+1 }

// block sets one block of the document.
func (p *pdfWriter) block(b Block) error {
	switch x := b.(type) {
	case Heading:
		p.heading(x)
	case Para:
		p.para(x)
	case List:
		p.list(x)
	case KeyValue:
		p.keyValue(x)
	case Table:
		p.table(x)
	case Pre:
		p.pre(x)
	case Figure:
		p.figure(x)
	}
	return nil
}

func (p *pdfWriter) heading(x Heading) {
	doc := p.doc
	if x.PageBreak && !p.atTop() {
		doc.AddPage()
	}
	size := 15.0
	if x.Level > 1 {
		size = 12.0
	}
	p.room(size*2 + 3*lineHeight) // keep a heading with what follows
	doc.Ln(size * 0.5)
	doc.SetFont("serif", "B", size)
	doc.MultiCell(0, size*1.25, pdfLine(x.Text), "", "L", false)
	doc.Ln(3)
}

func (p *pdfWriter) para(x Para) {
	style := ""
	if x.Strong {
		style = "B"
	}
	p.doc.SetFont("serif", style, bodySize)
	p.doc.MultiCell(0, lineHeight, pdfSafe(x.Text), "", "L", false)
	p.doc.Ln(4)
}

func (p *pdfWriter) list(x List) {
	doc := p.doc
	doc.SetFont("serif", "", bodySize)
	for _, it := range x.Items {
		lines := doc.SplitText(pdfSafe(it), p.width-14)
		p.room(float64(len(lines)) * lineHeight)
		y := doc.GetY()
		doc.SetXY(pageMargin, y)
		doc.CellFormat(14, lineHeight, "•", "", 0, "L", false, 0, "")
		doc.SetXY(pageMargin+14, y)
		doc.MultiCell(p.width-14, lineHeight, pdfSafe(it), "", "L", false)
	}
	doc.Ln(4)
}

// kvLabelWidth is the width of a key-value block's label column.
const kvLabelWidth = 150.0

func (p *pdfWriter) keyValue(x KeyValue) {
	doc := p.doc
	for _, kv := range x.Pairs {
		doc.SetFont("serif", "", bodySize)
		valueSize := p.valueSize(kv[1])
		vl := doc.SplitText(pdfSafe(kv[1]), p.width-kvLabelWidth)
		if valueSize != bodySize {
			vl = vl[:1]
		}
		ll := doc.SplitText(pdfSafe(kv[0]), kvLabelWidth)
		h := float64(max(len(vl), len(ll), 1)) * lineHeight
		p.room(h)
		y := doc.GetY()
		doc.SetTextColor(90, 90, 90)
		doc.SetXY(pageMargin, y)
		doc.MultiCell(kvLabelWidth, lineHeight, pdfSafe(kv[0]), "", "L", false)
		doc.SetTextColor(0, 0, 0)
		doc.SetXY(pageMargin+kvLabelWidth, y)
		doc.SetFont("serif", "", valueSize)
		doc.MultiCell(p.width-kvLabelWidth, lineHeight, pdfSafe(kv[1]), "", "L", false)
		doc.SetFont("serif", "", bodySize)
		doc.SetXY(pageMargin, y+h)
	}
	doc.Ln(4)
}

// valueSize is the font size of a key-value block's value, with the body
// font set: a value that is one word (a hash) is set smaller rather than
// broken inside, since a copied hash must read whole.
func (p *pdfWriter) valueSize(value string) float64 {
	v := pdfSafe(value)
	if strings.ContainsAny(v, " \n") {
		return bodySize
	}
	if w := p.doc.GetStringWidth(v); w > (p.width-kvLabelWidth)*0.9 {
		return max(6, bodySize*(p.width-kvLabelWidth)/w*0.9) // MultiCell keeps a margin inside the cell
	}
	return bodySize
}

func (p *pdfWriter) pre(x Pre) {
	doc := p.doc
	doc.SetFont("mono", "", 7.5)
	doc.SetFillColor(245, 246, 248)
	for _, line := range strings.Split(pdfSafe(x.Text), "\n") {
		for _, l := range doc.SplitText(line+" ", p.width) {
			p.room(10)
			doc.CellFormat(0, 10, l, "", 1, "L", true, 0, "")
		}
	}
	doc.SetFillColor(255, 255, 255)
	doc.Ln(6)
}

func (p *pdfWriter) figure(x Figure) {
	doc := p.doc
	w, h := figureW.Points(), x.height().Points()
	p.room(h + 3*lineHeight)
	x0 := pageMargin + (p.width-w)/2
	y0 := doc.GetY()
	p.canvas.drawRegion(x0, y0, h, func() {
		x.Plot.Draw(draw.NewCanvas(p.canvas, figureW, x.height()))
	})
	doc.SetXY(pageMargin, y0+h+4)
	doc.SetFont("serif", "I", 9)
	doc.SetTextColor(90, 90, 90)
	doc.MultiCell(0, 12, pdfSafe(x.Caption), "", "L", false)
	// Reset what the plot may have changed.
	doc.SetTextColor(0, 0, 0)
	doc.SetDrawColor(0, 0, 0)
	doc.SetFillColor(255, 255, 255)
	doc.SetLineWidth(0.5)
	doc.SetDashPattern(nil, 0)
	doc.SetAlpha(1, "Normal")
	doc.Ln(6)
}

func (p *pdfWriter) table(t Table) {
	doc := p.doc
	n := len(t.Header)
	ws := make([]float64, n)
	total := 0.0
	for i := range ws {
		ws[i] = 1
		if i < len(t.Widths) {
			ws[i] = t.Widths[i]
		}
		total += ws[i]
	}
	for i := range ws {
		ws[i] *= p.width / total
	}
	const pad, lh = 3.0, 12.0
	row := func(cells []string, header bool) {
		style := ""
		if header {
			style = "B"
		}
		doc.SetFont("serif", style, 9)
		lines := make([][]string, n)
		rows := 1
		for i := range n {
			c := ""
			if i < len(cells) {
				c = pdfSafe(cells[i])
			}
			lines[i] = doc.SplitText(c, ws[i]-2*pad)
			rows = max(rows, len(lines[i]))
		}
		h := float64(rows)*lh + 2*pad
		p.room(h)
		y := doc.GetY()
		x := pageMargin
		for i := range n {
			fill := "D"
			if header {
				doc.SetFillColor(238, 240, 243)
				fill = "FD"
			}
			doc.SetDrawColor(200, 204, 209)
			doc.Rect(x, y, ws[i], h, fill)
			for j, l := range lines[i] {
				doc.SetXY(x+pad, y+pad+float64(j)*lh)
				doc.CellFormat(ws[i]-2*pad, lh, l, "", 0, "L", false, 0, "")
			}
			x += ws[i]
		}
		doc.SetDrawColor(0, 0, 0)
		doc.SetXY(pageMargin, y+h)
	}
	row(t.Header, true)
	for _, r := range t.Rows {
		row(r, false)
	}
	doc.Ln(8)
}
