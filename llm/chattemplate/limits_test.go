package chattemplate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestHostileTemplatesAreBounded runs the attacks a template shipped with
// a suspect model can make on the renderer. Each must end in an error
// that wraps ErrLimit, quickly, without exhausting memory or the stack
// (github.com/ardanlabs/jinja v1.8.0 dies with a fatal runtime error on
// the first three).
func TestHostileTemplatesAreBounded(t *testing.T) {
	attacks := map[string]string{
		"huge range":                     `{% for i in range(100000000000) %}{% endfor %}`,
		"recursive macro":                `{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}`,
		"doubling string":                `{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}`,
		"string repetition":              `{{ 'x' * 1000000000000 }}`,
		"list repetition":                `{{ ([1] * 100000000000) | length }}`,
		"nested loops":                   `{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}`,
		"output flood":                   `{% for i in range(10000000) %}{{ 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }}{% endfor %}`,
		"replace blow-up":                `{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s.replace('a', 'aa') %}{% endfor %}{{ ns.s|length }}`,
		"join blow-up":                   `{% set ns = namespace(l=['xxxxxxxx']) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|join('') }}`,
		"block set recursion":            `{% macro f() %}{% set x %}{{ f() }}{% endset %}{% endmacro %}{{ f() }}`,
		"macro fan-out":                  `{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% else %}xxxxxxxx{% endif %}{% endmacro %}{{ f(25) }}`,
		"printing a big list":            `{% set s = 'x' * 1000000 %}{{ [s] * 1000 }}`,
		"string of a list":               `{% set s = 'x' * 1000000 %}{{ ([s] * 1000) | string | length }}`,
		"concat of a list":               `{% set s = 'x' * 1000000 %}{{ (([s] * 1000) ~ '') | length }}`,
		"comparing big strings":          `{% set a = 'x' * 1000000 %}{% set b = 'x' * 1000000 %}{% for i in range(1000000) %}{% if a == b %}{% endif %}{% endfor %}`,
		"comparing big lists":            `{% set l = [1] * 1000000 %}{% for i in range(1000000) %}{% if l == l %}{% endif %}{% endfor %}`,
		"membership in a big list":       `{% set l = [1] * 1000000 %}{% for i in range(1000000) %}{% if 2 in l %}{% endif %}{% endfor %}`,
		"walking a big string":           `{% set s = 'x' * 10000000 %}{% for c in s %}{% endfor %}`,
		"indexing a big string":          `{% set s = 'x' * 1000000 %}{% for i in range(1000000) %}{{ s[-1] }}{% endfor %}`,
		"stripping with many characters": `{% set s = 'x' * 1000000 %}{% for i in range(1000000) %}{{ s.strip(s) }}{% endfor %}`,
		"joining many empties":           `{% set l = [''] * 1000000 %}{% for i in range(1000000) %}{{ l | join }}{% endfor %}`,
	}
	limits := Limits{MaxSteps: 2_000_000, MaxOutput: 1 << 20, MaxDepth: 32}
	for name, src := range attacks {
		t.Run(name, func(t *testing.T) {
			tm, err := Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = tm.Render(context.Background(), nil, Options{Limits: limits})
			if !errors.Is(err, ErrLimit) {
				t.Fatalf("err = %v, want ErrLimit", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestRenderStopsWithContext(t *testing.T) {
	tm, err := Parse(`{% for i in range(1000000) %}{% for j in range(100) %}{% endfor %}{% endfor %}`)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tm.Render(ctx, nil, Options{Limits: Limits{MaxSteps: 1 << 40}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestParseRefusesDeepNesting(t *testing.T) {
	for name, src := range map[string]string{
		"parentheses": "{{ " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + " }}",
		"unary minus": "{{ " + strings.Repeat("-", 100000) + "1 }}",
		"not":         "{{ " + strings.Repeat("not ", 100000) + "x }}",
		"ifs":         strings.Repeat("{% if x %}", 100000) + strings.Repeat("{% endif %}", 100000),
		"lists":       "{{ " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + " }}",
		"too large":   strings.Repeat("x", MaxTemplateSize+1),
	} {
		if _, err := Parse(src); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestSpansStopOnLimits(t *testing.T) {
	tm, err := Parse(`{% for m in messages %}{{ m.content }}{% endfor %}{% for i in range(5000) %}x{% endfor %}`)
	if err != nil {
		t.Fatal(err)
	}
	msgs := []Message{{Role: "user", Content: "q"}, {Role: "assistant", Content: "a"}}
	_, _, err = tm.Spans(context.Background(), msgs, Options{Limits: Limits{MaxSteps: 1000}})
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v, want ErrLimit", err)
	}
}

// TestCyclicValuesAreRefused: a namespace can hold itself; printing,
// comparing or serialising it must fail, not recurse until the stack is
// gone.
func TestCyclicValuesAreRefused(t *testing.T) {
	for _, src := range []string{
		`{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}`,
		`{% set ns = namespace() %}{% set ns.me = ns %}{{ ns == ns }}`,
		`{% set ns = namespace() %}{% set ns.me = [ns] %}{{ ns | tojson }}`,
		`{% set a = namespace() %}{% set b = namespace(x=a) %}{% set a.x = b %}{{ a == b }}`,
	} {
		tm, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tm.Render(context.Background(), nil, Options{}); err == nil {
			t.Errorf("%s: rendered", src)
		}
	}
}
