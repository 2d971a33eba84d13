package chattemplate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func renderSourceTemplate(tm *Template) (string, error) {
	return tm.Render(context.Background(), nil, Options{})
}

func TestStrftimeNowIsInjectable(t *testing.T) {
	tm, err := Parse(`Today Date: {{ strftime_now("%d %b %Y") }} {{ strftime_now("%Y-%m-%dT%H:%M:%S %A %B %j %%") }}`)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2024, 7, 3, 9, 5, 7, 0, time.UTC) }
	got, err := tm.Render(context.Background(), nil, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Today Date: 03 Jul 2024 2024-07-03T09:05:07 Wednesday July 185 %"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	tm, _ = Parse(`{{ strftime_now("%Q") }}`)
	if _, err := tm.Render(context.Background(), nil, Options{Now: now}); err == nil {
		t.Error("unknown directive rendered")
	}
}

func TestRaiseException(t *testing.T) {
	tm, err := Parse(`{% if messages[0].role != 'user' %}{{ raise_exception('first must be user') }}{% endif %}ok`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tm.Render(context.Background(), []Message{{Role: "assistant", Content: "x"}}, Options{})
	var raised *RaisedError
	if !errors.As(err, &raised) || raised.Message != "first must be user" {
		t.Fatalf("err = %v, want RaisedError", err)
	}
	if got, err := tm.Render(context.Background(), []Message{{Role: "user", Content: "x"}}, Options{}); err != nil || got != "ok" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestVarsAndTokens(t *testing.T) {
	tm, err := Parse(`{{ bos_token }}|{{ eos_token is defined }}|{{ enable_thinking }}|{{ n + 1 }}|{{ tools is none }}`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tm.Render(context.Background(), nil, Options{BOSToken: "<s>", Vars: map[string]any{"enable_thinking": false, "n": 41}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "<s>|False|False|42|True"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := tm.Render(context.Background(), nil, Options{Vars: map[string]any{"x": []int{1}}}); err == nil {
		t.Error("a slice variable was accepted")
	}
}

// TestRefusedSyntax lists what the interpreter refuses rather than
// renders wrongly.
func TestRefusedSyntax(t *testing.T) {
	for _, src := range []string{
		`{% include 'other.jinja' %}`,
		`{% extends 'base' %}`,
		`{% for x in xs recursive %}{% endfor %}`,
		`{% call m() %}{% endcall %}`,
		`{% filter upper %}x{% endfilter %}`,
		`{% raw %}{{ x }}{% endraw %}`,
		`{{ x | nosuchfilter }}`,
		`{% if x %}`,
		`{{ 'unclosed }}`,
		`{{ x }`,
		`{% endif %}`,
	} {
		tm, err := Parse(src)
		if err == nil {
			_, err = tm.Render(context.Background(), nil, Options{})
		}
		if err == nil {
			t.Errorf("%s: accepted", src)
		}
	}
}

func TestRenderErrorsNameTheProblem(t *testing.T) {
	for src, want := range map[string]string{
		`{{ messages[0].content + 1 }}`:     "cannot add int to a string",
		`{{ nothing.attr }}`:                "'nothing' is undefined",
		`{% set x.y = 1 %}`:                 "not a namespace",
		`{{ 1 // 0 }}`:                      "division by zero",
		`{{ 'a'.split('') }}`:               "empty separator",
		`{{ range(1, 2, 0) }}`:              "step must not be zero",
		`{% for a, b in [1] %}{% endfor %}`: "not iterable",
	} {
		tm, err := Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		_, err = tm.Render(context.Background(), []Message{{Role: "user", Content: "x"}}, Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
}

// TestLoopScopes checks Jinja2's scoping: an assignment in a loop body
// lasts for its iteration only; a macro defined in the body sees its
// iteration. (Calling such a macro after its iteration is left
// unspecified: Jinja2 itself renders its internal "missing" there.)
func TestLoopScopes(t *testing.T) {
	for src, want := range map[string]string{
		`{% set x = 9 %}{% for i in [1, 2] %}[{{ x }}]{% set x = i %}({{ x }}){% endfor %}[{{ x }}]`:                 "[9](1)[9](2)[9]",
		`{% for i in [1, 2] %}{% macro m() %}{{ i }}{% endmacro %}{% set j = i * 10 %}{{ m() }}{{ j }};{% endfor %}`: "110;220;",
	} {
		tm, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := tm.Render(context.Background(), nil, Options{}); err != nil || got != want {
			t.Errorf("%s: got %q, %v; want %q", src, got, err, want)
		}
	}
}
