package chattemplate

import (
	"fmt"
	"strings"
	"unicode"
)

type method func(r *renderer, recv value, args []value, kw *dict) (value, error)

// stringMethods are the str methods templates call, with Python's
// semantics (whitespace is str.isspace's, not JavaScript's).
var stringMethods map[string]method

var dictMethods map[string]method

func init() {
	stringMethods = map[string]method{
		"strip":      stripMethod("strip", strings.TrimFunc),
		"lstrip":     stripMethod("lstrip", strings.TrimLeftFunc),
		"rstrip":     stripMethod("rstrip", strings.TrimRightFunc),
		"split":      splitMethod,
		"startswith": affixMethod("startswith", strings.HasPrefix),
		"endswith":   affixMethod("endswith", strings.HasSuffix),
		"upper":      caseMethod("upper", strings.ToUpper),
		"lower":      caseMethod("lower", strings.ToLower),
		"title":      caseMethod("title", pyTitle),
		"capitalize": caseMethod("capitalize", pyCapitalize),
		"replace":    replaceMethod,
		"find":       findMethod,
		"count":      countMethod,
		"splitlines": caseMethod("splitlines", nil),
	}
	dictMethods = map[string]method{
		"get":    dictGet,
		"items":  dictItems,
		"keys":   dictKeys,
		"values": dictValues,
	}
}

func (r *renderer) callMethod(m *boundMethod, args []value, kw *dict) (value, error) {
	table := dictMethods
	if s, ok := m.recv.(string); ok {
		table = stringMethods
		if err := r.chargeBytes(len(s)); err != nil {
			return nil, err
		}
	}
	return table[m.name](r, m.recv, args, kw)
}

// isPySpace is Python's str.isspace for one character.
func isPySpace(c rune) bool { return unicode.IsSpace(c) || (c >= 0x1c && c <= 0x1f) }

// pyStrip is str.strip/lstrip/rstrip (trim picks which), in time linear
// in s and chars, both charged.
func (r *renderer) pyStrip(s string, chars value, trim func(string, func(rune) bool) string) (string, error) {
	switch c := chars.(type) {
	case nil, undefined:
		return trim(s, isPySpace), nil
	case string:
		if err := r.chargeBytes(len(c)); err != nil {
			return "", err
		}
		set := map[rune]bool{}
		for _, ch := range c {
			set[ch] = true
		}
		return trim(s, func(ch rune) bool { return set[ch] }), nil
	}
	return "", fmt.Errorf("strip chars must be a string or none")
}

func stripMethod(name string, trim func(string, func(rune) bool) string) method {
	return func(r *renderer, recv value, args []value, kw *dict) (value, error) {
		a, err := argsOf(name, args, kw, 0, "chars")
		if err != nil {
			return nil, err
		}
		return r.pyStrip(recv.(string), a[0], trim)
	}
}

func splitMethod(r *renderer, recv value, args []value, kw *dict) (value, error) {
	a, err := argsOf("split", args, kw, 0, "sep", "maxsplit")
	if err != nil {
		return nil, err
	}
	limit := int64(-1)
	if !isUndefined(a[1]) {
		if limit, err = wantInt("split maxsplit", a[1]); err != nil {
			return nil, err
		}
	}
	var parts []string
	switch sep := a[0].(type) {
	case nil, undefined:
		parts = splitSpace(recv.(string), limit)
	case string:
		if sep == "" {
			return nil, fmt.Errorf("split: empty separator")
		}
		n := -1
		if limit >= 0 {
			n = int(min(limit, 1<<30)) + 1
		}
		parts = strings.SplitN(recv.(string), sep, n)
	default:
		return nil, fmt.Errorf("split separator must be a string")
	}
	return stringList(parts), r.charge(int64(len(parts)))
}

// splitSpace is Python's str.split() without a separator: runs of
// whitespace separate, and no empty strings result.
func splitSpace(s string, limit int64) []string {
	var out []string
	for {
		s = strings.TrimLeftFunc(s, isPySpace)
		if s == "" {
			return out
		}
		if limit >= 0 && int64(len(out)) == limit {
			return append(out, s)
		}
		end := strings.IndexFunc(s, isPySpace)
		if end < 0 {
			return append(out, s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
}

func stringList(parts []string) *list {
	items := make([]value, len(parts))
	for i, p := range parts {
		items[i] = p
	}
	return &list{items}
}

func affixMethod(name string, has func(string, string) bool) method {
	return func(r *renderer, recv value, args []value, kw *dict) (value, error) {
		a, err := argsOf(name, args, kw, 1, "affix")
		if err != nil {
			return nil, err
		}
		cands := []value{a[0]}
		if l, ok := a[0].(*list); ok {
			cands = l.items
		}
		if err := r.charge(int64(len(cands))); err != nil {
			return nil, err
		}
		for _, c := range cands {
			cs, err := wantString(name, c)
			if err != nil {
				return nil, err
			}
			if has(recv.(string), cs) {
				return true, nil
			}
		}
		return false, nil
	}
}

func caseMethod(name string, f func(string) string) method {
	return func(r *renderer, recv value, args []value, kw *dict) (value, error) {
		if _, err := argsOf(name, args, kw, 0); err != nil {
			return nil, err
		}
		if f == nil { // splitlines
			s := strings.ReplaceAll(recv.(string), "\r\n", "\n")
			lines := strings.FieldsFunc(s, func(c rune) bool { return c == '\n' || c == '\r' })
			return stringList(lines), nil
		}
		return f(recv.(string)), nil
	}
}

func pyCapitalize(s string) string {
	rs := []rune(strings.ToLower(s))
	if len(rs) > 0 {
		rs[0] = unicode.ToUpper(rs[0])
	}
	return string(rs)
}

// pyTitle upper-cases the first letter of each run of letters and
// lower-cases the rest, as str.title does.
func pyTitle(s string) string {
	var b strings.Builder
	prevLetter := false
	for _, c := range s {
		if prevLetter {
			b.WriteRune(unicode.ToLower(c))
		} else {
			b.WriteRune(unicode.ToTitle(c))
		}
		prevLetter = unicode.IsLetter(c)
	}
	return b.String()
}

func replaceMethod(r *renderer, recv value, args []value, kw *dict) (value, error) {
	a, err := argsOf("replace", args, kw, 2, "old", "new", "count")
	if err != nil {
		return nil, err
	}
	return r.replace(recv.(string), a[0], a[1], a[2])
}

// replace is str.replace, refusing results larger than the output limit
// before building them.
func (r *renderer) replace(s string, oldV, newV, countV value) (value, error) {
	old, err := wantString("replace", oldV)
	if err != nil {
		return nil, err
	}
	repl, err := wantString("replace", newV)
	if err != nil {
		return nil, err
	}
	n := int64(-1)
	if !isUndefined(countV) {
		if n, err = wantInt("replace count", countV); err != nil {
			return nil, err
		}
	}
	hits := int64(strings.Count(s, old))
	if n >= 0 {
		hits = min(hits, n)
	}
	if err := r.chargeBytes(len(s) + int(min(hits, int64(r.limits.MaxOutput)))*len(repl)); err != nil {
		return nil, err
	}
	return strings.Replace(s, old, repl, int(max(min(n, 1<<30), -1))), nil
}

func findMethod(r *renderer, recv value, args []value, kw *dict) (value, error) {
	a, err := argsOf("find", args, kw, 1, "sub")
	if err != nil {
		return nil, err
	}
	sub, err := wantString("find", a[0])
	if err != nil {
		return nil, err
	}
	i := strings.Index(recv.(string), sub)
	if i < 0 {
		return int64(-1), nil
	}
	return int64(len([]rune(recv.(string)[:i]))), nil
}

func countMethod(r *renderer, recv value, args []value, kw *dict) (value, error) {
	a, err := argsOf("count", args, kw, 1, "sub")
	if err != nil {
		return nil, err
	}
	sub, err := wantString("count", a[0])
	if err != nil {
		return nil, err
	}
	return int64(strings.Count(recv.(string), sub)), nil
}

func dictGet(r *renderer, recv value, args []value, kw *dict) (value, error) {
	a, err := argsOf("get", args, kw, 1, "key", "default")
	if err != nil {
		return nil, err
	}
	k, _ := a[0].(string)
	if v, ok := recv.(*dict).m[k]; ok {
		return v, nil
	}
	if isUndefined(a[1]) {
		return nil, nil
	}
	return a[1], nil
}

func dictItems(r *renderer, recv value, args []value, kw *dict) (value, error) {
	d := recv.(*dict)
	out := make([]value, len(d.keys))
	for i, k := range d.keys {
		out[i] = &list{[]value{k, d.m[k]}}
	}
	return &list{out}, r.charge(int64(len(out)))
}

func dictKeys(r *renderer, recv value, args []value, kw *dict) (value, error) {
	return stringList(recv.(*dict).keys), r.charge(int64(len(recv.(*dict).keys)))
}

func dictValues(r *renderer, recv value, args []value, kw *dict) (value, error) {
	d := recv.(*dict)
	out := make([]value, len(d.keys))
	for i, k := range d.keys {
		out[i] = d.m[k]
	}
	return &list{out}, r.charge(int64(len(out)))
}
