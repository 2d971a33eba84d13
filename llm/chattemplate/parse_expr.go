package chattemplate

// Expressions, by Jinja2's precedence from loosest to tightest:
// x if c else y; or; and; not; comparisons and in; ~; + -; * / // %; **;
// unary minus; then a primary with its postfixes (.a, [i], [a:b], (args)),
// and filters (|f) and tests (is t) on it.

func (p *parser) expr() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	x, err := p.or()
	if err != nil || !p.isName("if") {
		return x, err
	}
	p.next()
	cond, err := p.or()
	if err != nil {
		return nil, err
	}
	var no expr
	if p.isName("else") {
		p.next()
		if no, err = p.expr(); err != nil {
			return nil, err
		}
	}
	return &condExpr{cond: cond, yes: x, no: no}, nil
}

func (p *parser) or() (expr, error) {
	return p.leftAssoc(p.and, func() (string, bool) { return "or", p.isName("or") })
}

func (p *parser) and() (expr, error) {
	return p.leftAssoc(p.not, func() (string, bool) { return "and", p.isName("and") })
}

func (p *parser) not() (expr, error) {
	if !p.isName("not") {
		return p.compare()
	}
	p.next()
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	x, err := p.not()
	return &unaryExpr{op: "not", x: x}, err
}

func (p *parser) compare() (expr, error) {
	return p.leftAssoc(p.concat, func() (string, bool) {
		t := p.peek()
		switch {
		case t.kind == tokOp && (t.val == "==" || t.val == "!=" || t.val == "<" ||
			t.val == ">" || t.val == "<=" || t.val == ">="):
			return t.val, true
		case p.isName("in"):
			return "in", true
		case p.isName("not") && p.toks[p.i+1].kind == tokName && p.toks[p.i+1].val == "in":
			p.next() // "not"; leftAssoc consumes "in"
			return "not in", true
		}
		return "", false
	})
}

func (p *parser) concat() (expr, error) {
	return p.leftAssoc(p.sum, p.opIn("~"))
}

func (p *parser) sum() (expr, error) {
	return p.leftAssoc(p.product, p.opIn("+", "-"))
}

func (p *parser) product() (expr, error) {
	return p.leftAssoc(p.power, p.opIn("*", "/", "//", "%"))
}

func (p *parser) power() (expr, error) {
	return p.leftAssoc(func() (expr, error) { return p.unary(true) }, p.opIn("**"))
}

func (p *parser) opIn(ops ...string) func() (string, bool) {
	return func() (string, bool) {
		for _, op := range ops {
			if p.isOp(op) {
				return op, true
			}
		}
		return "", false
	}
}

// leftAssoc parses operand (op operand)* for the operators that match
// reports, left-associative.
func (p *parser) leftAssoc(operand func() (expr, error), match func() (string, bool)) (expr, error) {
	x, err := operand()
	if err != nil {
		return nil, err
	}
	for {
		op, ok := match()
		if !ok {
			return x, nil
		}
		p.next()
		y, err := operand()
		if err != nil {
			return nil, err
		}
		x = &binaryExpr{op: op, l: x, r: y}
	}
}

func (p *parser) unary(withFilters bool) (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	var x expr
	var err error
	if p.isOp("-") || p.isOp("+") {
		op := p.next().val
		y, err := p.unary(false)
		if err != nil {
			return nil, err
		}
		x = &unaryExpr{op: op, x: y}
	} else if x, err = p.primary(); err != nil {
		return nil, err
	} else if x, err = p.postfix(x); err != nil {
		return nil, err
	}
	if !withFilters {
		return x, nil
	}
	return p.filtersAndTests(x)
}

func (p *parser) filtersAndTests(x expr) (expr, error) {
	for {
		var err error
		switch {
		case p.isOp("|"):
			p.next()
			f := &filterExpr{x: x}
			if f.name, err = p.ident(); err != nil {
				return nil, err
			}
			if p.isOp("(") {
				p.next()
				if f.args, err = p.args(); err != nil {
					return nil, err
				}
			}
			x = f
		case p.isName("is"):
			p.next()
			if x, err = p.test(x); err != nil {
				return nil, err
			}
		case p.isOp("("):
			p.next()
			a, err := p.args()
			if err != nil {
				return nil, err
			}
			x = &callExpr{fn: x, args: a}
		default:
			return x, nil
		}
	}
}

func (p *parser) test(x expr) (expr, error) {
	t := &testExpr{x: x}
	if p.isName("not") {
		p.next()
		t.negate = true
	}
	var err error
	if t.name, err = p.ident(); err != nil {
		return nil, err
	}
	next := p.peek()
	switch {
	case p.isOp("("):
		p.next()
		t.args, err = p.args()
	case next.kind == tokString || next.kind == tokInt || next.kind == tokFloat ||
		p.isOp("[") || p.isOp("{") ||
		next.kind == tokName && next.val != "else" && next.val != "or" && next.val != "and" &&
			next.val != "is" && next.val != "if":
		// "x is sameas false", "n is divisibleby 3": one bare argument.
		var arg expr
		if arg, err = p.primary(); err == nil {
			arg, err = p.postfix(arg)
		}
		t.args.pos = []expr{arg}
	}
	return t, err
}

// args parses a call's arguments after "(", through ")".
func (p *parser) args() (argList, error) {
	var a argList
	for !p.isOp(")") {
		t := p.peek()
		if t.kind == tokName && p.toks[p.i+1].kind == tokOp && p.toks[p.i+1].val == "=" {
			p.i += 2
			v, err := p.expr()
			if err != nil {
				return a, err
			}
			a.kwNames = append(a.kwNames, t.val)
			a.kwVals = append(a.kwVals, v)
		} else {
			v, err := p.expr()
			if err != nil {
				return a, err
			}
			a.pos = append(a.pos, v)
		}
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	return a, p.expectOp(")")
}

func (p *parser) primary() (expr, error) {
	t := p.peek()
	switch t.kind {
	case tokName:
		return p.namePrimary()
	case tokString:
		s := ""
		for p.peek().kind == tokString {
			s += p.next().val
		}
		return &literal{s}, nil
	case tokInt, tokFloat:
		p.next()
		v, err := parseNumber(t)
		if err != nil {
			return nil, p.errorf("%v", err)
		}
		return &literal{v}, nil
	case tokOp:
		switch t.val {
		case "(":
			p.next()
			x, err := p.tupleOrExpr()
			if err != nil {
				return nil, err
			}
			return x, p.expectOp(")")
		case "[":
			p.next()
			return p.listLiteral()
		case "{":
			p.next()
			return p.dictLiteral()
		}
	}
	return nil, p.errorf("unexpected token %q", t.val)
}

func (p *parser) namePrimary() (expr, error) {
	t := p.next()
	switch t.val {
	case "true", "True":
		return &literal{true}, nil
	case "false", "False":
		return &literal{false}, nil
	case "none", "None":
		return &literal{nil}, nil
	case "in", "not", "and", "or", "is", "if", "else":
		return nil, p.errorf("unexpected %q", t.val)
	}
	return &nameExpr{t.val}, nil
}

func (p *parser) listLiteral() (expr, error) {
	l := &listExpr{}
	for !p.isOp("]") {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		l.items = append(l.items, x)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	return l, p.expectOp("]")
}

func (p *parser) dictLiteral() (expr, error) {
	d := &dictExpr{}
	for !p.isOp("}") {
		k, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(":"); err != nil {
			return nil, err
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		d.keys, d.vals = append(d.keys, k), append(d.vals, v)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	return d, p.expectOp("}")
}

func (p *parser) postfix(x expr) (expr, error) {
	for {
		switch {
		case p.isOp("."):
			p.next()
			t := p.next()
			switch t.kind {
			case tokName:
				x = &attrExpr{obj: x, name: t.val}
			case tokInt:
				v, err := parseNumber(t)
				if err != nil {
					return nil, p.errorf("%v", err)
				}
				x = &indexExpr{obj: x, idx: &literal{v}}
			default:
				return nil, p.errorf("expected an attribute name")
			}
		case p.isOp("["):
			p.next()
			var err error
			if x, err = p.subscript(x); err != nil {
				return nil, err
			}
		case p.isOp("("):
			p.next()
			a, err := p.args()
			if err != nil {
				return nil, err
			}
			x = &callExpr{fn: x, args: a}
		default:
			return x, nil
		}
	}
}

// subscript parses what follows "[": an index or a slice a:b:c.
func (p *parser) subscript(obj expr) (expr, error) {
	var parts [3]expr
	n := 0
	for {
		if !p.isOp(":") && !p.isOp("]") {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			parts[n] = x
		}
		if p.isOp("]") {
			break
		}
		if err := p.expectOp(":"); err != nil {
			return nil, err
		}
		if n++; n > 2 {
			return nil, p.errorf("too many colons in a slice")
		}
	}
	p.next()
	if n == 0 {
		if parts[0] == nil {
			return nil, p.errorf("empty subscript")
		}
		return &indexExpr{obj: obj, idx: parts[0]}, nil
	}
	return &sliceExpr{obj: obj, lo: parts[0], hi: parts[1], step: parts[2]}, nil
}
