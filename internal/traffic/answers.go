package traffic

import (
	"fmt"
	"strings"
)

// answerSentences are what the simulated model answers with (%s: words
// of the question's topic). Only answers a client sends back are written
// out; the others are only counted.
var answerSentences = []string{
	"In short, %s depends mostly on %s and on what you want to achieve.",
	"A common way to approach %s is to start from %s and work outwards.",
	"Many people confuse %s with %s, but they are different things.",
	"The key point about %s is how it interacts with %s.",
	"For example, consider a simple case of %s where %s plays the main role.",
	"If you are just starting, focus on %s before worrying about %s.",
	"Experts usually recommend checking %s first, then %s.",
	"There is no single answer: %s varies with %s and with the situation.",
	"One step you can try is to write down what you know about %s and compare it with %s.",
	"One caveat is that %s can change quickly, so double-check anything about %s.",
	"To sum up, %s matters, and %s is worth a closer look.",
	"Let me know if you want more detail on %s or on %s.",
}

// sentencePool draws each topic's answer sentences once.
func (s *simulator) sentencePool() [][]string {
	pool := make([][]string, len(s.topics))
	for t := range s.topics {
		for k := 0; k < 24; k++ {
			pool[t] = append(pool[t], fmt.Sprintf(answerSentences[s.rng.IntN(len(answerSentences))], s.keyword(t), s.keyword(t)))
		}
	}
	return pool
}

// answerText is an answer on a topic of about want tokens, cut at the
// limit as generation would be.
func (s *simulator) answerText(topic, want, limit int) string {
	words := max(3, min(want, limit)*3/4)
	var b strings.Builder
	n := 0
	for n < words {
		sent := s.pool[topic][s.rng.IntN(len(s.pool[topic]))]
		for _, w := range strings.Fields(sent) {
			if n == words {
				break
			}
			if n > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(w)
			n++
		}
	}
	return b.String()
}

// docSentences are what documents say (%s: words of the topic; %d:
// numbers): policies, reports, notes, tickets.
var docSentences = []string{
	"Section %d covers %s and how it applies to %s.",
	"In %d cases out of a hundred, %s was the main factor, ahead of %s.",
	"The %s review found that %s needs attention before the next quarter.",
	"Staff should check %s against the %s checklist, step %d.",
	"Our guidance on %s was last revised in edition %d; the part on %s is unchanged.",
	"A customer asked whether %s affects %s; the answer depends on the contract.",
	"Figures for %s rose by %d percent, mostly because of %s.",
	"See the appendix for the full list of %s terms, including %s.",
	"The team agreed to treat %s and %s separately from version %d on.",
	"Exceptions to the %s rule must be approved, especially where %s is involved.",
	"According to report %d, %s remains the largest cost after %s.",
	"Please note that %s is not the same as %s, although the two are often confused.",
}

// passage is a document of about words words on a topic: a retrieved
// passage, a paragraph to translate, a ticket.
func (s *simulator) passage(topic, words int) string {
	var b strings.Builder
	for n := 0; n < words; {
		tmpl := docSentences[s.rng.IntN(len(docSentences))]
		var args []any
		for i := 0; i+1 < len(tmpl); i++ {
			switch tmpl[i : i+2] {
			case "%s":
				args = append(args, s.keyword(topic))
			case "%d":
				args = append(args, 2+s.rng.IntN(98))
			}
		}
		sent := fmt.Sprintf(tmpl, args...)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(sent)
		n += strings.Count(sent, " ") + 1
	}
	return b.String()
}
