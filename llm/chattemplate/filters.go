package chattemplate

import (
	"fmt"
	"html"
	"strconv"
	"strings"
)

type filterFunc func(r *renderer, v value, args []value, kw *dict) (value, error)

var filters map[string]filterFunc

func init() {
	filters = map[string]filterFunc{
		"trim":       filterTrim,
		"length":     filterLength,
		"count":      filterLength,
		"tojson":     filterToJSON,
		"lower":      stringFilter(strings.ToLower),
		"upper":      stringFilter(strings.ToUpper),
		"title":      stringFilter(pyTitle),
		"capitalize": stringFilter(pyCapitalize),
		"escape":     stringFilter(html.EscapeString),
		"e":          stringFilter(html.EscapeString),
		"safe":       func(r *renderer, v value, _ []value, _ *dict) (value, error) { return v, nil },
		"string":     func(r *renderer, v value, _ []value, _ *dict) (value, error) { return r.str(v) },
		"default":    filterDefault,
		"d":          filterDefault,
		"join":       filterJoin,
		"first":      filterFirst,
		"last":       filterLast,
		"list":       filterList,
		"reverse":    filterReverse,
		"items":      filterItems,
		"int":        filterInt,
		"float":      filterFloat,
		"abs":        filterAbs,
		"replace":    filterReplace,
		"map":        filterMap,
		"selectattr": selectAttr(true),
		"rejectattr": selectAttr(false),
	}
}

func (r *renderer) evalFilter(x *filterExpr, s *scope) (value, error) {
	f, ok := filters[x.name]
	if !ok {
		return nil, fmt.Errorf("unsupported filter %q", x.name)
	}
	v, err := r.eval(x.x, s)
	if err != nil {
		return nil, err
	}
	args, kw, err := r.evalArgs(x.args, s)
	if err != nil {
		return nil, err
	}
	if sv, ok := v.(string); ok {
		if err := r.chargeBytes(len(sv)); err != nil {
			return nil, err
		}
	}
	return f(r, v, args, kw)
}

func stringFilter(f func(string) string) filterFunc {
	return func(r *renderer, v value, args []value, kw *dict) (value, error) {
		s, err := r.str(v)
		return f(s), err
	}
}

func filterTrim(r *renderer, v value, args []value, kw *dict) (value, error) {
	a, err := argsOf("trim", args, kw, 0, "chars")
	if err != nil {
		return nil, err
	}
	s, err := r.str(v)
	if err != nil {
		return nil, err
	}
	return r.pyStrip(s, a[0], strings.TrimFunc)
}

func filterLength(r *renderer, v value, args []value, kw *dict) (value, error) {
	switch x := v.(type) {
	case undefined:
		return int64(0), nil
	case string:
		return int64(len([]rune(x))), nil
	case *list:
		return int64(len(x.items)), nil
	case *dict:
		return int64(len(x.keys)), nil
	}
	return nil, fmt.Errorf("length of %s", typeName(v))
}

func filterDefault(r *renderer, v value, args []value, kw *dict) (value, error) {
	a, err := argsOf("default", args, kw, 0, "default_value", "boolean")
	if err != nil {
		return nil, err
	}
	def := a[0]
	if isUndefined(def) {
		def = ""
	}
	if isUndefined(v) || (truthy(a[1]) && !truthy(v)) {
		return def, nil
	}
	return v, nil
}

func filterJoin(r *renderer, v value, args []value, kw *dict) (value, error) {
	a, err := argsOf("join", args, kw, 0, "d", "attribute")
	if err != nil {
		return nil, err
	}
	items, err := r.iterate(v)
	if err != nil {
		return nil, err
	}
	sep, err := r.str(a[0])
	if err != nil {
		return nil, err
	}
	if err := r.charge(int64(len(items))); err != nil {
		return nil, err
	}
	parts := make([]string, len(items))
	size := 0
	for i, it := range items {
		if !isUndefined(a[1]) {
			if it, err = getItem(it, a[1]); err != nil {
				return nil, err
			}
		}
		if parts[i], err = r.str(it); err != nil {
			return nil, err
		}
		size += len(parts[i]) + len(sep)
	}
	if err := r.chargeBytes(size); err != nil {
		return nil, err
	}
	return strings.Join(parts, sep), nil
}

func filterFirst(r *renderer, v value, args []value, kw *dict) (value, error) {
	items, err := r.iterate(v)
	if err != nil || len(items) == 0 {
		return undefined{"first"}, err
	}
	return items[0], nil
}

func filterLast(r *renderer, v value, args []value, kw *dict) (value, error) {
	items, err := r.iterate(v)
	if err != nil || len(items) == 0 {
		return undefined{"last"}, err
	}
	return items[len(items)-1], nil
}

func filterList(r *renderer, v value, args []value, kw *dict) (value, error) {
	items, err := r.iterate(v)
	if err != nil {
		return nil, err
	}
	return &list{append([]value{}, items...)}, r.charge(int64(len(items)))
}

func filterReverse(r *renderer, v value, args []value, kw *dict) (value, error) {
	if s, ok := v.(string); ok {
		rs := []rune(s)
		for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
			rs[i], rs[j] = rs[j], rs[i]
		}
		return string(rs), nil
	}
	items, err := r.iterate(v)
	if err != nil {
		return nil, err
	}
	if err := r.charge(int64(len(items))); err != nil {
		return nil, err
	}
	out := make([]value, len(items))
	for i, it := range items {
		out[len(items)-1-i] = it
	}
	return &list{out}, nil
}

func filterItems(r *renderer, v value, args []value, kw *dict) (value, error) {
	if isUndefined(v) {
		return &list{}, nil
	}
	d, ok := v.(*dict)
	if !ok {
		return nil, fmt.Errorf("items of %s", typeName(v))
	}
	return dictItems(r, d, nil, newDict())
}

func filterInt(r *renderer, v value, args []value, kw *dict) (value, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case bool:
		return boolInt(x), nil
	case float64:
		return int64(x), nil
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n, nil
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return int64(f), nil
		}
	}
	return int64(0), nil
}

func filterFloat(r *renderer, v value, args []value, kw *dict) (value, error) {
	if f, ok := toFloat(v); ok {
		return f, nil
	}
	if s, ok := v.(string); ok {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return f, nil
		}
	}
	return 0.0, nil
}

func filterAbs(r *renderer, v value, args []value, kw *dict) (value, error) {
	switch x := v.(type) {
	case int64:
		return max(x, -x), nil
	case float64:
		return max(x, -x), nil
	}
	return nil, fmt.Errorf("abs of %s", typeName(v))
}

func filterReplace(r *renderer, v value, args []value, kw *dict) (value, error) {
	a, err := argsOf("replace", args, kw, 2, "old", "new", "count")
	if err != nil {
		return nil, err
	}
	s, err := r.str(v)
	if err != nil {
		return nil, err
	}
	return r.replace(s, a[0], a[1], a[2])
}

// filterMap supports map(attribute="name") and map("filter").
func filterMap(r *renderer, v value, args []value, kw *dict) (value, error) {
	items, err := r.iterate(v)
	if err != nil {
		return nil, err
	}
	if err := r.charge(int64(len(items))); err != nil {
		return nil, err
	}
	out := make([]value, len(items))
	for i, it := range items {
		if attr, ok := kw.m["attribute"]; ok {
			if out[i], err = getItem(it, attr); err != nil {
				return nil, err
			}
			continue
		}
		if len(args) == 0 {
			return nil, fmt.Errorf("map needs a filter name or attribute=")
		}
		name, _ := args[0].(string)
		f, ok := filters[name]
		if !ok {
			return nil, fmt.Errorf("unsupported filter %q", name)
		}
		if out[i], err = f(r, it, args[1:], newDict()); err != nil {
			return nil, err
		}
	}
	return &list{out}, nil
}

// selectAttr is selectattr/rejectattr: keep the items whose attribute
// passes the test (truthiness when no test is named).
func selectAttr(keep bool) filterFunc {
	return func(r *renderer, v value, args []value, kw *dict) (value, error) {
		items, err := r.iterate(v)
		if err != nil {
			return nil, err
		}
		if len(args) == 0 {
			return nil, fmt.Errorf("selectattr needs an attribute")
		}
		var out []value
		for _, it := range items {
			if err := r.charge(1); err != nil {
				return nil, err
			}
			attr, err := getItem(it, args[0])
			if err != nil {
				return nil, err
			}
			ok := truthy(attr)
			if len(args) > 1 {
				name, _ := args[1].(string)
				if ok, err = r.applyTest(name, attr, args[2:]); err != nil {
					return nil, err
				}
			}
			if ok == keep {
				out = append(out, it)
			}
		}
		return &list{out}, nil
	}
}
