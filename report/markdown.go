package report

import (
	"fmt"
	"strings"

	"forensics/internal/termsafe"
)

// Markdown renders the document as Markdown; figures are referenced as
// report-NAME.svg files next to it (svgFiles returns them).
func Markdown(d *Document) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdInline(d.Title))
	if d.Subtitle != "" {
		fmt.Fprintf(&b, "*%s*\n\n", mdInline(d.Subtitle))
	}
	for _, blk := range d.Blocks {
		switch x := blk.(type) {
		case Heading:
			fmt.Fprintf(&b, "%s %s\n\n", strings.Repeat("#", x.Level+1), mdInline(x.Text))
		case Para:
			if x.Strong {
				fmt.Fprintf(&b, "**%s**\n\n", mdInline(x.Text))
			} else {
				fmt.Fprintf(&b, "%s\n\n", mdInline(x.Text))
			}
		case List:
			for _, it := range x.Items {
				fmt.Fprintf(&b, "- %s\n", mdInline(it))
			}
			b.WriteString("\n")
		case Table:
			mdRow(&b, x.Header)
			seps := make([]string, len(x.Header))
			for i := range seps {
				seps[i] = "---"
			}
			mdRow(&b, seps)
			for _, r := range x.Rows {
				mdRow(&b, r)
			}
			b.WriteString("\n")
		case KeyValue:
			for _, kv := range x.Pairs {
				fmt.Fprintf(&b, "- **%s:** %s\n", mdInline(kv[0]), mdInline(kv[1]))
			}
			b.WriteString("\n")
		case Pre:
			text := termsafe.Document(x.Text)
			fence := "```"
			for strings.Contains(text, fence) {
				fence += "`"
			}
			fmt.Fprintf(&b, "%s\n%s\n%s\n\n", fence, text, fence)
		case Figure:
			fmt.Fprintf(&b, "![%s](report-%s.svg)\n\n*%s*\n\n", mdInline(x.Caption), x.Name, mdInline(x.Caption))
		}
	}
	return b.String()
}

func mdRow(b *strings.Builder, cells []string) {
	esc := make([]string, len(cells))
	for i, c := range cells {
		esc[i] = strings.ReplaceAll(mdInline(c), "|", `\|`)
	}
	fmt.Fprintf(b, "| %s |\n", strings.Join(esc, " | "))
}

// mdInline keeps text from being read as Markdown markup: control
// characters (a carriage return ends a line in Markdown) and bidirectional
// overrides become visible escapes, newlines spaces, and markup characters
// and entity references are escaped.
func mdInline(s string) string {
	return mdReplacer.Replace(termsafe.Document(s))
}

var mdReplacer = strings.NewReplacer("\\", `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "&", "&amp;", "<", "&lt;", ">", "&gt;", "\n", " ")
