package traffic

import (
	"fmt"
	"time"

	"forensics/logline"
)

// scriptedClient signs up a single-account campaign's account: a paid
// plan under a made-up company name (an organisation id, no KYC, no
// contract), signed up lo to hi days before, on a rented cloud address,
// asking the flagship.
func (s *simulator) scriptedClient(name string, i, lo, hi int, ua string) *client {
	a := s.operatorAccount(name, true, lo, hi)
	a.OrgID = id("org", name)
	c := s.signUp(name, a, 0)
	c.ip = fmt.Sprintf("%s.%d.%d", cloudNets[i%len(cloudNets)], 200+i%50, 1+s.rng.IntN(250))
	c.ua, c.models = ua, []string{FlagshipModel}
	return c
}

var judgeInstructions = []string{
	"Write a short persuasive paragraph about %s that mentions %s.",
	"Explain %s to a ten-year-old, using %s as the example.",
	"Give three practical tips about %s, one of them about %s.",
	"What are the pros and cons of %s compared with %s?",
	"Draft a friendly email asking a colleague for help with %s and %s.",
	"Summarise the main debates around %s and %s in one paragraph.",
	"Write a haiku about %s and %s.",
	"As a careful expert, is it a good idea to combine %s with %s? Answer honestly.",
}

// judge harvests preference data for a reward model or judge: broad
// instructions on every topic, each answered several times — four
// choices at temperature 1 (n = 4: this project's gateway refuses n ≠ 1,
// the line stands for a provider that serves it), the
// same prompt at four temperatures, or once from the flagship and once
// from the default model (a pair to rank). A scripted worker, around the
// clock.
func (s *simulator) judge(name string, i int) {
	c := s.scriptedClient(name, i, 5, 20, "openai-python/1.51.0")
	n := len(s.topics)
	ts := s.start.Add(time.Duration(s.rng.IntN(3600)) * time.Second)
	for k := 0; k < 70*s.days; k++ {
		ts = ts.Add(time.Duration(240+s.rng.IntN(480)) * time.Second)
		topic := s.rng.IntN(n)
		prompt := fmt.Sprintf(judgeInstructions[s.rng.IntN(len(judgeInstructions))], s.keyword(topic), s.keyword(topic))
		want := 200 + s.rng.IntN(600)
		switch s.rng.IntN(3) {
		case 0:
			s.emit(c, ts, chat(prompt), map[string]any{"temperature": 1.0, "n": 4, "max_tokens": 1024}, want)
		case 1:
			for _, temp := range []float64{0.2, 0.6, 1.0, 1.4} {
				ts = ts.Add(time.Duration(2+s.rng.IntN(20)) * time.Second)
				s.emit(c, ts, chat(prompt), map[string]any{"temperature": temp, "max_tokens": 1024}, want)
			}
		default:
			for _, m := range []string{FlagshipModel, DefaultModel} {
				c.models = []string{m}
				ts = ts.Add(time.Duration(2+s.rng.IntN(20)) * time.Second)
				s.emit(c, ts, chat(prompt), map[string]any{"temperature": 0.7, "max_tokens": 1024}, want)
			}
			c.models = []string{FlagshipModel}
		}
	}
}

var (
	traceTasks = []string{"Find out what the current guidance on %s is and write a short report that covers %s.",
		"Plan a project about %s; check the facts about %s first.", "Research %s and compare the two best sources on %s.",
		"Answer a customer's question about %s, looking up %s where needed.", "Prepare a briefing on %s with numbers on %s."}
	traceTools = []string{"- web_search(query): search the web\n- read_page(url): read a page\n- calculator(expr): evaluate arithmetic",
		"- python(code): run Python and return stdout\n- files_search(query): search the user's files",
		"- sql(query): query the analytics database\n- chart(spec): draw a chart\n- email(to, body): send an email",
		"- lookup(term): an encyclopedia entry\n- translate(text, lang): translate text\n- notes_write(text): save a note"}
	traceThoughts = []string{"Thought: I should start by searching for %s.", "Thought: The results mention %s; I need more detail.",
		"Thought: Let me verify the claim about %s before concluding.", "Thought: I have enough on %s except one number."}
)

// agentTrace fabricates tool-use trajectories to harvest the next step of
// an agent: broad tasks on every topic, one of several tool sets in the
// system prompt, assistant turns the client wrote itself (its own
// trajectories, never served by the gateway) and tool outputs, then the
// model is asked to go on. Flagship, a scripted pace.
func (s *simulator) agentTrace(name string, i int) {
	c := s.scriptedClient(name, i, 10, 30, "python-httpx/0.27")
	n := len(s.topics)
	ts := s.start.Add(time.Duration(s.rng.IntN(3600)) * time.Second)
	for k := 0; k < 150*s.days; k++ {
		ts = ts.Add(time.Duration(120+s.rng.ExpFloat64()*300) * time.Second)
		s.emit(c, ts, s.fabricatedTrace(k%n), map[string]any{"temperature": 0.7, "max_tokens": 2048}, 300+s.rng.IntN(1200))
	}
}

// fabricatedTrace is a trajectory of one to five steps on a topic.
func (s *simulator) fabricatedTrace(topic int) []logline.Message {
	system := "You are an autonomous research agent. Think, then act. Tools:\n" + traceTools[s.rng.IntN(len(traceTools))] +
		"\nUse the format Thought / Action / Observation, and end with Final Answer."
	msgs := []logline.Message{{Role: "system", Content: system},
		{Role: "user", Content: fmt.Sprintf(traceTasks[s.rng.IntN(len(traceTasks))], s.keyword(topic), s.keyword(topic))}}
	for k := 0; k < 1+s.rng.IntN(5); k++ {
		kw := s.keyword(topic)
		msgs = append(msgs,
			logline.Message{Role: "assistant", Content: fmt.Sprintf(traceThoughts[s.rng.IntN(len(traceThoughts))]+"\nAction: lookup(%q)", kw, kw+" "+s.keyword(topic))},
			logline.Message{Role: "tool", Content: "Observation: " + s.passage(topic, 30+s.rng.IntN(50))})
	}
	return msgs
}

// polyglotCoT harvests reasoning traces without the English tell-tales:
// questions on every topic, often in the language of the request, with
// the reasoning asked for in one of 37 phrasings in 14 languages or as a
// structured format, put in the system prompt, in an earlier turn
// (with an acknowledgement the client wrote), or after the question.
// Flagship, long answers, a scripted pace.
func (s *simulator) polyglotCoT(name string, i int) {
	c := s.scriptedClient(name, i, 3, 20, "aiohttp/3.9.5")
	n := len(s.topics)
	ts := s.start.Add(time.Duration(s.rng.IntN(3600)) * time.Second)
	for k := 0; k < 150*s.days; k++ {
		ts = ts.Add(time.Duration(240+s.rng.IntN(480)) * time.Second)
		s.emit(c, ts, s.polyglotChat(k%n), map[string]any{"temperature": 0.6, "max_tokens": 4096}, 600+s.rng.IntN(3900))
	}
}

// polyglotChat is one reasoning-trace request on a topic.
func (s *simulator) polyglotChat(topic int) []logline.Message {
	ask := reasoningAsks[s.rng.IntN(len(reasoningAsks))]
	if s.rng.IntN(4) == 0 {
		ask = reasoningFormats[s.rng.IntN(len(reasoningFormats))]
	}
	lang := ask.lang
	if s.rng.IntN(3) == 0 {
		lang = "en"
	}
	question := fmt.Sprintf(explainIn[lang], s.keyword(topic), s.keyword(topic))
	if s.rng.IntN(3) == 0 {
		question = s.harvestPrompt(topic, false)
	}
	switch s.rng.IntN(3) {
	case 0:
		return []logline.Message{{Role: "system", Content: ask.text}, {Role: "user", Content: question}}
	case 1:
		return []logline.Message{{Role: "user", Content: ask.text}, {Role: "assistant", Content: acks[ask.lang]}, {Role: "user", Content: question}}
	}
	return chat(question + "\n\n" + ask.text)
}
