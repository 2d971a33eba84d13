package chattemplate

import (
	"fmt"
	"strings"
)

func (r *renderer) evalTest(x *testExpr, s *scope) (value, error) {
	v, err := r.eval(x.x, s)
	if err != nil {
		return nil, err
	}
	args, _, err := r.evalArgs(x.args, s)
	if err != nil {
		return nil, err
	}
	ok, err := r.applyTest(x.name, v, args)
	return ok != x.negate, err
}

// applyTest is Jinja2's "v is name(args)".
func (r *renderer) applyTest(name string, v value, args []value) (bool, error) {
	arg := func() (value, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("test %q takes one argument", name)
		}
		return args[0], nil
	}
	switch name {
	case "defined":
		return !isUndefined(v), nil
	case "undefined":
		return isUndefined(v), nil
	case "none":
		return v == nil, nil
	case "true", "false":
		b, ok := v.(bool)
		return ok && b == (name == "true"), nil
	case "lower", "upper":
		s, ok := v.(string)
		conv := map[string]func(string) string{"lower": strings.ToLower, "upper": strings.ToUpper}[name]
		return ok && conv(s) == s, nil
	case "odd", "even", "divisibleby":
		return intTest(name, v, args)
	case "eq", "equalto", "==", "ne", "!=", "lt", "<", "gt", ">", "le", "<=", "ge", ">=", "in", "sameas":
		b, err := arg()
		if err != nil {
			return false, err
		}
		return r.compareTest(name, v, b)
	}
	return typeTest(name, v)
}

func typeTest(name string, v value) (bool, error) {
	switch name {
	case "string":
		_, ok := v.(string)
		return ok, nil
	case "number":
		switch v.(type) {
		case int64, float64:
			return true, nil
		}
		return false, nil
	case "integer":
		_, ok := v.(int64)
		return ok, nil
	case "float":
		_, ok := v.(float64)
		return ok, nil
	case "boolean":
		_, ok := v.(bool)
		return ok, nil
	case "mapping":
		_, ok := v.(*dict)
		return ok, nil
	case "iterable", "sequence":
		switch v.(type) {
		case string, *list, *dict:
			return true, nil
		}
		return false, nil
	case "callable":
		switch v.(type) {
		case builtin, *macro, *boundMethod:
			return true, nil
		}
		return false, nil
	}
	return false, fmt.Errorf("unsupported test %q", name)
}

func intTest(name string, v value, args []value) (bool, error) {
	n, err := wantInt("test "+name, v)
	if err != nil {
		return false, err
	}
	div := int64(2)
	if name == "divisibleby" {
		if len(args) != 1 {
			return false, fmt.Errorf("divisibleby takes one argument")
		}
		if div, err = wantInt("divisibleby", args[0]); err != nil || div == 0 {
			return false, fmt.Errorf("divisibleby needs a non-zero integer")
		}
	}
	if name == "odd" {
		return n%2 != 0, nil
	}
	return n%div == 0, nil
}

func (r *renderer) compareTest(name string, a, b value) (bool, error) {
	op := map[string]string{"eq": "==", "equalto": "==", "ne": "!=", "lt": "<", "gt": ">",
		"le": "<=", "ge": ">="}[name]
	if op == "" {
		op = name
	}
	if op == "sameas" {
		return sameObject(a, b), nil
	}
	v, err := r.binary(op, a, b)
	return truthy(v), err
}
