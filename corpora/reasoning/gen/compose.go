package main

import (
	"math/rand/v2"
	"strings"
)

// pool indexes lines by language, kind and split.
type pool map[string][]line

func key(lang, kind, split string) string { return lang + "/" + kind + "/" + split }

func (p pool) pick(r *rand.Rand, lang, kind, split string) string {
	ls := p[key(lang, kind, split)]
	if len(ls) == 0 {
		ls = p[key("en", kind, split)]
	}
	return ls[r.IntN(len(ls))].text
}

// systemPrompts open a chat's system message; they carry no reasoning
// request of their own.
var systemPrompts = []string{
	"You are a helpful assistant.",
	"You are an expert tutor for high-school mathematics.",
	"You are a customer-support agent for an online shop. Be concise.",
	"You are a data-labelling assistant.",
}

// docHeaders introduce a pasted document, in positives and negatives
// alike (a header only one class has would be learnt as a cue).
var docHeaders = []string{
	"Read the following text.",
	"Context:",
	"Here is the document:",
	"Use the passage below to answer the question at the end.",
}

func header(r *rand.Rand) string { return docHeaders[r.IntN(len(docHeaders))] }

// compose sets every line in the prompts around it. Hosts (tasks,
// documents) come from the same split as the line, so nothing of a test
// example was seen in training.
func compose(lines, prose []line, r *rand.Rand) []example {
	p := pool{}
	for _, l := range append(append([]line{}, lines...), prose...) {
		k := key(l.lang, l.kind, l.split)
		p[k] = append(p[k], l)
	}
	var out []example
	for _, l := range lines {
		var texts []placed
		switch l.kind {
		case "P":
			texts = positives(l, p, r)
		case "T":
			texts = tasks(l, p, r)
		case "H":
			texts = hardNegatives(l, p, r)
		}
		for _, t := range texts {
			out = append(out, newExample(l, t))
		}
	}
	for _, l := range prose {
		out = append(out, newExample(l, placed{"alone", l.text}))
		out = append(out, newExample(l, placed{"system", systemPrompts[r.IntN(len(systemPrompts))] + " " + header(r) + "\n\n" + l.text}))
		out = append(out, newExample(l, placed{"before-task", l.text + "\n\n" + p.pick(r, "en", "T", l.split)}))
	}
	return out
}

// placed is a line set in a prompt, and where it was put.
type placed struct {
	where, text string
}

func newExample(l line, t placed) example {
	label, kind := 0, map[string]string{"P": "reasoning", "T": "task", "H": "hard", "D": "prose"}[l.kind]
	if l.kind == "P" {
		label = 1
	}
	return example{Text: t.text, Label: label, Lang: l.lang, Phrasing: l.id, Kind: kind, Split: l.split, Where: t.where}
}

// positives: the phrasing alone, after and before a task, as a system
// prompt, inside a long document (its own line, and mid-line), and for
// other languages after an English task.
func positives(l line, p pool, r *rand.Rand) []placed {
	task := func() string { return p.pick(r, l.lang, "T", l.split) }
	doc := func() string { return p.pick(r, "en", "D", l.split) }
	out := []placed{
		{"alone", l.text},
		{"after-task", task() + " " + l.text},
		{"before-task", l.text + "\n\n" + task()},
		{"system", systemPrompts[r.IntN(len(systemPrompts))] + " " + l.text + "\n\n" + task()},
		{"in-document", header(r) + "\n\n" + doc() + "\n\n" + l.text + "\n\n" + doc() + "\n\n" + task()},
		{"mid-line", midSentence(doc(), l.text) + "\n" + task()},
	}
	if l.lang != "en" {
		out = append(out, placed{"after-english-task", p.pick(r, "en", "T", l.split) + " " + l.text})
	}
	return out
}

// midSentence puts s after the first sentence of doc, on the same line.
func midSentence(doc, s string) string {
	i := strings.Index(doc, ". ")
	if i < 0 {
		return doc + " " + s
	}
	return doc[:i+2] + s + " " + doc[i+2:]
}

// tasks: the task alone, after a system prompt, with another task, and
// after a long document.
func tasks(l line, p pool, r *rand.Rand) []placed {
	return []placed{
		{"alone", l.text},
		{"system", systemPrompts[r.IntN(len(systemPrompts))] + "\n\n" + l.text},
		{"before-task", l.text + " " + p.pick(r, l.lang, "T", l.split)},
		{"in-document", header(r) + "\n\n" + p.pick(r, "en", "D", l.split) + "\n\n" + p.pick(r, "en", "D", l.split) + "\n\n" + l.text},
	}
}

// hardNegatives: the line alone, after and before a task, and after a
// document.
func hardNegatives(l line, p pool, r *rand.Rand) []placed {
	return []placed{
		{"alone", l.text},
		{"after-task", p.pick(r, l.lang, "T", l.split) + " " + l.text},
		{"before-task", l.text + "\n\n" + p.pick(r, l.lang, "T", l.split)},
		{"in-document", header(r) + "\n\n" + p.pick(r, "en", "D", l.split) + "\n\n" + l.text + "\n\n" + p.pick(r, "en", "D", l.split)},
		{"mid-line", midSentence(p.pick(r, "en", "D", l.split), l.text)},
	}
}
