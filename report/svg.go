package report

import (
	"bytes"
	"fmt"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// figureSize is the size plots are drawn at, in every format.
var figureW, figureH = 15 * vg.Centimeter, 8.5 * vg.Centimeter

// svgOf draws a figure as a standalone SVG document.
func svgOf(f Figure) ([]byte, error) {
	c := vgsvg.New(figureW, f.height())
	f.Plot.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("draw %s: %w", f.Name, err)
	}
	return b.Bytes(), nil
}

// inlineSVG is the SVG without its XML prolog, sized by CSS, for HTML.
func inlineSVG(f Figure) (string, error) {
	b, err := svgOf(f)
	if err != nil {
		return "", err
	}
	s := string(b)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return strings.Replace(s, "<svg ", `<svg role="img" aria-label="`+htmlEscape(f.Caption)+`" `, 1), nil
}
