package chattemplate

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// scope is one level of variables: the template's top level, a loop
// iteration or a macro call. As in Jinja2, an assignment inside a for loop
// does not outlive the iteration; a namespace carries state out of it.
type scope struct {
	vars   map[string]value
	parent *scope
	// captured is set when a macro closes over this scope, which then
	// must not be emptied for reuse.
	captured bool
}

func (s *scope) lookup(name string) (value, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

func newScope(parent *scope) *scope { return &scope{vars: make(map[string]value, 2), parent: parent} }

// errLoopBreak and errLoopContinue unwind from {% break %} and
// {% continue %} to the loop.
var (
	errLoopBreak    = errors.New("break outside a loop")
	errLoopContinue = errors.New("continue outside a loop")
)

// renderer is one rendering: the output and the budget it may spend.
type renderer struct {
	ctx    context.Context
	limits Limits
	out    strings.Builder
	steps  int64
	depth  int
}

// charge spends n steps of the budget and checks the context now and then.
func (r *renderer) charge(n int64) error {
	r.steps += n
	if r.steps > r.limits.MaxSteps {
		return fmt.Errorf("%w: more than %d steps", ErrLimit, r.limits.MaxSteps)
	}
	if r.steps&0x3ff < n || n > 0x3ff {
		if err := r.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// bytesPerStep prices string work: the bytes all string operations of a
// rendering build add up to at most bytesPerStep × MaxSteps (80 MB under
// DefaultLimits), which bounds the memory a template can hold.
const bytesPerStep = 16

// chargeBytes charges for producing or scanning n bytes and refuses a
// string longer than the output may be.
func (r *renderer) chargeBytes(n int) error {
	if n > r.limits.MaxOutput {
		return fmt.Errorf("%w: a string of %d bytes exceeds %d", ErrLimit, n, r.limits.MaxOutput)
	}
	return r.charge(int64(n/bytesPerStep) + 1)
}

func (r *renderer) write(s string) error {
	if r.out.Len()+len(s) > r.limits.MaxOutput {
		return fmt.Errorf("%w: output exceeds %d bytes", ErrLimit, r.limits.MaxOutput)
	}
	r.out.WriteString(s)
	return r.chargeBytes(len(s))
}

func (r *renderer) enter() error {
	r.depth++
	if r.depth > r.limits.MaxDepth {
		return fmt.Errorf("%w: calls nested deeper than %d", ErrLimit, r.limits.MaxDepth)
	}
	return nil
}

func (r *renderer) leave() { r.depth-- }

func (r *renderer) exec(nodes []node, s *scope) error {
	for _, n := range nodes {
		if err := r.charge(1); err != nil {
			return err
		}
		if err := r.execOne(n, s); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) execOne(n node, s *scope) error {
	switch n := n.(type) {
	case *textNode:
		return r.write(n.text)
	case *outputNode:
		v, err := r.eval(n.x, s)
		if err != nil {
			return err
		}
		out, err := r.str(v)
		if err != nil {
			return err
		}
		return r.write(out)
	case *ifNode:
		c, err := r.eval(n.cond, s)
		if err != nil {
			return err
		}
		if truthy(c) {
			return r.exec(n.then, s)
		}
		return r.exec(n.els, s)
	case *forNode:
		return r.execFor(n, s)
	case *setNode:
		return r.execSet(n, s)
	case *macroNode:
		s.vars[n.name] = &macro{node: n, scope: s}
		s.captured = true
		return nil
	case *loopControl:
		if n.isBreak {
			return errLoopBreak
		}
		return errLoopContinue
	}
	return fmt.Errorf("unknown node %T", n)
}

func (r *renderer) execSet(n *setNode, s *scope) error {
	var v value
	var err error
	if n.block {
		v, err = r.capture(n.body, s)
	} else {
		v, err = r.eval(n.value, s)
	}
	if err != nil {
		return err
	}
	switch {
	case n.attr != "":
		obj, _ := s.lookup(n.names[0])
		ns, ok := obj.(*dict)
		if !ok || !ns.namespace {
			return fmt.Errorf("cannot set attribute %q of %s: not a namespace", n.attr, n.names[0])
		}
		ns.set(n.attr, v)
	case len(n.names) == 1:
		s.vars[n.names[0]] = v
	default:
		return r.unpack(n.names, v, s)
	}
	return nil
}

func (r *renderer) unpack(names []string, v value, s *scope) error {
	items, err := r.iterate(v)
	if err != nil {
		return err
	}
	if len(items) != len(names) {
		return fmt.Errorf("cannot unpack %d values into %d names", len(items), len(names))
	}
	for i, name := range names {
		s.vars[name] = items[i]
	}
	return nil
}

// capture renders body into a string instead of the output.
func (r *renderer) capture(body []node, s *scope) (string, error) {
	saved := r.out
	r.out = strings.Builder{}
	err := r.exec(body, s)
	got := r.out.String()
	r.out = saved
	if err == nil && r.out.Len()+len(got) > r.limits.MaxOutput {
		err = fmt.Errorf("%w: output exceeds %d bytes", ErrLimit, r.limits.MaxOutput)
	}
	return got, err
}

func (r *renderer) execFor(n *forNode, s *scope) error {
	iv, err := r.eval(n.iter, s)
	if err != nil {
		return err
	}
	items, err := r.iterate(iv)
	if err != nil {
		return err
	}
	if n.filter != nil {
		if items, err = r.filterLoop(n, items, s); err != nil {
			return err
		}
	}
	if len(items) == 0 {
		return r.exec(n.els, s)
	}
	// One scope serves every iteration, emptied at the start of each (an
	// assignment in the body lasts only for its iteration, as in Jinja2),
	// unless a macro defined in the body holds on to it.
	inner := newScope(s)
	for i, it := range items {
		if err := r.charge(1); err != nil {
			return err
		}
		if inner.captured {
			inner = newScope(s)
		}
		clear(inner.vars)
		if err := r.bindLoopVars(n.vars, it, inner); err != nil {
			return err
		}
		inner.vars["loop"] = &loopInfo{i: i, items: items}
		err := r.exec(n.body, inner)
		if errors.Is(err, errLoopBreak) {
			break
		}
		if err != nil && !errors.Is(err, errLoopContinue) {
			return err
		}
	}
	return nil
}

func (r *renderer) filterLoop(n *forNode, items []value, s *scope) ([]value, error) {
	var kept []value
	for _, it := range items {
		inner := newScope(s)
		if err := r.bindLoopVars(n.vars, it, inner); err != nil {
			return nil, err
		}
		c, err := r.eval(n.filter, inner)
		if err != nil {
			return nil, err
		}
		if truthy(c) {
			kept = append(kept, it)
		}
	}
	return kept, nil
}

func (r *renderer) bindLoopVars(names []string, it value, s *scope) error {
	if len(names) == 1 {
		s.vars[names[0]] = it
		return nil
	}
	return r.unpack(names, it, s)
}

// loopInfo is the loop variable of one iteration, built lazily: most
// templates read one or two of its attributes.
type loopInfo struct {
	i     int
	items []value
}

func (l *loopInfo) attr(name string) value {
	n := len(l.items)
	switch name {
	case "index0":
		return int64(l.i)
	case "index":
		return int64(l.i + 1)
	case "revindex0":
		return int64(n - l.i - 1)
	case "revindex":
		return int64(n - l.i)
	case "first":
		return l.i == 0
	case "last":
		return l.i == n-1
	case "length":
		return int64(n)
	case "previtem":
		if l.i > 0 {
			return l.items[l.i-1]
		}
	case "nextitem":
		if l.i+1 < n {
			return l.items[l.i+1]
		}
	}
	return undefined{"loop." + name}
}

// str is str(v) within the rendering's output limit, charged.
func (r *renderer) str(v value) (string, error) {
	s, err := str(v, r.limits.MaxOutput)
	if err != nil {
		return "", err
	}
	if _, isString := v.(string); !isString {
		err = r.chargeBytes(len(s))
	}
	return s, err
}
