package chattemplate

import (
	"fmt"
	"strconv"
	"strings"
)

// filterToJSON is transformers' tojson: json.dumps(value,
// ensure_ascii=False, indent=indent, sort_keys=sort_keys), so ", " and ": "
// separate items without an indent, as Python writes them.
func filterToJSON(r *renderer, v value, args []value, kw *dict) (value, error) {
	a, err := argsOf("tojson", args, kw, 0, "indent", "separators", "sort_keys")
	if err != nil {
		return nil, err
	}
	j := jsonWriter{r: r, indent: -1, sortKeys: truthy(a[2])}
	if n, ok := a[0].(int64); ok {
		j.indent = int(min(max(n, 0), 64))
	}
	if err := j.write(v, 0); err != nil {
		return nil, err
	}
	return j.b.String(), nil
}

type jsonWriter struct {
	r        *renderer
	b        strings.Builder
	indent   int
	sortKeys bool
}

func (j *jsonWriter) write(v value, depth int) error {
	if depth > maxNesting {
		return fmt.Errorf("tojson: nested deeper than %d", maxNesting)
	}
	if j.b.Len() > j.r.limits.MaxOutput {
		return fmt.Errorf("%w: tojson output exceeds %d bytes", ErrLimit, j.r.limits.MaxOutput)
	}
	if err := j.r.charge(1); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		j.b.WriteString("null")
	case bool:
		j.b.WriteString(map[bool]string{true: "true", false: "false"}[x])
	case int64:
		j.b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		j.b.WriteString(jsonFloat(x))
	case string:
		j.b.WriteString(jsonQuote(x))
	case *list:
		return j.writeList(x, depth)
	case *dict:
		return j.writeDict(x, depth)
	default:
		return fmt.Errorf("tojson: %s is not JSON serialisable", typeName(v))
	}
	return nil
}

func jsonFloat(f float64) string {
	switch s := formatFloat(f); s {
	case "inf":
		return "Infinity"
	case "-inf":
		return "-Infinity"
	case "nan":
		return "NaN"
	default:
		return s
	}
}

func (j *jsonWriter) newline(depth int) {
	if j.indent >= 0 {
		j.b.WriteString("\n" + strings.Repeat(" ", j.indent*depth))
	}
}

func (j *jsonWriter) sep() string {
	if j.indent >= 0 {
		return ","
	}
	return ", "
}

func (j *jsonWriter) writeList(l *list, depth int) error {
	if len(l.items) == 0 {
		j.b.WriteString("[]")
		return nil
	}
	j.b.WriteString("[")
	for i, it := range l.items {
		if i > 0 {
			j.b.WriteString(j.sep())
		}
		j.newline(depth + 1)
		if err := j.write(it, depth+1); err != nil {
			return err
		}
	}
	j.newline(depth)
	j.b.WriteString("]")
	return nil
}

func (j *jsonWriter) writeDict(d *dict, depth int) error {
	if len(d.keys) == 0 {
		j.b.WriteString("{}")
		return nil
	}
	keys := d.keys
	if j.sortKeys {
		keys = sortedKeys(d.m)
	}
	j.b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			j.b.WriteString(j.sep())
		}
		j.newline(depth + 1)
		j.b.WriteString(jsonQuote(k) + ": ")
		if err := j.write(d.m[k], depth+1); err != nil {
			return err
		}
	}
	j.newline(depth)
	j.b.WriteString("}")
	return nil
}

// jsonQuote is json.dumps of a string with ensure_ascii=False.
func jsonQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if c < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, c)
			} else {
				b.WriteRune(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
