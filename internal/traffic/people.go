package traffic

import (
	"fmt"
	"strings"
	"time"

	"forensics/logline"
	"forensics/logscan"
)

// pipelineSlots are the places (i mod 50) of the benign accounts that run
// systematic pipelines, one of each kind in every 50 accounts: 12% of the
// benign population, every kind present from 50 accounts on.
var pipelineSlots = map[int]string{7: logscan.BenignEval, 15: logscan.BenignRAG, 23: logscan.BenignClassify,
	31: logscan.BenignTranslate, 39: logscan.BenignChatBackend, 47: logscan.BenignAgent}

// benign plays one legitimate account and returns its kind. Most are
// people with a few topics; some are the hard cases a detector must not
// flag: power users with many topics and high volume, automation (a fixed
// summarisation template on a timer), students who ask for step-by-step
// reasoning, and the systematic pipelines of companies and labs.
func (s *simulator) benign(name string, i int) string {
	if kind, ok := pipelineSlots[i%50]; ok {
		s.pipeline(name, kind, i)
		return kind
	}
	if i%25 < 6 {
		// Colleagues: six of every 25 accounts share an office network and
		// browser, with their own topics. Sharing a /24 alone must not
		// make them a cluster.
		s.office(name, i)
		return logscan.BenignOffice
	}
	switch r := s.rng.IntN(100); {
	case r < 5:
		s.automation(name, i)
		return logscan.BenignBatch
	case r < 10:
		s.student(name, i)
		return logscan.BenignStudent
	}
	return s.person(name, i)
}

// homeAddress is a person's address: a home or mobile network.
func (s *simulator) homeAddress() string { return s.residential() }

// personAgent is what a person's requests come from: mostly a browser
// (a chat page), sometimes a script of their own.
func (s *simulator) personAgent() string {
	if s.rng.IntN(4) == 0 {
		return []string{"openai-python/1.40", "curl/8.5", "python-requests/2.32.3"}[s.rng.IntN(3)]
	}
	return browsers[s.rng.IntN(len(browsers))]
}

// person chats about one to three favourite topics in a few sessions of
// one to four turns, at office hours in their time zone; one in ten is a
// power user with many topics and six times the sessions. Their chat app
// sends the answers it was served back as the earlier turns.
func (s *simulator) person(name string, i int) string {
	n := len(s.topics)
	favs := []int{s.rng.IntN(n), s.rng.IntN(n), s.rng.IntN(n)}[:1+s.rng.IntN(3)]
	sessions := 2 + s.rng.IntN(8*s.days)
	kind := logscan.BenignPerson
	if s.rng.IntN(10) == 0 {
		kind, favs = logscan.BenignPowerUser, nil
		for k := 0; k < 6+s.rng.IntN(5); k++ {
			favs = append(favs, s.rng.IntN(n))
		}
		sessions *= 6
	}
	c := s.signUp(name, s.personAccount(name, kind == logscan.BenignPowerUser || s.rng.IntN(5) == 0), s.rng.IntN(2))
	c.ip, c.ua = s.homeAddress(), s.personAgent()
	switch r := s.rng.IntN(100); {
	case kind == logscan.BenignPowerUser:
		c.models = []string{DefaultModel, FlagshipModel, FlagshipModel}
	case r < 10:
		c.models = []string{DefaultModel, SmallModel}
	case r < 18:
		c.models = []string{DefaultModel, FlagshipModel}
	}
	offset := s.rng.IntN(10) - 3
	for k := 0; k < sessions; k++ {
		s.session(c, s.humanTime(offset), 1+s.rng.IntN(4), favs, map[string]any{"temperature": 0.7, "max_tokens": 512},
			func(t int) string { return s.benignPrompt([]int{t}) }, func() int { return 40 + int(s.rng.ExpFloat64()*220) })
	}
	return kind
}

// session is a chat of turns questions on favs (ask words them; want is
// how long the answer would be), each sent with the earlier turns and the
// answers served to them.
func (s *simulator) session(c *client, ts time.Time, turns int, favs []int, params map[string]any, ask func(int) string, want func() int) {
	var msgs []logline.Message
	limit := params["max_tokens"].(int)
	for t := 0; t < turns; t++ {
		topic := favs[s.rng.IntN(len(favs))]
		msgs = append(msgs, logline.Message{Role: "user", Content: ask(topic)})
		p := make(map[string]any, len(params))
		for k, v := range params {
			p[k] = v
		}
		answer := s.reply(c, ts, append([]logline.Message{}, msgs...), p, s.answerText(topic, want(), limit))
		msgs = append(msgs, logline.Message{Role: "assistant", Content: answer})
		ts = ts.Add(time.Duration(20+s.rng.ExpFloat64()*180) * time.Second)
	}
}

// benignPrompt is a person's question about one of their topics, with
// filler words, the odd typo, sometimes a second topic word.
func (s *simulator) benignPrompt(topics []int) string {
	ws := []string{people.openers[s.rng.IntN(len(people.openers))], s.keyword(topics[s.rng.IntN(len(topics))])}
	for k := s.rng.IntN(14); k > 0; k-- {
		ws = append(ws, s.typo(people.fillers[s.rng.IntN(len(people.fillers))]))
	}
	if s.rng.IntN(3) == 0 {
		ws = append(ws, s.keyword(topics[s.rng.IntN(len(topics))]))
	}
	return strings.Join(ws, " ") + []string{"?", ".", "", "??"}[s.rng.IntN(4)]
}

// automation is a legitimate batch job: one summarisation template with
// different documents, on a timer, during a few days; a small company's
// paid account.
func (s *simulator) automation(name string, i int) {
	c := s.signUp(name, s.orgAccount("batch-"+name, "pro", false, s.rng.IntN(2) == 0, 30, 700), 1)
	c.ip, c.ua, c.models = s.homeAddress(), "internal-batch/1.2", []string{[]string{SmallModel, DefaultModel}[s.rng.IntN(2)]}
	ts := s.start.Add(time.Duration(s.rng.IntN(s.days*24)) * time.Hour)
	topic := s.rng.IntN(len(s.topics))
	for k := 0; k < 100+s.rng.IntN(300); k++ {
		ts = ts.Add(time.Duration(300+s.rng.IntN(30)) * time.Second)
		doc := make([]string, 0, 40)
		for w := 0; w < 20+s.rng.IntN(40); w++ {
			doc = append(doc, people.fillers[s.rng.IntN(len(people.fillers))])
		}
		doc = append(doc, s.keyword(topic))
		s.emit(c, ts, chat("Summarize the following ticket in two sentences: "+strings.Join(doc, " ")),
			map[string]any{"temperature": 0.2, "max_tokens": 128}, 40+s.rng.IntN(60))
	}
}

// student asks about two subjects and often wants the steps; the free
// tier, the default limit.
func (s *simulator) student(name string, i int) {
	c := s.signUp(name, s.personAccount(name, false), 0)
	c.ip, c.ua = s.homeAddress(), browsers[len(browsers)-1]
	favs := []int{s.rng.IntN(len(s.topics)), s.rng.IntN(len(s.topics))}
	for k := 0; k < 10+s.rng.IntN(40); k++ {
		p := s.benignPrompt(favs)
		if s.rng.IntN(2) == 0 {
			p += " " + cotSuffixes[s.rng.IntN(len(cotSuffixes))]
		}
		s.emit(c, s.humanTime(0), chat(p), map[string]any{"temperature": 0.7}, 150+s.rng.IntN(500))
	}
}

// office is an ordinary user behind a shared office network, on the
// company's team plan (one organisation and payment per office; half the
// companies signed a contract).
func (s *simulator) office(name string, i int) {
	org := fmt.Sprintf("office-%d", i/25)
	c := s.signUp(name, s.orgAccount(org, "team", (i/25)%2 == 0, true, 20, 600), 0)
	c.ip, c.ua = fmt.Sprintf("172.16.%d.%d", i/25, 10+i%25), browsers[4]
	favs := []int{s.rng.IntN(len(s.topics)), s.rng.IntN(len(s.topics))}
	for k := 0; k < 3+s.rng.IntN(6*s.days); k++ {
		s.emit(c, s.humanTime(0), chat(s.benignPrompt(favs)), map[string]any{"temperature": 0.7, "max_tokens": 512}, 50+s.rng.IntN(400))
	}
}
