package chattemplate

import (
	"fmt"
	"math"
	"strings"
)

func (r *renderer) eval(x expr, s *scope) (value, error) {
	if err := r.charge(1); err != nil {
		return nil, err
	}
	switch x := x.(type) {
	case *literal:
		return x.v, nil
	case *nameExpr:
		if v, ok := s.lookup(x.name); ok {
			return v, nil
		}
		return undefined{x.name}, nil
	case *listExpr:
		items, err := r.evalAll(x.items, s)
		return &list{items}, err
	case *dictExpr:
		return r.evalDict(x, s)
	case *attrExpr:
		obj, err := r.eval(x.obj, s)
		if err != nil {
			return nil, err
		}
		return getAttr(obj, x.name)
	case *indexExpr:
		return r.evalIndex(x, s)
	case *sliceExpr:
		return r.evalSlice(x, s)
	case *callExpr:
		return r.evalCall(x, s)
	case *filterExpr:
		return r.evalFilter(x, s)
	case *testExpr:
		return r.evalTest(x, s)
	case *unaryExpr:
		return r.evalUnary(x, s)
	case *binaryExpr:
		return r.evalBinary(x, s)
	case *condExpr:
		c, err := r.eval(x.cond, s)
		if err != nil {
			return nil, err
		}
		if truthy(c) {
			return r.eval(x.yes, s)
		}
		if x.no == nil {
			return undefined{"else branch"}, nil
		}
		return r.eval(x.no, s)
	}
	return nil, fmt.Errorf("unknown expression %T", x)
}

func (r *renderer) evalAll(xs []expr, s *scope) ([]value, error) {
	out := make([]value, len(xs))
	for i, x := range xs {
		v, err := r.eval(x, s)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (r *renderer) evalDict(x *dictExpr, s *scope) (value, error) {
	d := newDict()
	for i := range x.keys {
		k, err := r.eval(x.keys[i], s)
		if err != nil {
			return nil, err
		}
		ks, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("dict key must be a string, not %s", typeName(k))
		}
		v, err := r.eval(x.vals[i], s)
		if err != nil {
			return nil, err
		}
		d.set(ks, v)
	}
	return d, nil
}

// getAttr is obj.name: Jinja2 looks for an attribute (a method) first,
// then an item.
func getAttr(obj value, name string) (value, error) {
	switch o := obj.(type) {
	case undefined:
		return nil, fmt.Errorf("%s is undefined (reading .%s)", undefinedName(o), name)
	case string:
		if _, ok := stringMethods[name]; ok {
			return &boundMethod{recv: o, name: name}, nil
		}
	case *loopInfo:
		return o.attr(name), nil
	case *dict:
		if _, ok := dictMethods[name]; ok && !o.namespace {
			return &boundMethod{recv: o, name: name}, nil
		}
		if v, ok := o.m[name]; ok {
			return v, nil
		}
	}
	return undefined{name}, nil
}

func undefinedName(u undefined) string {
	if u.name == "" {
		return "value"
	}
	return "'" + u.name + "'"
}

func (r *renderer) evalIndex(x *indexExpr, s *scope) (value, error) {
	obj, err := r.eval(x.obj, s)
	if err != nil {
		return nil, err
	}
	idx, err := r.eval(x.idx, s)
	if err != nil {
		return nil, err
	}
	if so, ok := obj.(string); ok {
		if err := r.chargeBytes(len(so)); err != nil {
			return nil, err
		}
	}
	return getItem(obj, idx)
}

// getItem is obj[idx]: an item first, then an attribute.
func getItem(obj, idx value) (value, error) {
	switch o := obj.(type) {
	case undefined:
		return nil, fmt.Errorf("%s is undefined (reading [%s])", undefinedName(o), brief(idx))
	case *list:
		if i, ok := idx.(int64); ok {
			if i < 0 {
				i += int64(len(o.items))
			}
			if i >= 0 && i < int64(len(o.items)) {
				return o.items[i], nil
			}
			return undefined{fmt.Sprintf("index %d", i)}, nil
		}
	case string:
		if i, ok := idx.(int64); ok {
			rs := []rune(o)
			if i < 0 {
				i += int64(len(rs))
			}
			if i >= 0 && i < int64(len(rs)) {
				return string(rs[i]), nil
			}
			return undefined{fmt.Sprintf("index %d", i)}, nil
		}
	case *dict:
		if k, ok := idx.(string); ok {
			if v, ok := o.m[k]; ok {
				return v, nil
			}
			return getAttr(obj, k)
		}
	}
	if k, ok := idx.(string); ok {
		return getAttr(obj, k)
	}
	return undefined{brief(idx)}, nil
}

func (r *renderer) evalSlice(x *sliceExpr, s *scope) (value, error) {
	obj, err := r.eval(x.obj, s)
	if err != nil {
		return nil, err
	}
	var bounds [3]value
	for i, b := range []expr{x.lo, x.hi, x.step} {
		if b == nil {
			continue
		}
		if bounds[i], err = r.eval(b, s); err != nil {
			return nil, err
		}
	}
	switch o := obj.(type) {
	case *list:
		if err := r.charge(int64(len(o.items))); err != nil {
			return nil, err
		}
		idx, err := sliceIndices(len(o.items), bounds)
		if err != nil {
			return nil, err
		}
		out := make([]value, len(idx))
		for i, j := range idx {
			out[i] = o.items[j]
		}
		return &list{out}, nil
	case string:
		if err := r.chargeBytes(len(o)); err != nil {
			return nil, err
		}
		rs := []rune(o)
		idx, err := sliceIndices(len(rs), bounds)
		if err != nil {
			return nil, err
		}
		out := make([]rune, len(idx))
		for i, j := range idx {
			out[i] = rs[j]
		}
		return string(out), nil
	}
	return nil, fmt.Errorf("cannot slice %s", typeName(obj))
}

// sliceIndices is Python's slice(lo, hi, step).indices(n), expanded.
func sliceIndices(n int, b [3]value) ([]int, error) {
	step := 1
	if b[2] != nil {
		st, ok := b[2].(int64)
		if !ok || st == 0 {
			return nil, fmt.Errorf("slice step must be a non-zero integer")
		}
		step = int(max(min(st, math.MaxInt32), math.MinInt32))
	}
	clamp := func(v value, def int) (int, error) {
		if v == nil {
			return def, nil
		}
		i, ok := v.(int64)
		if !ok {
			return 0, fmt.Errorf("slice bounds must be integers")
		}
		if i < 0 {
			i += int64(n)
		}
		lo, hi := int64(0), int64(n)
		if step < 0 {
			lo, hi = -1, int64(n-1)
		}
		return int(max(lo, min(i, hi))), nil
	}
	defLo, defHi := 0, n
	if step < 0 {
		defLo, defHi = n-1, -1
	}
	lo, err := clamp(b[0], defLo)
	if err != nil {
		return nil, err
	}
	hi, err := clamp(b[1], defHi)
	if err != nil {
		return nil, err
	}
	var idx []int
	for i := lo; (step > 0 && i < hi) || (step < 0 && i > hi); i += step {
		idx = append(idx, i)
	}
	return idx, nil
}

func (r *renderer) evalUnary(x *unaryExpr, s *scope) (value, error) {
	v, err := r.eval(x.x, s)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "not":
		return !truthy(v), nil
	case "-":
		switch n := v.(type) {
		case int64:
			return -n, nil
		case float64:
			return -n, nil
		}
	case "+":
		switch v.(type) {
		case int64, float64:
			return v, nil
		}
	}
	return nil, fmt.Errorf("bad operand %s for unary %s", typeName(v), x.op)
}

func (r *renderer) evalBinary(x *binaryExpr, s *scope) (value, error) {
	a, err := r.eval(x.l, s)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "and":
		if !truthy(a) {
			return a, nil
		}
		return r.eval(x.r, s)
	case "or":
		if truthy(a) {
			return a, nil
		}
		return r.eval(x.r, s)
	}
	b, err := r.eval(x.r, s)
	if err != nil {
		return nil, err
	}
	return r.binary(x.op, a, b)
}

func (r *renderer) binary(op string, a, b value) (value, error) {
	switch op {
	case "==", "!=":
		eq, err := r.equal(a, b)
		return eq == (op == "=="), err
	case "in", "not in":
		in, err := r.contains(b, a)
		return in == (op == "in"), err
	case "~":
		sa, err := r.str(a)
		if err != nil {
			return nil, err
		}
		sb, err := r.str(b)
		if err != nil {
			return nil, err
		}
		if err := r.chargeBytes(len(sa) + len(sb)); err != nil {
			return nil, err
		}
		return sa + sb, nil
	case "<", ">", "<=", ">=":
		c, err := compare(a, b)
		if err != nil {
			return nil, err
		}
		return map[string]bool{"<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op], nil
	}
	if isUndefined(a) || isUndefined(b) {
		return nil, fmt.Errorf("undefined operand of %s", op)
	}
	return r.arith(op, a, b)
}

// contains is Python's needle in haystack; in undefined is false.
func (r *renderer) contains(hay, needle value) (bool, error) {
	switch h := hay.(type) {
	case undefined:
		return false, nil
	case string:
		n, ok := needle.(string)
		if !ok {
			return false, fmt.Errorf("'in <string>' requires a string, not %s", typeName(needle))
		}
		return strings.Contains(h, n), r.chargeBytes(len(h))
	case *list:
		if err := r.charge(int64(len(h.items))); err != nil {
			return false, err
		}
		for _, it := range h.items {
			if eq, err := r.equal(it, needle); eq || err != nil {
				return eq, err
			}
		}
		return false, nil
	case *dict:
		n, ok := needle.(string)
		_, in := h.m[n]
		return ok && in, nil
	}
	return false, fmt.Errorf("%s is not a container", typeName(hay))
}
