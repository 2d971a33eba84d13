package chattemplate

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MaxTemplateSize bounds the template source Parse accepts.
const MaxTemplateSize = 1 << 20

// ErrLimit is wrapped by every error that a rendering budget (Limits)
// raised, so callers can tell a hostile or runaway template from a
// template that refused the conversation (RaisedError).
var ErrLimit = errors.New("chattemplate: limit exceeded")

// Limits bound one rendering. A template is untrusted code: it comes with
// the suspect model's files.
type Limits struct {
	// MaxSteps bounds the work: one step per statement, expression and
	// loop iteration, plus one per 16 bytes a string operation produces
	// or scans.
	MaxSteps int64
	// MaxOutput bounds the rendered text and every string built on the
	// way, in bytes.
	MaxOutput int
	// MaxDepth bounds nested calls (macros calling macros).
	MaxDepth int
}

// DefaultLimits render the conversations forensics sends and scores (tens
// of turns of a few kilobytes) with room to spare, in well under a second.
var DefaultLimits = Limits{MaxSteps: 5_000_000, MaxOutput: 16 << 20, MaxDepth: 64}

// Template is a parsed chat template, safe for concurrent renderings.
type Template struct {
	tree []node
}

// Parse parses a Jinja2 chat template. It refuses syntax outside the
// supported subset (see the package doc) rather than guessing.
func Parse(source string) (*Template, error) {
	if len(source) > MaxTemplateSize {
		return nil, fmt.Errorf("chat template of %d bytes exceeds %d", len(source), MaxTemplateSize)
	}
	tree, err := parse(source)
	if err != nil {
		return nil, fmt.Errorf("parse chat template: %w", err)
	}
	return &Template{tree: tree}, nil
}

// Message is one turn of a conversation. Content is the text; when Parts
// is not nil, the message's content is that list of parts instead (as
// OpenAI's content arrays: {"type": "text", "text": ...}).
type Message struct {
	Role    string
	Content string
	Parts   []Part
}

// Part is one element of a message's content list.
type Part struct {
	Type string // "text"; templates skip or refuse other types
	Text string
}

// Options are the variables transformers' apply_chat_template passes.
type Options struct {
	// AddGenerationPrompt appends the opening of an assistant turn.
	AddGenerationPrompt bool
	// Special tokens; an empty one is left undefined, as transformers
	// leaves out a token the config sets to null.
	BOSToken, EOSToken, PadToken, UnkToken string
	// Vars are further template variables (e.g. "enable_thinking":
	// false); values are strings, bools, ints, float64s or nil.
	Vars map[string]any
	// Now is the clock of strftime_now; nil means time.Now. Tests and
	// re-renderings of evidence pin it.
	Now func() time.Time
	// Limits bound the rendering; zero fields take DefaultLimits'.
	Limits Limits
}

// Render renders the conversation as the model's server would with
// transformers' apply_chat_template(messages, tokenize=False,
// add_generation_prompt=...), with tools and documents None. It returns
// an error wrapping ErrLimit when the template exceeds opts.Limits or ctx
// ends, and a *RaisedError when the template calls raise_exception.
func (t *Template) Render(ctx context.Context, msgs []Message, opts Options) (string, error) {
	r := &renderer{ctx: ctx, limits: opts.Limits.withDefaults()}
	top := newScope(nil)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	for k, v := range globals(now) {
		top.vars[k] = v
	}
	vars, err := templateVars(msgs, opts)
	if err != nil {
		return "", err
	}
	for k, v := range vars {
		top.vars[k] = v
	}
	if err := r.exec(t.tree, newScope(top)); err != nil {
		return "", fmt.Errorf("render chat template: %w", err)
	}
	return r.out.String(), nil
}

func (l Limits) withDefaults() Limits {
	if l.MaxSteps <= 0 {
		l.MaxSteps = DefaultLimits.MaxSteps
	}
	if l.MaxOutput <= 0 {
		l.MaxOutput = DefaultLimits.MaxOutput
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	return l
}

func templateVars(msgs []Message, opts Options) (map[string]value, error) {
	vars := map[string]value{
		"messages":              messagesValue(msgs),
		"add_generation_prompt": opts.AddGenerationPrompt,
		"tools":                 nil,
		"documents":             nil,
	}
	for name, tok := range map[string]string{"bos_token": opts.BOSToken, "eos_token": opts.EOSToken,
		"pad_token": opts.PadToken, "unk_token": opts.UnkToken} {
		if tok != "" {
			vars[name] = tok
		}
	}
	for k, v := range opts.Vars {
		tv, err := fromGo(v)
		if err != nil {
			return nil, fmt.Errorf("template variable %q: %w", k, err)
		}
		vars[k] = tv
	}
	return vars, nil
}

func messagesValue(msgs []Message) *list {
	items := make([]value, len(msgs))
	for i, m := range msgs {
		d := newDict()
		d.set("role", m.Role)
		if m.Parts != nil {
			parts := make([]value, len(m.Parts))
			for j, p := range m.Parts {
				pd := newDict()
				pd.set("type", p.Type)
				pd.set("text", p.Text)
				parts[j] = pd
			}
			d.set("content", &list{parts})
		} else {
			d.set("content", m.Content)
		}
		items[i] = d
	}
	return &list{items}
}

func fromGo(v any) (value, error) {
	switch x := v.(type) {
	case nil, bool, string, int64, float64:
		return x, nil
	case int:
		return int64(x), nil
	}
	return nil, fmt.Errorf("unsupported type %T", v)
}

func isLimit(err error) bool { return errors.Is(err, ErrLimit) }
