package report

import (
	"fmt"
	"html"
	"strings"

	"forensics/internal/termsafe"
)

// htmlEscape makes text from the bundle inert in the page: markup is
// escaped, and control characters and bidirectional overrides become
// visible escapes (termsafe.Document), so an answer cannot hide or reorder
// what the reader sees.
func htmlEscape(s string) string { return html.EscapeString(termsafe.Document(s)) }

const css = `
:root { --ink: #1d1d1f; --muted: #5f6368; --rule: #d0d4d9; --accent: #8b1e1e; }
body { font: 15px/1.55 "Liberation Serif", Georgia, "Times New Roman", serif; color: var(--ink); max-width: 52em; margin: 2em auto; padding: 0 1.2em; }
h1 { font-size: 1.9em; margin-bottom: .2em; }
h2 { font-size: 1.4em; border-bottom: 1px solid var(--rule); padding-bottom: .2em; margin-top: 1.8em; }
h3 { font-size: 1.12em; margin-top: 1.4em; }
.subtitle { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: .8em 0; font-size: .92em; }
th, td { border: 1px solid var(--rule); padding: .35em .5em; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; margin: .8em 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; overflow-wrap: anywhere; }
pre { background: #f6f7f9; border: 1px solid var(--rule); padding: .7em; white-space: pre-wrap; overflow-wrap: anywhere; font: 12px/1.45 "Liberation Mono", Menlo, Consolas, monospace; }
figure { margin: 1.2em 0; }
figure svg { width: 100%; height: auto; max-width: 40em; display: block; }
figcaption { color: var(--muted); font-size: .9em; }
p.strong { font-weight: bold; color: var(--accent); margin-bottom: .2em; }
@media print {
  body { max-width: none; margin: 0; font-size: 11pt; }
  h2.break { break-before: page; }
  figure, table, pre, dl.kv { break-inside: avoid; }
}
`

// HTML renders the document as one self-contained page: styles inline,
// figures as inline SVG, no scripts and nothing fetched.
func HTML(d *Document) (string, error) {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&b, "<meta name=\"date\" content=\"%s\">\n", htmlEscape(d.Date))
	fmt.Fprintf(&b, "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n", htmlEscape(d.Title), css)
	fmt.Fprintf(&b, "<h1>%s</h1>\n", htmlEscape(d.Title))
	if d.Subtitle != "" {
		fmt.Fprintf(&b, "<p class=\"subtitle\">%s</p>\n", htmlEscape(d.Subtitle))
	}
	for _, blk := range d.Blocks {
		switch x := blk.(type) {
		case Heading:
			cls := ""
			if x.PageBreak {
				cls = ` class="break"`
			}
			fmt.Fprintf(&b, "<h%d%s>%s</h%d>\n", x.Level+1, cls, htmlEscape(x.Text), x.Level+1)
		case Para:
			if x.Strong {
				fmt.Fprintf(&b, "<p class=\"strong\">%s</p>\n", htmlEscape(x.Text))
			} else {
				fmt.Fprintf(&b, "<p>%s</p>\n", htmlEscape(x.Text))
			}
		case List:
			b.WriteString("<ul>\n")
			for _, it := range x.Items {
				fmt.Fprintf(&b, "<li>%s</li>\n", htmlEscape(it))
			}
			b.WriteString("</ul>\n")
		case Table:
			b.WriteString("<table>\n<thead><tr>")
			for _, h := range x.Header {
				fmt.Fprintf(&b, "<th>%s</th>", htmlEscape(h))
			}
			b.WriteString("</tr></thead>\n<tbody>\n")
			for _, r := range x.Rows {
				b.WriteString("<tr>")
				for _, c := range r {
					fmt.Fprintf(&b, "<td>%s</td>", htmlEscape(c))
				}
				b.WriteString("</tr>\n")
			}
			b.WriteString("</tbody>\n</table>\n")
		case KeyValue:
			b.WriteString("<dl class=\"kv\">\n")
			for _, kv := range x.Pairs {
				fmt.Fprintf(&b, "<dt>%s</dt><dd>%s</dd>\n", htmlEscape(kv[0]), htmlEscape(kv[1]))
			}
			b.WriteString("</dl>\n")
		case Pre:
			fmt.Fprintf(&b, "<pre>%s</pre>\n", htmlEscape(x.Text))
		case Figure:
			svg, err := inlineSVG(x)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "<figure id=\"fig-%s\">\n%s\n<figcaption>%s</figcaption>\n</figure>\n", htmlEscape(x.Name), svg, htmlEscape(x.Caption))
		}
	}
	b.WriteString("</body>\n</html>\n")
	return b.String(), nil
}
