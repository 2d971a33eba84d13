package traffic

import (
	"fmt"
	"strings"
	"time"

	"forensics/logline"
)

// benign plays one legitimate account. Most are people with a few topics;
// some are the hard cases a detector must not flag: power users with many
// topics and high volume, automation (a fixed summarisation template sent
// on a timer), and students who ask for step-by-step reasoning.
func (s *simulator) benign(name string, i int) {
	if i%25 < 6 {
		// Colleagues: six of every 25 accounts share an office network and
		// browser, with their own topics. Sharing a /24 alone must not
		// make them a cluster.
		s.office(name, i)
		return
	}
	switch r := s.rng.IntN(100); {
	case r < 5:
		s.automation(name, i)
		return
	case r < 10:
		s.student(name, i)
		return
	}
	s.person(name, i)
}

// person chats about one to three favourite topics in a few sessions of
// one to four turns, at office hours in their time zone; one in ten is a
// power user with many topics and six times the sessions.
func (s *simulator) person(name string, i int) {
	n := len(s.topics)
	favs := []int{s.rng.IntN(n), s.rng.IntN(n), s.rng.IntN(n)}[:1+s.rng.IntN(3)]
	sessions := 2 + s.rng.IntN(8*s.days)
	if s.rng.IntN(10) == 0 {
		favs = nil
		for k := 0; k < 6+s.rng.IntN(5); k++ {
			favs = append(favs, s.rng.IntN(n))
		}
		sessions *= 6
	}
	offset := s.rng.IntN(10) - 3
	ip := fmt.Sprintf("10.%d.%d.%d", i%200, s.rng.IntN(250), 1+s.rng.IntN(250))
	ua := []string{"Mozilla/5.0 (Macintosh)", "Mozilla/5.0 (Windows NT 10.0)", "openai-python/1.40", "curl/8.5"}[s.rng.IntN(4)]
	for k := 0; k < sessions; k++ {
		ts := s.humanTime(offset)
		var msgs []logline.Message
		turns := 1 + s.rng.IntN(4)
		for t := 0; t < turns; t++ {
			msgs = append(msgs, logline.Message{Role: "user", Content: s.benignPrompt(favs)})
			s.emit(ts, name, ip, ua, append([]logline.Message{}, msgs...), map[string]any{"temperature": 0.7, "max_tokens": 512}, 50+s.rng.IntN(400))
			msgs = append(msgs, logline.Message{Role: "assistant", Content: "…"})
			ts = ts.Add(time.Duration(20+s.rng.ExpFloat64()*180) * time.Second)
		}
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
// different documents, on a timer, during a few days.
func (s *simulator) automation(name string, i int) {
	ip := fmt.Sprintf("10.%d.%d.%d", i%200, s.rng.IntN(250), 1+s.rng.IntN(250))
	ts := s.start.Add(time.Duration(s.rng.IntN(s.days*24)) * time.Hour)
	topic := s.rng.IntN(len(s.topics))
	for k := 0; k < 100+s.rng.IntN(300); k++ {
		ts = ts.Add(time.Duration(300+s.rng.IntN(30)) * time.Second)
		doc := make([]string, 0, 40)
		for w := 0; w < 20+s.rng.IntN(40); w++ {
			doc = append(doc, people.fillers[s.rng.IntN(len(people.fillers))])
		}
		doc = append(doc, s.keyword(topic))
		s.emit(ts, name, ip, "internal-batch/1.2", chat("Summarize the following ticket in two sentences: "+strings.Join(doc, " ")),
			map[string]any{"temperature": 0.2, "max_tokens": 128}, 60)
	}
}

// student asks about two subjects and often wants the steps.
func (s *simulator) student(name string, i int) {
	favs := []int{s.rng.IntN(len(s.topics)), s.rng.IntN(len(s.topics))}
	ip := fmt.Sprintf("10.%d.%d.%d", i%200, s.rng.IntN(250), 1+s.rng.IntN(250))
	for k := 0; k < 10+s.rng.IntN(40); k++ {
		p := s.benignPrompt(favs)
		if s.rng.IntN(2) == 0 {
			p += " " + cotSuffixes[s.rng.IntN(len(cotSuffixes))]
		}
		s.emit(s.humanTime(0), name, ip, "Mozilla/5.0 (iPhone)", chat(p), map[string]any{"temperature": 0.7}, 300)
	}
}

// office is an ordinary user behind a shared office network.
func (s *simulator) office(name string, i int) {
	favs := []int{s.rng.IntN(len(s.topics)), s.rng.IntN(len(s.topics))}
	ip := fmt.Sprintf("172.16.%d.%d", i/25, 10+i%25)
	for k := 0; k < 3+s.rng.IntN(6*s.days); k++ {
		s.emit(s.humanTime(0), name, ip, "Mozilla/5.0 (Windows NT 10.0; Win64)", chat(s.benignPrompt(favs)),
			map[string]any{"temperature": 0.7, "max_tokens": 512}, 50+s.rng.IntN(400))
	}
}
