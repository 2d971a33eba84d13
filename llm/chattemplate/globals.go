package chattemplate

import (
	"fmt"
	"strings"
	"time"
)

// RaisedError is what a template's raise_exception(message) returns, as
// transformers raises TemplateError: the template refused the conversation
// (e.g. Gemma's "Conversation roles must alternate").
type RaisedError struct{ Message string }

func (e *RaisedError) Error() string { return "template raised: " + e.Message }

// globals are the functions transformers puts in the environment, and
// the Jinja2 built-ins templates call.
func globals(now func() time.Time) map[string]value {
	return map[string]value{
		"raise_exception": builtin(func(r *renderer, args []value, kw *dict) (value, error) {
			msg := ""
			if len(args) > 0 {
				var err error
				if msg, err = r.str(args[0]); err != nil {
					return nil, err
				}
			}
			return nil, &RaisedError{Message: msg}
		}),
		"strftime_now": builtin(func(r *renderer, args []value, kw *dict) (value, error) {
			a, err := argsOf("strftime_now", args, kw, 1, "format")
			if err != nil {
				return nil, err
			}
			f, err := wantString("strftime_now", a[0])
			if err != nil {
				return nil, err
			}
			return strftime(now(), f)
		}),
		"range":     builtin(rangeFunc),
		"namespace": builtin(namespaceFunc(true)),
		"dict":      builtin(namespaceFunc(false)),
	}
}

// rangeFunc is range(stop), range(start, stop[, step]); its length is
// charged to the budget before the list is built.
func rangeFunc(r *renderer, args []value, kw *dict) (value, error) {
	if len(args) < 1 || len(args) > 3 || len(kw.keys) > 0 {
		return nil, fmt.Errorf("range takes 1 to 3 positional arguments")
	}
	n := make([]int64, len(args))
	for i, a := range args {
		var err error
		if n[i], err = wantInt("range", a); err != nil {
			return nil, err
		}
	}
	start, stop, step := int64(0), n[0], int64(1)
	if len(n) > 1 {
		start, stop = n[0], n[1]
	}
	if len(n) > 2 {
		step = n[2]
	}
	if step == 0 {
		return nil, fmt.Errorf("range step must not be zero")
	}
	count := int64(0)
	switch {
	case step > 0 && stop > start:
		count = (stop-start-1)/step + 1
	case step < 0 && stop < start:
		count = (start-stop-1)/(-step) + 1
	}
	if count < 0 || count > r.limits.MaxSteps {
		return nil, fmt.Errorf("%w: range of %d items", ErrLimit, count)
	}
	if err := r.charge(count); err != nil {
		return nil, err
	}
	out := make([]value, count)
	for i := range out {
		out[i] = start + int64(i)*step
	}
	return &list{out}, nil
}

// namespaceFunc builds namespace(...) (settable) or dict(...): from a
// mapping argument and keyword arguments.
func namespaceFunc(ns bool) builtin {
	return func(r *renderer, args []value, kw *dict) (value, error) {
		d := newDict()
		d.namespace = ns
		for _, a := range args {
			m, ok := a.(*dict)
			if !ok {
				return nil, fmt.Errorf("namespace/dict takes a mapping, not %s", typeName(a))
			}
			for _, k := range m.keys {
				d.set(k, m.m[k])
			}
		}
		for _, k := range kw.keys {
			d.set(k, kw.m[k])
		}
		return d, nil
	}
}

// strftime formats t with Python's strftime directives (the C locale's
// names); an unknown directive is an error, not a guess.
func strftime(t time.Time, f string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		s, ok := strftimeDirective(t, f[i])
		if !ok {
			return "", fmt.Errorf("strftime_now: unsupported directive %%%c", f[i])
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func strftimeDirective(t time.Time, c byte) (string, bool) {
	layouts := map[byte]string{
		'Y': "2006", 'y': "06", 'm': "01", 'd': "02", 'H': "15", 'I': "03", 'M': "04",
		'S': "05", 'b': "Jan", 'B': "January", 'a': "Mon", 'A': "Monday", 'p': "PM", 'Z': "MST",
		'z': "-0700", 'h': "Jan",
	}
	if l, ok := layouts[c]; ok {
		return t.Format(l), true
	}
	switch c {
	case '%':
		return "%", true
	case 'e':
		return fmt.Sprintf("%2d", t.Day()), true
	case 'j':
		return fmt.Sprintf("%03d", t.YearDay()), true
	case 'w':
		return fmt.Sprint(int(t.Weekday())), true
	case 'F':
		return t.Format("2006-01-02"), true
	case 'T':
		return t.Format("15:04:05"), true
	}
	return "", false
}
