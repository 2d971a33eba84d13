package chattemplate

import (
	"context"
	"strings"
	"testing"
)

// thinkTemplate keeps Qwen3's rewrite in a few lines: assistant turns
// before the last user message lose their <think> reasoning.
const thinkTemplate = `{%- set ns = namespace(last_user=-1) %}
{%- for m in messages %}{% if m.role == 'user' %}{% set ns.last_user = loop.index0 %}{% endif %}{% endfor %}
{%- for m in messages %}
{%- if m.role == 'assistant' and loop.index0 < ns.last_user and '</think>' in m.content %}
{{- '<|im_start|>assistant\n' + m.content.split('</think>')[-1].lstrip('\n') + '<|im_end|>\n' }}
{%- else %}
{{- '<|im_start|>' + m.role + '\n' + m.content + '<|im_end|>\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`

func TestSpans(t *testing.T) {
	u := func(s string) Message { return Message{Role: "user", Content: s} }
	a := func(s string) Message { return Message{Role: "assistant", Content: s} }
	tests := []struct {
		name     string
		template string
		msgs     []Message
		want     []string // each span's text, in order
		whole    []bool
	}{
		{"verbatim", thinkTemplate, []Message{u("hi"), a("hello there"), u("bye")},
			[]string{"hello there"}, []bool{true}},
		{"earlier think dropped", thinkTemplate, []Message{u("q"), a("<think>\nsecret plan\n</think>\n\nthe answer"), u("more")},
			[]string{"the answer"}, []bool{false}},
		{"last think kept", thinkTemplate, []Message{u("q"), a("<think>\nplan\n</think>\n\nthe answer")},
			[]string{"<think>\nplan\n</think>\n\nthe answer"}, []bool{true}},
		{"only reasoning, answer empty", thinkTemplate, []Message{u("q"), a("<think>all of it</think>"), u("<think>all of it</think>")},
			nil, nil},
		{"assistant dropped, user repeats it", `{% for m in messages %}{% if m.role == 'user' %}[{{ m.content }}]{% endif %}{% endfor %}`,
			[]Message{u("q"), a("watermarked text"), u("watermarked text")}, nil, nil},
		{"trim keeps whitespace out, markup after starts with newline", `{% for m in messages %}<{{ m.role }}>{{ m.content | trim }}
</{{ m.role }}>{% endfor %}`,
			[]Message{u("q"), a("  Hello\n")}, []string{"Hello"}, []bool{false}},
		{"two assistants, same text", thinkTemplate, []Message{u("q"), a("same"), u("q"), a("same")},
			[]string{"same", "same"}, []bool{true, true}},
		{"content parts", `{% for m in messages %}{% for p in m.content %}{{ p.text | trim }}{% endfor %}|{% endfor %}`,
			[]Message{{Role: "user", Parts: []Part{{"text", "q"}}}, {Role: "assistant", Parts: []Part{{"text", "one "}, {"text", "two"}}}},
			[]string{"two"}, []bool{false}},
		{"unicode tail, continuation bytes not split", `{% for m in messages %}{{ m.content[1:] }}|{% endfor %}`,
			[]Message{u("q"), a("é日本")}, []string{"日本"}, []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := Parse(tt.template)
			if err != nil {
				t.Fatal(err)
			}
			rendered, spans, err := tm.Spans(context.Background(), tt.msgs, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			var whole []bool
			for _, s := range spans {
				got = append(got, rendered[s.Start:s.End])
				whole = append(whole, s.Whole)
			}
			if strings.Join(got, "\x00") != strings.Join(tt.want, "\x00") || len(got) != len(tt.want) {
				t.Fatalf("spans %q, want %q (rendered %q)", got, tt.want, rendered)
			}
			for i := range whole {
				if whole[i] != tt.whole[i] {
					t.Errorf("span %d whole=%v, want %v", i, whole[i], tt.whole[i])
				}
			}
			checkSpans(t, tt.msgs, rendered, spans)
		})
	}
}

// checkSpans asserts what every span promises: it lies in the rendering,
// the spans are ordered and disjoint, and each is a suffix of its
// message's text (after trailing whitespace the template dropped).
func checkSpans(t *testing.T, msgs []Message, rendered string, spans []Span) {
	t.Helper()
	prevEnd := 0
	for _, s := range spans {
		if s.Start < prevEnd || s.End <= s.Start || s.End > len(rendered) {
			t.Fatalf("span %+v out of order or bounds (previous end %d, rendered %d bytes)", s, prevEnd, len(rendered))
		}
		prevEnd = s.End
		text := textOf(msgs[s.Message])
		got := rendered[s.Start:s.End]
		if !strings.HasSuffix(text, got) && !strings.HasSuffix(strings.TrimRightFunc(text, isPySpace), got) {
			t.Errorf("message %d: span %q is not a tail of its text %q", s.Message, got, text)
		}
		if s.Whole != (got == text) {
			t.Errorf("message %d: Whole=%v for %q of %q", s.Message, s.Whole, got, text)
		}
	}
}

// TestSpansReferenceTemplates checks the span invariants on the four
// reference models' templates and what each does to assistant text.
func TestSpansReferenceTemplates(t *testing.T) {
	modules := hfrefModules(t)
	convs := loadConversations(t)
	counts := map[string]int{}
	for _, model := range referenceModels {
		cfg := referenceConfig(t, modules, model)
		tm, err := cfg.Template("")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range convs {
			if c.Only != nil && !contains(c.Only, model) {
				continue
			}
			msgs := c.messages(t)
			rendered, spans, err := tm.Spans(context.Background(), msgs, cfg.Options(false))
			if err != nil {
				continue // the template refuses the conversation (Gemma's alternation)
			}
			checkSpans(t, msgs, rendered, spans)
			for _, s := range spans {
				counts[model+map[bool]string{true: " whole", false: " tail"}[s.Whole]]++
			}
		}
	}
	t.Logf("assistant spans by template: %v", counts)
	want := map[string]func(Span, string) bool{
		"qwen3/think-earlier-turn":       func(s Span, txt string) bool { return txt == "21." && !s.Whole },
		"qwen3/think-last-turn":          func(s Span, txt string) bool { return s.Whole },
		"llama3/whitespace-edges":        func(s Span, txt string) bool { return txt == "answer with edges" },
		"gemma3/whitespace-edges":        func(s Span, txt string) bool { return txt == "answer with edges" },
		"deepseek_v3/think-earlier-turn": func(s Span, txt string) bool { return s.Whole },
	}
	for key, ok := range want {
		model, name, _ := strings.Cut(key, "/")
		cfg := referenceConfig(t, modules, model)
		tm, _ := cfg.Template("")
		for _, c := range convs {
			if c.Name != name {
				continue
			}
			rendered, spans, err := tm.Spans(context.Background(), c.messages(t), cfg.Options(false))
			if err != nil || len(spans) != 1 || !ok(spans[0], rendered[spans[0].Start:spans[0].End]) {
				t.Errorf("%s: spans %+v, err %v, rendered %q", key, spans, err, rendered)
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestSpansRandomConversations checks the span invariants on the 300
// seeded random conversations of TestAgreementRandomConversations (markup
// and Jinja syntax in the text, whitespace at the edges) with the four
// reference templates.
func TestSpansRandomConversations(t *testing.T) {
	modules := hfrefModules(t)
	convs := readConversations(t, randomConversations(t, 300))
	spans, refused := 0, 0
	for _, model := range referenceModels {
		cfg := referenceConfig(t, modules, model)
		tm, err := cfg.Template("")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range convs {
			msgs := c.messages(t)
			rendered, got, err := tm.Spans(context.Background(), msgs, cfg.Options(false))
			if err != nil {
				refused++
				continue
			}
			checkSpans(t, msgs, rendered, got)
			spans += len(got)
		}
	}
	t.Logf("%d spans checked; %d renderings refused by the template", spans, refused)
}
