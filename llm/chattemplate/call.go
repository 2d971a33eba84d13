package chattemplate

import (
	"fmt"
)

func (r *renderer) evalArgs(a argList, s *scope) ([]value, *dict, error) {
	pos, err := r.evalAll(a.pos, s)
	if err != nil {
		return nil, nil, err
	}
	kw := newDict()
	for i, name := range a.kwNames {
		v, err := r.eval(a.kwVals[i], s)
		if err != nil {
			return nil, nil, err
		}
		kw.set(name, v)
	}
	return pos, kw, nil
}

func (r *renderer) evalCall(x *callExpr, s *scope) (value, error) {
	fn, err := r.eval(x.fn, s)
	if err != nil {
		return nil, err
	}
	args, kw, err := r.evalArgs(x.args, s)
	if err != nil {
		return nil, err
	}
	return r.call(fn, args, kw)
}

func (r *renderer) call(fn value, args []value, kw *dict) (value, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	switch f := fn.(type) {
	case builtin:
		return f(r, args, kw)
	case *boundMethod:
		return r.callMethod(f, args, kw)
	case *macro:
		return r.callMacro(f, args, kw)
	case undefined:
		return nil, fmt.Errorf("%s is undefined (called)", undefinedName(f))
	}
	return nil, fmt.Errorf("%s is not callable", typeName(fn))
}

func (r *renderer) callMacro(m *macro, args []value, kw *dict) (value, error) {
	n := m.node
	if len(args) > len(n.params) {
		return nil, fmt.Errorf("macro %s takes %d arguments, got %d", n.name, len(n.params), len(args))
	}
	inner := newScope(m.scope)
	for i, p := range n.params {
		switch v, ok := kw.m[p]; {
		case i < len(args):
			inner.vars[p] = args[i]
		case ok:
			inner.vars[p] = v
		case n.defaults[i] != nil:
			d, err := r.eval(n.defaults[i], inner)
			if err != nil {
				return nil, err
			}
			inner.vars[p] = d
		default:
			inner.vars[p] = undefined{p}
		}
	}
	return r.capture(n.body, inner)
}

// argsOf checks a builtin's arity; kwargs named in names fill the
// positions after the positional arguments.
func argsOf(what string, args []value, kw *dict, minN int, names ...string) ([]value, error) {
	out := make([]value, len(names))
	if len(args) < minN || len(args) > len(names) {
		return nil, fmt.Errorf("%s takes %d to %d arguments, got %d", what, minN, len(names), len(args))
	}
	copy(out, args)
	for _, k := range kw.keys {
		i := indexOf(names, k)
		if i < 0 {
			return nil, fmt.Errorf("%s has no argument %q", what, k)
		}
		if i < len(args) {
			return nil, fmt.Errorf("%s got %q twice", what, k)
		}
		out[i] = kw.m[k]
	}
	for i := minN; i < len(out); i++ {
		if out[i] == nil && i >= len(args) {
			if _, given := kw.m[names[i]]; !given {
				out[i] = undefined{names[i]}
			}
		}
	}
	return out, nil
}

func indexOf(names []string, k string) int {
	for i, n := range names {
		if n == k {
			return i
		}
	}
	return -1
}

func wantString(what string, v value) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: want a string, got %s", what, typeName(v))
	}
	return s, nil
}

func wantInt(what string, v value) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case bool:
		return boolInt(n), nil
	}
	return 0, fmt.Errorf("%s: want an integer, got %s", what, typeName(v))
}
