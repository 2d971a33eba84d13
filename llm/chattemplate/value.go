package chattemplate

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// value is a template value: nil (Jinja's none), undefined, bool, int64,
// float64, string, *list, *dict, *macro, builtin or *boundMethod.
type value any

// undefined is what a missing name, key or attribute evaluates to, as
// jinja2.Undefined: empty when printed, false, iterable and empty, and an
// error under arithmetic or attribute access.
type undefined struct{ name string }

type list struct{ items []value }

// dict keeps insertion order, as Python's dict does, for items() and
// tojson. A namespace is a dict whose attributes can be set.
type dict struct {
	keys      []string
	m         map[string]value
	namespace bool
}

func newDict() *dict { return &dict{m: map[string]value{}} }

func (d *dict) set(k string, v value) {
	if _, ok := d.m[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.m[k] = v
}

type builtin func(r *renderer, args []value, kw *dict) (value, error)

type boundMethod struct {
	recv value
	name string
}

type macro struct {
	node *macroNode
	// scope is where the macro was defined; its body sees those names.
	scope *scope
}

func isUndefined(v value) bool { _, ok := v.(undefined); return ok }

func truthy(v value) bool {
	switch x := v.(type) {
	case nil, undefined:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case *list:
		return len(x.items) > 0
	case *dict:
		return len(x.keys) > 0
	}
	return true
}

// str is Python's str() of a value, as printed by {{ }}, refused past
// limit bytes.
func str(v value, limit int) (string, error) {
	switch x := v.(type) {
	case undefined:
		return "", nil
	case string:
		return x, nil
	}
	return repr(v, limit)
}

// repr is Python's repr(), which str() of a list or dict uses for items.
// It refuses nesting deeper than maxNesting (a namespace can hold itself)
// and output past limit bytes.
func repr(v value, limit int) (string, error) {
	w := reprWriter{limit: limit}
	if err := w.write(v, 0); err != nil {
		return "", err
	}
	return w.b.String(), nil
}

// brief is a short repr for error messages.
func brief(v value) string {
	s, err := repr(v, 80)
	if err != nil {
		return typeName(v)
	}
	return s
}

type reprWriter struct {
	b     strings.Builder
	limit int
}

func (w *reprWriter) write(v value, depth int) error {
	if depth > maxNesting {
		return fmt.Errorf("value nested deeper than %d", maxNesting)
	}
	if w.b.Len() > w.limit {
		return fmt.Errorf("%w: printed value exceeds %d bytes", ErrLimit, w.limit)
	}
	switch x := v.(type) {
	case *list:
		w.b.WriteString("[")
		for i, it := range x.items {
			if i > 0 {
				w.b.WriteString(", ")
			}
			if err := w.write(it, depth+1); err != nil {
				return err
			}
		}
		w.b.WriteString("]")
	case *dict:
		if x.namespace {
			w.b.WriteString("<Namespace ")
		}
		w.b.WriteString("{")
		for i, k := range x.keys {
			if i > 0 {
				w.b.WriteString(", ")
			}
			w.b.WriteString(pyQuote(k) + ": ")
			if err := w.write(x.m[k], depth+1); err != nil {
				return err
			}
		}
		w.b.WriteString("}")
		if x.namespace {
			w.b.WriteString(">")
		}
	default:
		w.b.WriteString(scalarRepr(v))
	}
	if w.b.Len() > w.limit {
		return fmt.Errorf("%w: printed value exceeds %d bytes", ErrLimit, w.limit)
	}
	return nil
}

func scalarRepr(v value) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case undefined:
		return ""
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatFloat(x)
	case string:
		return pyQuote(x)
	}
	return fmt.Sprintf("<%s>", typeName(v))
}

// formatFloat is Python's repr of a float: the shortest form that reads
// back, always with a fraction or an exponent.
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	exp := 0
	if f != 0 {
		exp = int(math.Floor(math.Log10(math.Abs(f))))
	}
	if exp < -4 || exp >= 16 {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		mant, e, _ := strings.Cut(s, "e")
		n, _ := strconv.Atoi(e)
		return fmt.Sprintf("%se%s%02d", mant, map[bool]string{true: "-", false: "+"}[n < 0], abs(n))
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func pyQuote(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, "\"") {
		q = "\""
	}
	var b strings.Builder
	b.WriteString(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case string(r) == q:
			b.WriteString(`\` + q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(q)
	return b.String()
}

func typeName(v value) string {
	switch v.(type) {
	case nil:
		return "none"
	case undefined:
		return "undefined"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "string"
	case *list:
		return "list"
	case *dict:
		return "dict"
	}
	return "callable"
}

func toFloat(v value) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// equal is Python's ==, charged for what it walks and refused deeper
// than maxNesting (a namespace can hold itself).
func (r *renderer) equal(a, b value) (bool, error) { return r.equalAt(a, b, 0) }

func (r *renderer) equalAt(a, b value, depth int) (bool, error) {
	if depth > maxNesting {
		return false, fmt.Errorf("comparison nested deeper than %d", maxNesting)
	}
	if err := r.charge(1); err != nil {
		return false, err
	}
	if fa, ok := toFloat(a); ok {
		fb, ok := toFloat(b)
		return ok && fa == fb, nil
	}
	switch x := a.(type) {
	case nil:
		return b == nil, nil
	case undefined:
		return isUndefined(b), nil
	case string:
		y, ok := b.(string)
		if !ok {
			return false, nil
		}
		return x == y, r.chargeBytes(min(len(x), len(y)))
	case *list:
		y, ok := b.(*list)
		if !ok || len(x.items) != len(y.items) {
			return false, nil
		}
		for i := range x.items {
			if eq, err := r.equalAt(x.items[i], y.items[i], depth+1); !eq || err != nil {
				return false, err
			}
		}
		return true, nil
	case *dict:
		y, ok := b.(*dict)
		if !ok || len(x.keys) != len(y.keys) {
			return false, nil
		}
		for _, k := range x.keys {
			w, ok := y.m[k]
			if !ok {
				return false, nil
			}
			if eq, err := r.equalAt(x.m[k], w, depth+1); !eq || err != nil {
				return false, err
			}
		}
		return true, nil
	}
	return sameObject(a, b), nil
}

// sameObject is Python's "is" for the values that have identity; a
// builtin (a Go func) is never the same as anything.
func sameObject(a, b value) bool {
	if _, ok := a.(builtin); ok {
		return false
	}
	if _, ok := b.(builtin); ok {
		return false
	}
	return a == b
}

// compare orders numbers with numbers and strings with strings.
func compare(a, b value) (int, error) {
	if fa, ok := toFloat(a); ok {
		if fb, ok := toFloat(b); ok {
			switch {
			case fa < fb:
				return -1, nil
			case fa > fb:
				return 1, nil
			}
			return 0, nil
		}
	}
	sa, ok1 := a.(string)
	sb, ok2 := b.(string)
	if ok1 && ok2 {
		return strings.Compare(sa, sb), nil
	}
	return 0, fmt.Errorf("cannot compare %s with %s", typeName(a), typeName(b))
}

// iterate lists what a for loop walks: list items, dict keys, string
// characters; undefined walks nothing. What it builds is charged first.
func (r *renderer) iterate(v value) ([]value, error) {
	switch x := v.(type) {
	case undefined:
		return nil, nil
	case *list:
		return x.items, nil
	case *dict:
		if err := r.charge(int64(len(x.keys))); err != nil {
			return nil, err
		}
		out := make([]value, len(x.keys))
		for i, k := range x.keys {
			out[i] = k
		}
		return out, nil
	case string:
		if err := r.charge(int64(len(x))); err != nil {
			return nil, err
		}
		var out []value
		for _, c := range x {
			out = append(out, string(c))
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s is not iterable", typeName(v))
}

func sortedKeys(m map[string]value) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
