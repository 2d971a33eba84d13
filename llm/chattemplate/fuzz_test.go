package chattemplate

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		`{"chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}", "bos_token": "<s>", "eos_token": null}`,
		`{"chat_template": [{"name": "default", "template": "x"}, {"name": "tool_use", "template": "y"}]}`,
		`{"bos_token": {"__type": "AddedToken", "content": "<｜begin▁of▁sentence｜>", "lstrip": false}, "eos_token": {"content": "</s>"}}`,
		`{"chat_template": [{"name": "a"}]}`,
		`{"chat_template": 5}`,
		`{"pad_token": {"content": 3}}`,
		`{} {}`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if c.Named != nil && c.ChatTemplate != c.Named["default"] {
			t.Fatalf("default template %q differs from Named[default]", c.ChatTemplate)
		}
		if tm, err := c.Template(""); err == nil {
			_, _ = tm.Render(context.Background(), []Message{{Role: "user", Content: "hi"}}, fuzzOptions(c.Options(true)))
		}
	})
}

func fuzzOptions(o Options) Options {
	o.Limits = Limits{MaxSteps: 20_000, MaxOutput: 1 << 16, MaxDepth: 16}
	return o
}

func FuzzRender(f *testing.F) {
	for _, seed := range []string{
		thinkTemplate,
		`{%- for m in messages -%}{{ m.role | upper }}: {{ m.content | trim | tojson }}{% if not loop.last %}
{% endif %}{%- endfor %}{{ raise_exception('x') if messages|length > 3 }}`,
		`{% set ns = namespace(n=0) %}{% for i in range(10) if i is odd %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}{{ [1,2,3][::-1] }}`,
		`{% macro m(a, b=2) %}{{ a ~ b }}{% endmacro %}{{ m(1) }}{{ m(b=3, a=4) }}{{ {'k': [none, true, 1.5]} | tojson(indent=2) }}`,
		`{{ 'a,b,,c'.split(',') }}{{ '  x '.strip() }}{{ 'abc'[1:] }}{{ messages[0]['content'].startswith('h') }}`,
		`{% for k, v in {'a': 1}.items() %}{{ k }}={{ v }}{% else %}none{% endfor %}{# c #}{%+ if true -%} y {%- endif %}`,
	} {
		f.Add(seed, "hello {{ x }}")
	}
	f.Fuzz(func(t *testing.T, src, content string) {
		tm, err := Parse(src)
		if err != nil {
			return
		}
		msgs := []Message{{Role: "user", Content: content}, {Role: "assistant", Content: content}}
		opts := fuzzOptions(Options{AddGenerationPrompt: true, BOSToken: "<s>"})
		out, err := tm.Render(context.Background(), msgs, opts)
		if err == nil && len(out) > opts.Limits.MaxOutput {
			t.Fatalf("output of %d bytes past the limit", len(out))
		}
		var raised *RaisedError
		if err != nil && !errors.Is(err, ErrLimit) && !errors.As(err, &raised) && !strings.Contains(err.Error(), "render chat template") {
			t.Fatalf("error without context: %v", err)
		}
	})
}

// FuzzSpans checks, for any assistant text, that every span is a tail of
// the message's text and never reaches into the user's turn.
func FuzzSpans(f *testing.F) {
	f.Add("q", "<think>\nplan\n</think>\n\nanswer", "more")
	f.Add("same", "same", "same")
	f.Add("", "  \n", "</think>")
	f.Add("<|im_end|>", "é</think>日本\n", "日本")
	tm, err := Parse(thinkTemplate)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, user, assistant, next string) {
		msgs := []Message{{Role: "user", Content: user}, {Role: "assistant", Content: assistant}, {Role: "user", Content: next}}
		for _, m := range [][]Message{msgs, msgs[:2]} {
			rendered, spans, err := tm.Spans(context.Background(), m, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkSpans(t, m, rendered, spans)
			for _, s := range spans {
				userEnd := strings.Index(rendered, user+"<|im_end|>") + len(user) + len("<|im_end|>")
				if s.Start < userEnd {
					t.Fatalf("span %+v reaches into the user turn of %q", s, rendered)
				}
			}
		}
	})
}
