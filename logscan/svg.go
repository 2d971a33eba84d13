package logscan

import (
	"fmt"
	"html"
	"math"
	"strings"
	"unicode/utf8"

	"forensics/internal/termsafe"
)

// The page's figures are SVG written by hand (svgfig_*.go). Every text
// that comes from the log (account names, items, links) passes through
// esc: control characters and bidi overrides become visible escapes
// (termsafe.Line) and markup is escaped, in text and in attributes alike.
// Ids and classes are ours, never the log's.

// esc makes log text safe inside SVG or HTML text and quoted attributes.
func esc(s string) string { return html.EscapeString(termsafe.Line(s)) }

// clip shortens s to n runes (after escaping control characters, so an
// escape is not cut in two), marking the cut.
func clip(s string, n int) string {
	s = termsafe.Line(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// svgWriter builds one figure.
type svgWriter struct {
	b strings.Builder
}

// open starts a figure of the given size with its id and title (the
// title is ours: it may quote log text only through esc).
func (w *svgWriter) open(id, title string, width, height int) {
	fmt.Fprintf(&w.b, `<svg xmlns="http://www.w3.org/2000/svg" id="%s" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-title">`,
		id, width, height, width, height, id)
	fmt.Fprintf(&w.b, `<title id="%s-title">%s</title>`, id, esc(title))
}

// f writes markup; log text among args must have been passed through esc.
func (w *svgWriter) f(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

// text writes a text element; s is log text or ours, escaped here.
func (w *svgWriter) text(x, y float64, anchor, class, s string) {
	fmt.Fprintf(&w.b, `<text x="%.1f" y="%.1f" text-anchor="%s" class="%s">%s</text>`, x, y, anchor, class, esc(s))
}

// rect writes a rectangle with an optional tooltip (escaped here).
func (w *svgWriter) rect(x, y, width, height float64, class, tip string) {
	if tip == "" {
		fmt.Fprintf(&w.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="%s"/>`, x, y, width, height, class)
		return
	}
	fmt.Fprintf(&w.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="%s"><title>%s</title></rect>`, x, y, width, height, class, esc(tip))
}

// span writes a rectangle from x0 to x1 less a gap, its ends rounded as
// written before its width is taken, so that abutting spans share an
// edge (rounding each width on its own leaves hairline seams).
func (w *svgWriter) span(x0, x1, y, height, gap float64, class, tip string) {
	x0, x1 = math.Round(x0*10)/10, math.Round(x1*10)/10
	w.rect(x0, y, math.Max(0.8, x1-x0-gap), height, class, tip)
}

// line writes a line.
func (w *svgWriter) line(x1, y1, x2, y2 float64, class string) {
	fmt.Fprintf(&w.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="%s"/>`, x1, y1, x2, y2, class)
}

// close ends the figure and returns it.
func (w *svgWriter) close() string {
	w.b.WriteString("</svg>")
	return w.b.String()
}

// svgStyle is the figures' style sheet, in the page's head: classes by
// action and link kind, with dash patterns so that a grey print still
// tells the kinds apart.
const svgStyle = `svg{max-width:100%;height:auto;font:11px system-ui,sans-serif}
svg text{fill:#222}svg .small{font-size:9px;fill:#555}svg .axis{stroke:#888;stroke-width:1}
svg .grid{stroke:#e4e4e4;stroke-width:1}svg .bar{fill:#6b8fb3}svg .bg{fill:#f4f4f4}
svg .th-alert{stroke:#c9a400;stroke-width:1.5;stroke-dasharray:5 3}svg .th-throttle{stroke:#e07b00;stroke-width:1.5;stroke-dasharray:8 3}
svg .th-suspend{stroke:#c00;stroke-width:1.5}svg .tail{stroke:#555;stroke-width:1;stroke-dasharray:1 2}
svg .act-none{fill:#ddd}svg .act-alert{fill:#f2d43d}svg .act-throttle{fill:#f0952c}svg .act-suspend{fill:#d33}
svg .fired{fill:#55606e;shape-rendering:crispEdges}svg .first{fill:#000}svg .strip{shape-rendering:crispEdges}
svg .node{stroke:#333;stroke-width:1}svg .link{fill:none;stroke-opacity:.8}
svg .k-content{stroke:#1f77b4;stroke-width:1.5}svg .k-infrastructure{stroke:#ff7f0e;stroke-width:1.5;stroke-dasharray:6 2}
svg .k-schedule{stroke:#2ca02c;stroke-width:1.5;stroke-dasharray:2 2}svg .k-business{stroke:#9467bd;stroke-width:2.5;stroke-dasharray:8 2 2 2}
svg .k-other{stroke:#777;stroke-width:1}`

// actionClass is the class of an action's colour (ours: actions are a
// fixed set).
func actionClass(action string) string {
	switch action {
	case "alert", "throttle", "suspend":
		return "act-" + action
	}
	return "act-none"
}
