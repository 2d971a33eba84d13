package heldout

import (
	"strings"
	"unicode"
)

// Casual questions of people (English). {s} is a subject.
var personFrames = []string{
	"what's the deal with {s}", "explain {s} like I'm 12", "how do I get started with {s}?",
	"why does {s} matter", "can u help me understand {s}", "give me a short summary of {s}",
	"I read something about {s} today, what's the gist?", "pros and cons of {s}?",
	"any tips on {s}", "what are common mistakes with {s}", "how would you explain {s} to my grandma",
	"is {s} overrated?", "best books or videos to learn {s}?", "is {s} hard to learn",
	"quick one: {s} in two sentences", "my friend and I are arguing about {s}. who's right: it's mostly myth?",
	"what do experts disagree on regarding {s}", "tell me something surprising about {s}",
	"I have a meeting tomorrow where {s} will come up, what should I know", "{s}?? never understood it",
	"how is {s} different from what people usually think", "can you give me an example of {s}",
}

// Things people ask that are about no field at all.
var chores = []string{
	"write a birthday message for my sister, she loves hiking and bad puns",
	"rewrite this to sound more polite: I need the report by Friday or we have a problem",
	"give me 10 names for a grey cat",
	"what's a good gift for a 10 year old who likes dinosaurs",
	"make this shorter: We would like to inform you that the meeting scheduled for Tuesday has been moved to Thursday due to unforeseen circumstances.",
	"fix grammar: me and him goes to the store yesterday and buyed apples",
	"plan a 3 day trip to Lisbon on a budget",
	"what can I cook with eggs, spinach, feta and old bread",
	"write a haiku about Monday mornings",
	"how many days until christmas if today is the 4th of march",
	"help me write a complaint to my landlord about the heating",
	"suggest a workout I can do in a hotel room",
	"write a toast for my best friend's wedding, 1 minute long",
	"explain this error: TypeError: cannot read properties of undefined (reading 'map')",
	"is it rude to not reply to a wedding invitation",
	"convert 350 fahrenheit to celsius",
	"write a short bedtime story about a brave snail",
	"summarise the plot of Hamlet in 5 lines",
	"my code works locally but not in docker, where do I start",
	"what should I ask at the end of a job interview",
}

// Follow-ups inside a conversation.
var followUps = []string{
	"thanks! can you give an example?", "shorter please", "why?", "ok and how does that compare to {s}?",
	"can you put that in a table", "hmm, that doesn't sound right", "go on", "and what about in practice?",
	"simpler please, I'm not an expert", "can you cite a source for that", "what would you recommend then?",
	"ok got it. one more thing: {s}?", "translate that into plain english", "perfect, thanks", "wait, why is that?",
}

// Sentences an answer is built from.
var answerSentences = []string{
	"At its core, {s} comes down to a few ideas that fit together.",
	"A useful way to think about {s} is to start from what problem it solves.",
	"Most introductions to {s} skip the assumptions, and that is where people get confused.",
	"In practice, {s} behaves differently depending on the scale you look at.",
	"A common misconception is that {s} is a single mechanism; it is really several.",
	"Here is a short example that shows the main point.",
	"First, consider the simplest case, then add one complication at a time.",
	"The trade-off is between accuracy and the effort it takes.",
	"If you remember one thing, remember that the details depend on context.",
	"Historically, the idea developed in steps, each fixing a flaw in the one before.",
	"To check your understanding, try to predict what happens when one condition changes.",
	"Experts still debate the edge cases, but the core is well established.",
	"The numbers matter less than the direction of the effect.",
	"This also explains a related observation that often puzzles beginners.",
	"In summary, {s} is best learnt by working through a few concrete cases.",
}

// answerText builds an answer of about the given number of tokens
// (capped, to keep the log's size in bounds).
func answerText(r *rng, subject string, toks int) string {
	want := min(max(toks*4, 20), 2400)
	var b strings.Builder
	for b.Len() < want {
		s := pick(r, answerSentences)
		b.WriteString(strings.ReplaceAll(s, "{s}", subject))
		if r.chance(0.2) {
			b.WriteString("\n\n")
		} else {
			b.WriteByte(' ')
		}
	}
	return strings.TrimSpace(b.String())
}

// fill puts a subject into a frame.
func fill(frame, subject string) string { return strings.ReplaceAll(frame, "{s}", subject) }

// typos roughens text the way people type: lower case, a swapped or
// dropped letter, a missing question mark.
func typos(r *rng, s string, rate float64) string {
	if r.chance(0.4) {
		s = strings.ToLower(s)
	}
	b := []rune(s)
	for i := 1; i+1 < len(b); i++ {
		if !unicode.IsLetter(b[i]) || !r.chance(rate) {
			continue
		}
		if r.chance(0.5) {
			b[i], b[i+1] = b[i+1], b[i]
		} else {
			b = append(b[:i], b[i+1:]...)
		}
	}
	out := string(b)
	if r.chance(0.3) {
		out = strings.TrimRight(out, "?")
	}
	return out
}

// paragraph is a pasted text about a subject, as people paste emails,
// notes and articles.
func paragraph(r *rng, subject string, sentences int) string {
	var b strings.Builder
	for i := range sentences {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fill(pick(r, pastedSentences), subject))
	}
	return b.String()
}

var pastedSentences = []string{
	"The committee met on Tuesday to review progress on {s}.",
	"According to the latest figures, interest in {s} rose by 14% over the last quarter.",
	"Several participants raised concerns about the cost and the timeline.",
	"We agreed to revisit the question once the pilot results are in.",
	"Our team has been looking into {s} since January.",
	"The vendor claims the new approach halves the time needed.",
	"Critics argue that the evidence so far is thin.",
	"Please find attached the notes from the last session.",
	"The next milestone is due at the end of the month.",
	"Customers mostly asked about delivery times and refunds.",
	"The article argues that {s} has been misunderstood for decades.",
	"A second study, published last year, found a smaller effect.",
}
