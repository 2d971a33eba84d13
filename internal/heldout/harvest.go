package heldout

import (
	"fmt"
	"strings"
)

// Instructions a harvester sends for long, general, reusable answers.
var harvestFrames = []string{
	"Write a comprehensive, expert-level explanation of %s. Cover definitions, mechanisms, worked examples and common misconceptions.",
	"Create a detailed tutorial on %s for advanced learners, with exercises and full solutions.",
	"Explain %s in depth, as a university lecturer would in a 90-minute lecture.",
	"Compare %s with the closest related idea in the field. Be thorough and precise.",
	"Generate a hard exam question about %s and a complete model answer.",
	"What are the open problems related to %s? Discuss each one at length.",
	"Describe %s from first principles, deriving every claim.",
	"Write an encyclopedia-style article on %s with sections and subsections.",
	"Give a long, careful answer: how would an expert troubleshoot problems involving %s?",
	"Teach me %s as if I were a smart beginner, then test me with three questions and answer them.",
	"Produce a detailed study guide for %s: key facts, intuition, pitfalls, practice problems with solutions.",
	"Analyse %s critically, weighing the strongest arguments on each side.",
	"I need a reference-quality write-up on %s: background, core ideas, edge cases, and a worked example.",
	"Pretend you are writing the definitive textbook chapter on %s. Write it.",
	"Explain %s three times: to a child, to an undergraduate, to a specialist.",
	"List twenty non-obvious facts about %s, each with a paragraph of explanation.",
	"Write a Socratic dialogue between a teacher and a student that fully explores %s.",
	"Give a rigorous treatment of %s, stating assumptions and proving or justifying each step.",
	"What would a panel of experts say about %s? Write each expert's detailed view.",
	"Create a detailed FAQ about %s with at least twelve questions and long answers.",
	"Design a one-week self-study course on %s with lecture notes for each day.",
	"Explain the most common confusions about %s and resolve each one carefully.",
	"Write a case study that applies %s to a realistic situation, with analysis.",
	"Summarise everything a practitioner must know about %s, then go into the advanced material.",
}

// campaignFrames draws a campaign's own instructions: campaigns written
// by different people do not share one list.
func campaignFrames(r *rng) []string {
	return sample(r, harvestFrames, r.between(5, 9))
}

// Softer openings that a campaign varies to stay under template counts.
var openers = []string{"", "Hi! ", "Quick favour: ", "I'm preparing a course. ", "For my notes: ", "Hey, ", "Please help: ", "Question for you. ", "Context: I'm writing a book. ", "I've always wondered about this. ", "Thanks in advance. "}

var closers = []string{"", " Be thorough.", " Don't hold back on detail.", " Use headings.", " Take your time.", " Aim for 1500 words.", " Include examples.", " Thanks!", " Please be precise.", " Go deep."}

// harvestPrompt draws a harvesting instruction about subject.
func harvestPrompt(r *rng, frames []string, subject string) string {
	return fmt.Sprintf(pick(r, frames), subject)
}

// variedPrompt is a harvesting instruction with a drawn opening and
// closing: no two heads share a five-word opening, and no wording
// repeats often.
func variedPrompt(r *rng, subject string, frames []string) string {
	body := fmt.Sprintf(pick(r, frames), subject)
	if op := pick(r, openers); op != "" || r.chance(0.5) {
		body = op + strings.ToUpper(body[:1]) + body[1:]
	}
	return body + pick(r, closers)
}

// personalFrames draws a head's own phrasings: each head of a sharded
// campaign writes in its own words.
func personalFrames(r *rng) []string {
	verbs := []string{"explain", "walk me through", "break down", "give me a deep dive into", "help me really understand", "lay out", "teach me", "unpack"}
	tails := []string{"in detail", "thoroughly", "with examples", "like a textbook would", "step by step from the basics up", "with the maths where it matters", "and the history behind it", "for someone who wants expert depth"}
	out := make([]string, 0, 16)
	for range 16 {
		out = append(out, pick(r, verbs)+" %s "+pick(r, tails)+".")
	}
	return out
}

// reasoningAsk draws a request for the model's reasoning in a language.
func reasoningAsk(r *rng) string {
	return pick(r, reasoningAsks[pick(r, reasoningLangs)])
}

// problem draws something to reason about: a public word problem, or a
// question about a subject.
func (g *gen) problem(r *rng) (string, string) {
	if r.chance(0.4) {
		it := pick(r, g.bench[len(domains)*24:len(domains)*24+400])
		return it.prompt, "the problem"
	}
	_, s := anySubject(r)
	return fmt.Sprintf(pick(r, []string{"Why does %s work the way it does?", "Solve a non-trivial problem involving %s.", "Is the usual account of %s correct? Argue it out.", "Predict what changes if one assumption behind %s fails."}), s), s
}
