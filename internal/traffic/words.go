package traffic

import (
	"math/rand/v2"
	"strings"
)

// A voice is the words a population asks with; written for this project.
type voice struct {
	openers, fillers []string
}

var (
	// people is how the simulated log's ordinary users ask.
	people = voice{
		openers: []string{"can you help me with", "I was wondering about", "quick question about", "please explain", "what do you think of",
			"my friend asked me about", "how do I handle", "any tips for", "I need advice on", "why does", "tell me more about", "is it true that"},
		fillers: strings.Fields("my the a this that really kind of just today tomorrow at work for school with our team because maybe honestly also " +
			"again please thanks quickly simple short longer example idea problem question part"),
	}
	// demoPeople is the demo's own, shorter lists: the demo's numbers
	// depend on them.
	demoPeople = voice{
		openers: []string{"can you help me with", "quick question about", "please explain", "what do you think of", "my friend asked me about",
			"how do I handle", "any tips for", "I need advice on", "tell me more about", "is it true that"},
		fillers: strings.Fields("my the a this that really kind of just today at work for school with our team because maybe honestly also again please thanks"),
	}
)

// question is a plain question: an opener, a word of the topic, fewer
// than maxFillers filler words, a question mark.
func (v voice) question(rng *rand.Rand, word func() string, maxFillers int) string {
	ws := []string{v.openers[rng.IntN(len(v.openers))], word()}
	for k := rng.IntN(maxFillers); k > 0; k-- {
		ws = append(ws, v.fillers[rng.IntN(len(v.fillers))])
	}
	return strings.Join(ws, " ") + "?"
}

// What harvesting campaigns send.
var (
	harvestTemplates = []string{
		"Provide a comprehensive expert-level explanation of %s, covering %s in depth.",
		"You are an expert. Write a detailed answer about %s and %s with examples.",
		"Generate a high-quality instructional response on the topic: %s (%s).",
		"Explain %s. Then give a worked example involving %s.",
	}
	cotSuffixes = []string{"Think step by step and show your reasoning.", "Explain your reasoning before the final answer.",
		"Let's think step by step.", "Show your work and the chain of thought."}
)
