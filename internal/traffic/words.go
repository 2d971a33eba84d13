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

// browsers are common browsers' user-agent strings.
var browsers = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
}

// curious is how a person who wants to understand a subject properly
// asks; curiousClosers what they sometimes add.
var (
	curious = voice{
		openers: []string{"I've been reading about", "could you explain properly how", "I'm trying to understand", "what's the real story behind",
			"my professor mentioned", "I never really got", "help me understand", "how would an expert think about", "what should I know about",
			"I keep hearing about", "walk me through", "why do people disagree about"},
		fillers: strings.Fields("the this really actually in practice for a beginner and why it matters here exactly at all these days " +
			"in my case compared to before honestly properly"),
	}
	curiousClosers = []string{"I'd love a thorough answer.", "Go as deep as you like.", "Examples would help.", "Please don't skip the details.",
		"I'm studying this, so the long version is fine.", "Thanks!"}
)
