// Package report renders an evidence bundle for readers who are not
// engineers (a lawyer, an expert witness): a one-page summary, one section
// per test with its plot, the methodology and its limits in plain words,
// and an appendix of sample transcripts and the manifest. One document
// model is rendered three ways — Markdown, self-contained HTML, and PDF
// with embedded fonts — so that the three always say the same thing, and
// rendering is deterministic, so that `forensics verify` can re-render a
// bundle's report and compare it byte for byte with the one filed.
package report

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// Block is one element of the document.
type Block interface{ block() }

// Heading starts a section (Level 1) or subsection (Level 2).
type Heading struct {
	Level int
	Text  string
	// PageBreak starts the section on a new page in the PDF.
	PageBreak bool
}

// Para is a paragraph of plain text.
type Para struct {
	Text string
	// Strong sets the paragraph in bold.
	Strong bool
}

// List is a bulleted list.
type List struct{ Items []string }

// Table is a table with a header row.
type Table struct {
	Header []string
	Rows   [][]string
	// Widths are relative column widths for the PDF (nil: equal).
	Widths []float64
}

// Figure is a plot with a caption.
type Figure struct {
	Name    string // file-safe, unique in the document
	Caption string
	Plot    *plot.Plot
	// Height is the figure's height (0: figureH); its width is figureW.
	Height vg.Length
}

// height is the figure's height.
func (f Figure) height() vg.Length {
	if f.Height > 0 {
		return f.Height
	}
	return figureH
}

// Pre is preformatted text (hashes, JSON, transcripts).
type Pre struct{ Text string }

// KeyValue is a two-column list of labelled values.
type KeyValue struct{ Pairs [][2]string }

func (Heading) block()  {}
func (Para) block()     {}
func (List) block()     {}
func (Table) block()    {}
func (Figure) block()   {}
func (Pre) block()      {}
func (KeyValue) block() {}

// Document is the whole report.
type Document struct {
	Title    string
	Subtitle string
	// Date is the document date (the manifest's creation time, RFC 3339),
	// so that rendering twice gives the same bytes.
	Date   string
	Blocks []Block
}
