package chattemplate

import (
	"fmt"
	"math"
	"strings"
)

// arith is Python's arithmetic on template values; every result that
// allocates is charged to the budget before it is built.
func (r *renderer) arith(op string, a, b value) (value, error) {
	switch op {
	case "+":
		if sa, ok := a.(string); ok {
			sb, ok := b.(string)
			if !ok {
				return nil, fmt.Errorf("cannot add %s to a string", typeName(b))
			}
			if err := r.chargeBytes(len(sa) + len(sb)); err != nil {
				return nil, err
			}
			return sa + sb, nil
		}
		if la, ok := a.(*list); ok {
			lb, ok := b.(*list)
			if !ok {
				return nil, fmt.Errorf("cannot add %s to a list", typeName(b))
			}
			if err := r.charge(int64(len(la.items) + len(lb.items))); err != nil {
				return nil, err
			}
			return &list{append(append([]value{}, la.items...), lb.items...)}, nil
		}
	case "*":
		if v, ok, err := r.repeat(a, b); ok || err != nil {
			return v, err
		}
		if v, ok, err := r.repeat(b, a); ok || err != nil {
			return v, err
		}
	}
	return numeric(op, a, b)
}

// repeat is s * n and l * n, charged for the size of the result.
func (r *renderer) repeat(seq, count value) (value, bool, error) {
	n, ok := count.(int64)
	if !ok {
		return nil, false, nil
	}
	n = max(n, 0)
	switch s := seq.(type) {
	case string:
		if len(s) > 0 && n > int64(r.limits.MaxOutput/len(s)) {
			return nil, true, fmt.Errorf("%w: repeated string exceeds %d bytes", ErrLimit, r.limits.MaxOutput)
		}
		if err := r.chargeBytes(len(s) * int(n)); err != nil {
			return nil, true, err
		}
		return strings.Repeat(s, int(n)), true, nil
	case *list:
		if len(s.items) > 0 && n > r.limits.MaxSteps/int64(len(s.items)) {
			return nil, true, fmt.Errorf("%w: repeated list too long", ErrLimit)
		}
		if err := r.charge(int64(len(s.items)) * n); err != nil {
			return nil, true, err
		}
		out := make([]value, 0, int64(len(s.items))*n)
		for range n {
			out = append(out, s.items...)
		}
		return &list{out}, true, nil
	}
	return nil, false, nil
}

func numeric(op string, a, b value) (value, error) {
	ia, aInt := a.(int64)
	ib, bInt := b.(int64)
	if ba, ok := a.(bool); ok {
		ia, aInt = boolInt(ba), true
	}
	if bb, ok := b.(bool); ok {
		ib, bInt = boolInt(bb), true
	}
	if aInt && bInt {
		return intArith(op, ia, ib)
	}
	fa, ok1 := toFloat(a)
	fb, ok2 := toFloat(b)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("unsupported operands for %s: %s and %s", op, typeName(a), typeName(b))
	}
	return floatArith(op, fa, fb)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func intArith(op string, a, b int64) (value, error) {
	switch op {
	case "+":
		if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
			return nil, fmt.Errorf("integer overflow")
		}
		return a + b, nil
	case "-":
		return intArith("+", a, -b)
	case "*":
		if a != 0 && (a*b/a != b || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64)) {
			return nil, fmt.Errorf("integer overflow")
		}
		return a * b, nil
	case "/":
		if b == 0 {
			return nil, fmt.Errorf("division by zero")
		}
		return float64(a) / float64(b), nil
	case "//", "%":
		if b == 0 {
			return nil, fmt.Errorf("division by zero")
		}
		q, m := a/b, a%b
		if m != 0 && (m < 0) != (b < 0) { // Python floors
			q, m = q-1, m+b
		}
		if op == "//" {
			return q, nil
		}
		return m, nil
	case "**":
		if b < 0 {
			return math.Pow(float64(a), float64(b)), nil
		}
		switch a {
		case 0, 1:
			return map[bool]int64{true: 1, false: a}[b == 0], nil
		case -1:
			return 1 - 2*(b&1), nil
		}
		out := int64(1)
		for range b { // |a| >= 2 overflows within 63 rounds
			next, err := intArith("*", out, a)
			if err != nil {
				return nil, err
			}
			out = next.(int64)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported operator %s", op)
}

func floatArith(op string, a, b float64) (value, error) {
	switch op {
	case "+":
		return a + b, nil
	case "-":
		return a - b, nil
	case "*":
		return a * b, nil
	case "/", "//", "%":
		if b == 0 {
			return nil, fmt.Errorf("division by zero")
		}
		switch op {
		case "/":
			return a / b, nil
		case "//":
			return math.Floor(a / b), nil
		}
		m := math.Mod(a, b)
		if m != 0 && (m < 0) != (b < 0) {
			m += b
		}
		return m, nil
	case "**":
		return math.Pow(a, b), nil
	}
	return nil, fmt.Errorf("unsupported operator %s", op)
}
