package chattemplate

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Span is where an assistant message's text lies in a rendered
// conversation.
type Span struct {
	// Message is the message's index in the conversation.
	Message int
	// Start and End are byte offsets in the rendered text, on UTF-8
	// boundaries: rendered[Start:End] lies within the message's text (a
	// suffix of it, less whitespace a template trimmed at its end).
	Start, End int
	// Whole reports that the span holds the message's text entirely. It
	// is false when the template rewrote the message and only the tail
	// it kept verbatim is claimed: Qwen3's template drops the <think>
	// reasoning of turns before the last user message, Llama 3's and
	// Gemma 3's trim whitespace.
	Whole bool
}

// sentinel marks where a message's text ends or starts when the
// conversation is rendered again with it added; a private-use character
// that templates neither strip nor split on.
const sentinel = "\U0010FFFD"

// Spans renders the conversation and locates the text of each assistant
// message in it, so that scoring can take only what the model wrote and
// leave out the prompt: system and user turns and the template's markup.
//
// A span never claims a byte that is not the message's own: it is found
// by rendering the conversation again with a sentinel appended to the
// message (the first byte that changes is where the message's text ends
// in the rendering) and prepended to it (where it starts), bounded below
// by the rendering of the conversation before the message with the
// generation prompt (the prompt the model answered), and it extends back
// from the end only as far as the rendering equals the message's text
// byte for byte. A message the template drops entirely, or whose end
// cannot be located, has no span; empty messages have none either. The
// first tokens of a span follow template markup, not the text the model
// conditioned on when it wrote them: a scorer whose context is the
// preceding tokens must not score those positions as the model's.
func (t *Template) Spans(ctx context.Context, msgs []Message, opts Options) (string, []Span, error) {
	rendered, err := t.Render(ctx, msgs, opts)
	if err != nil {
		return "", nil, err
	}
	var spans []Span
	for i, m := range msgs {
		if m.Role != "assistant" || textOf(m) == "" {
			continue
		}
		sp, ok, err := t.locate(ctx, msgs, i, rendered, opts)
		if err != nil {
			return "", nil, fmt.Errorf("locate message %d: %w", i, err)
		}
		if ok {
			spans = append(spans, sp)
		}
	}
	return rendered, spans, nil
}

// locate finds message i's span in rendered; ok is false when it has none.
// Only context cancellation and limits are errors: a template that raises
// on a probe rendering leaves the message without a span.
func (t *Template) locate(ctx context.Context, msgs []Message, i int, rendered string, opts Options) (Span, bool, error) {
	text := textOf(msgs[i])
	probe := func(edit func(Message) Message) (int, bool, error) {
		changed := append([]Message{}, msgs...)
		changed[i] = edit(msgs[i])
		other, err := t.Render(ctx, changed, opts)
		if err != nil {
			return 0, false, fatal(ctx, err)
		}
		d := firstDiff(rendered, other)
		return d, d < len(rendered) || len(other) > len(rendered), nil
	}
	// The end: the template may have dropped trailing whitespace, which the
	// sentinel would keep; render without it to know which text to match.
	kept := text
	if trimmed := strings.TrimRightFunc(text, isPySpace); trimmed != text {
		same, err := t.rendersSame(ctx, msgs, i, rendered, opts, trimmed)
		if err != nil {
			return Span{}, false, err
		}
		if same {
			kept = trimmed
		}
	}
	end, ok, err := probe(func(m Message) Message { return withText(m, kept, "", sentinel) })
	if err != nil || !ok {
		return Span{}, false, err
	}
	start, err := t.lowerBound(ctx, msgs, i, rendered, opts, probe)
	if err != nil || start < 0 || start > end {
		return Span{}, false, err
	}
	k := commonSuffix(kept, rendered[start:end])
	from := end - k
	for from < end && !utf8.RuneStart(rendered[from]) {
		from++
	}
	if from == end {
		return Span{}, false, nil
	}
	return Span{Message: i, Start: from, End: end, Whole: end-from == len(text)}, true, nil
}

// lowerBound is the first byte the message's text may occupy: the larger
// of the end of the prompt the model answered (when the rendering begins
// with it) and the first byte that changes when a sentinel is prepended.
// It is -1 when neither is known.
func (t *Template) lowerBound(ctx context.Context, msgs []Message, i int, rendered string, opts Options,
	probe func(func(Message) Message) (int, bool, error)) (int, error) {
	bound := -1
	promptOpts := opts
	promptOpts.AddGenerationPrompt = true
	prompt, err := t.Render(ctx, msgs[:i], promptOpts)
	if err == nil && strings.HasPrefix(rendered, prompt) {
		bound = len(prompt)
	} else if err != nil && fatal(ctx, err) != nil {
		return 0, fatal(ctx, err)
	}
	s, ok, err := probe(func(m Message) Message { return withText(m, textOf(m), sentinel, "") })
	if err != nil {
		return 0, err
	}
	if ok {
		bound = max(bound, s)
	}
	return bound, nil
}

func (t *Template) rendersSame(ctx context.Context, msgs []Message, i int, rendered string, opts Options, text string) (bool, error) {
	changed := append([]Message{}, msgs...)
	changed[i] = withText(msgs[i], text, "", "")
	other, err := t.Render(ctx, changed, opts)
	if err != nil {
		return false, fatal(ctx, err)
	}
	return other == rendered, nil
}

// fatal keeps the errors that must stop Spans (cancellation, limits) and
// drops those that only leave one message without a span.
func fatal(ctx context.Context, err error) error {
	if ctx.Err() != nil || isLimit(err) {
		return err
	}
	return nil
}

// textOf is a message's text: its content, or its text parts joined.
func textOf(m Message) string {
	if m.Parts == nil {
		return m.Content
	}
	var b strings.Builder
	for _, p := range m.Parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// withText returns m with its text replaced by text (for parts: the last
// text part's tail is cut to match), with prefix and suffix added.
func withText(m Message, text, prefix, suffix string) Message {
	if m.Parts == nil {
		m.Content = prefix + text + suffix
		return m
	}
	parts := append([]Part{}, m.Parts...)
	first, last := -1, -1
	for j, p := range parts {
		if p.Type == "text" {
			if first < 0 {
				first = j
			}
			last = j
		}
	}
	if first < 0 {
		return m
	}
	cut := len(textOf(m)) - len(text)
	parts[last].Text = parts[last].Text[:len(parts[last].Text)-min(cut, len(parts[last].Text))] + suffix
	parts[first].Text = prefix + parts[first].Text
	m.Parts = parts
	return m
}

func firstDiff(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

func commonSuffix(a, b string) int {
	k := 0
	for k < len(a) && k < len(b) && a[len(a)-1-k] == b[len(b)-1-k] {
		k++
	}
	return k
}
