package chattemplate

import (
	"fmt"
	"strconv"
)

// maxNesting bounds how deeply blocks and expressions nest, so that a
// hostile template cannot exhaust the stack of the recursive parser or of
// the evaluator that walks its tree.
const maxNesting = 200

type parser struct {
	toks  []token
	i     int
	depth int
}

// parse turns template source into its syntax tree.
func parse(src string) ([]node, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	body, end, err := p.block()
	if err != nil {
		return nil, err
	}
	if end != "" {
		return nil, p.errorf("unexpected {%% %s %%}", end)
	}
	return body, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("template offset %d: %s", p.peek().pos, fmt.Sprintf(format, args...))
}

func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tokOp && t.val == op
}

func (p *parser) isName(name string) bool {
	t := p.peek()
	return t.kind == tokName && t.val == name
}

func (p *parser) expectOp(op string) error {
	if !p.isOp(op) {
		return p.errorf("expected %q", op)
	}
	p.next()
	return nil
}

func (p *parser) expectName(name string) error {
	if !p.isName(name) {
		return p.errorf("expected %q", name)
	}
	p.next()
	return nil
}

func (p *parser) ident() (string, error) {
	t := p.peek()
	if t.kind != tokName {
		return "", p.errorf("expected a name")
	}
	p.next()
	return t.val, nil
}

func (p *parser) expectKind(k tokKind, what string) error {
	if p.peek().kind != k {
		return p.errorf("expected %s", what)
	}
	p.next()
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxNesting {
		return p.errorf("nesting deeper than %d", maxNesting)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// block parses nodes until EOF or a statement tag named in ends, which it
// consumes (its name is returned; the rest of that tag is the caller's).
func (p *parser) block(ends ...string) ([]node, string, error) {
	if err := p.enter(); err != nil {
		return nil, "", err
	}
	defer p.leave()
	var out []node
	for {
		t := p.next()
		switch t.kind {
		case tokEOF:
			if len(ends) > 0 {
				return nil, "", p.errorf("missing {%% %s %%}", ends[len(ends)-1])
			}
			return out, "", nil
		case tokText:
			out = append(out, &textNode{t.val})
		case tokExprOpen:
			x, err := p.expr()
			if err != nil {
				return nil, "", err
			}
			if err := p.expectKind(tokExprClose, "}}"); err != nil {
				return nil, "", err
			}
			out = append(out, &outputNode{x})
		case tokStmtOpen:
			name := p.peek().val
			for _, e := range ends {
				if name == e && p.peek().kind == tokName {
					p.next()
					return out, name, nil
				}
			}
			n, err := p.statement()
			if err != nil {
				return nil, "", err
			}
			if n != nil {
				out = append(out, n)
			}
		default:
			return nil, "", p.errorf("unexpected token %q", t.val)
		}
	}
}

func (p *parser) closeTag() error { return p.expectKind(tokStmtClose, "%}") }

func (p *parser) statement() (node, error) {
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	switch name {
	case "if":
		return p.ifStatement()
	case "for":
		return p.forStatement()
	case "set":
		return p.setStatement()
	case "macro":
		return p.macroStatement()
	case "break", "continue":
		return &loopControl{isBreak: name == "break"}, p.closeTag()
	case "generation", "endgeneration":
		// transformers' marker of assistant text for its masks; it renders
		// nothing.
		return nil, p.closeTag()
	}
	return nil, p.errorf("unsupported tag {%% %s %%}", name)
}

func (p *parser) ifStatement() (node, error) {
	cond, err := p.expr()
	if err != nil {
		return nil, err
	}
	if err := p.closeTag(); err != nil {
		return nil, err
	}
	n := &ifNode{cond: cond}
	var end string
	if n.then, end, err = p.block("elif", "else", "endif"); err != nil {
		return nil, err
	}
	switch end {
	case "elif":
		elif, err := p.ifStatement()
		if err != nil {
			return nil, err
		}
		n.els = []node{elif}
		return n, nil
	case "else":
		if err := p.closeTag(); err != nil {
			return nil, err
		}
		if n.els, _, err = p.block("endif"); err != nil {
			return nil, err
		}
	}
	return n, p.closeTag()
}

func (p *parser) forStatement() (node, error) {
	n := &forNode{}
	for {
		v, err := p.ident()
		if err != nil {
			return nil, err
		}
		n.vars = append(n.vars, v)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	if err := p.expectName("in"); err != nil {
		return nil, err
	}
	var err error
	if n.iter, err = p.or(); err != nil {
		return nil, err
	}
	if p.isName("if") {
		p.next()
		if n.filter, err = p.expr(); err != nil {
			return nil, err
		}
	}
	if p.isName("recursive") {
		return nil, p.errorf("recursive loops are not supported")
	}
	if err := p.closeTag(); err != nil {
		return nil, err
	}
	var end string
	if n.body, end, err = p.block("else", "endfor"); err != nil {
		return nil, err
	}
	if end == "else" {
		if err := p.closeTag(); err != nil {
			return nil, err
		}
		if n.els, _, err = p.block("endfor"); err != nil {
			return nil, err
		}
	}
	return n, p.closeTag()
}

func (p *parser) setStatement() (node, error) {
	n := &setNode{}
	first, err := p.ident()
	if err != nil {
		return nil, err
	}
	n.names = []string{first}
	if p.isOp(".") {
		p.next()
		if n.attr, err = p.ident(); err != nil {
			return nil, err
		}
	}
	for n.attr == "" && p.isOp(",") {
		p.next()
		v, err := p.ident()
		if err != nil {
			return nil, err
		}
		n.names = append(n.names, v)
	}
	if p.peek().kind == tokStmtClose && len(n.names) == 1 && n.attr == "" {
		p.next()
		n.block = true
		if n.body, _, err = p.block("endset"); err != nil {
			return nil, err
		}
		return n, p.closeTag()
	}
	if err := p.expectOp("="); err != nil {
		return nil, err
	}
	if n.value, err = p.tupleOrExpr(); err != nil {
		return nil, err
	}
	return n, p.closeTag()
}

func (p *parser) macroStatement() (node, error) {
	n := &macroNode{}
	var err error
	if n.name, err = p.ident(); err != nil {
		return nil, err
	}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	for !p.isOp(")") {
		param, err := p.ident()
		if err != nil {
			return nil, err
		}
		var def expr
		if p.isOp("=") {
			p.next()
			if def, err = p.expr(); err != nil {
				return nil, err
			}
		}
		n.params = append(n.params, param)
		n.defaults = append(n.defaults, def)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	if err := p.closeTag(); err != nil {
		return nil, err
	}
	if n.body, _, err = p.block("endmacro"); err != nil {
		return nil, err
	}
	return n, p.closeTag()
}

// tupleOrExpr parses "a, b" as a list (Jinja's tuple) or a single
// expression.
func (p *parser) tupleOrExpr() (expr, error) {
	x, err := p.expr()
	if err != nil || !p.isOp(",") {
		return x, err
	}
	items := []expr{x}
	for p.isOp(",") {
		p.next()
		y, err := p.expr()
		if err != nil {
			return nil, err
		}
		items = append(items, y)
	}
	return &listExpr{items}, nil
}

func parseNumber(t token) (value, error) {
	if t.kind == tokInt {
		n, err := strconv.ParseInt(t.val, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("integer literal %q: %w", t.val, err)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(t.val, 64)
	if err != nil {
		return nil, fmt.Errorf("float literal %q: %w", t.val, err)
	}
	return f, nil
}
