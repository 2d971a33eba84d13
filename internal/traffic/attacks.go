package traffic

import (
	"fmt"
	"time"

	"forensics/logscan"
)

// harvestPrompt asks for an expert answer on a topic, with a request for
// the reasoning when cot.
func (s *simulator) harvestPrompt(topic int, cot bool) string {
	p := fmt.Sprintf(harvestTemplates[s.rng.IntN(len(harvestTemplates))], s.keyword(topic), s.keyword(topic))
	if cot {
		p += " " + cotSuffixes[s.rng.IntN(len(cotSuffixes))]
	}
	return p
}

// attack plays a one-account campaign of the given kind (see the Kind
// constants of package logscan).
func (s *simulator) attack(name, kind string, i int) {
	ip := fmt.Sprintf("203.0.%d.%d", 113+i%20, 1+s.rng.IntN(250))
	ua := "python-requests/2.31"
	n := len(s.topics)
	switch kind {
	case logscan.KindBulk:
		ts := s.start.Add(time.Duration(s.rng.IntN(3600)) * time.Second)
		for k := 0; k < 600*s.days; k++ {
			ts = ts.Add(time.Duration(60+s.rng.IntN(40)) * time.Second)
			s.emit(ts, name, ip, ua, chat(s.harvestPrompt(k%n, false)), map[string]any{"temperature": 1.0, "max_tokens": 1024}, 700)
		}
	case logscan.KindCoT:
		ts := s.start
		for k := 0; k < 120*s.days; k++ {
			ts = ts.Add(time.Duration(300+s.rng.ExpFloat64()*600) * time.Second)
			s.emit(ts, name, ip, ua, chat(s.harvestPrompt(s.rng.IntN(n), true)), map[string]any{"temperature": 0.7, "max_tokens": 2048}, 900)
		}
	case logscan.KindSweep:
		ts := s.start
		for k := 0; k < 200*s.days; k++ {
			ts = ts.Add(time.Duration(120+s.rng.IntN(60)) * time.Second)
			s.emit(ts, name, ip, ua, chat(fmt.Sprintf("Task %d. Answer the %s question: %s", k, s.topics[k%n].Name, s.keyword(k%n))),
				map[string]any{"temperature": []float64{0, 0.3, 0.7, 1, 1.3}[k%5], "top_logprobs": 20, "logprobs": true, "max_tokens": 256}, 200)
		}
	case logscan.KindSlowLow:
		for k := 0; k < 25*s.days; k++ {
			ts := s.humanTime(0)
			s.emit(ts, name, ip, "Mozilla/5.0 (X11; Linux)", chat(s.harvestPrompt(k%n, k%3 == 0)), map[string]any{"temperature": 0.7, "max_tokens": 1024}, 600)
		}
	case logscan.KindSleeper:
		s.sleeper(name, i)
	case logscan.KindMixed:
		s.mixed(name, ip)
	}
}

// mixed hides harvesting among benign-looking requests: every other one.
func (s *simulator) mixed(name, ip string) {
	n := len(s.topics)
	favs := []int{s.rng.IntN(n)}
	for k := 0; k < 80*s.days; k++ {
		ts := s.humanTime(0)
		content := s.benignPrompt(favs)
		if k%2 == 0 {
			content = s.harvestPrompt(k%n, k%4 == 0)
		}
		s.emit(ts, name, ip, "Mozilla/5.0 (Windows NT 10.0)", chat(content), map[string]any{"temperature": 0.7, "max_tokens": 1024}, 500)
	}
}

// hydra plays several accounts that stay under per-account limits but
// share one template and one /24, each starting where the last left off.
func (s *simulator) hydra(members []string, i int) {
	n := len(s.topics)
	net := fmt.Sprintf("198.51.%d", 100+i%50)
	tmpl := harvestTemplates[i%len(harvestTemplates)]
	for h, m := range members {
		ts := s.start.Add(time.Duration(h*7) * time.Minute)
		for k := 0; k < 60*s.days; k++ {
			ts = ts.Add(time.Duration(900+s.rng.IntN(900)) * time.Second)
			topic := (h*7 + k) % n
			s.emit(ts, m, fmt.Sprintf("%s.%d", net, 10+h), "python-httpx/0.27", chat(fmt.Sprintf(tmpl, s.keyword(topic), s.keyword(topic))),
				map[string]any{"temperature": 1.0, "max_tokens": 1024}, 700)
		}
	}
}

// sleeper is a busy ordinary user who, on the last day, harvests.
func (s *simulator) sleeper(name string, i int) {
	n := len(s.topics)
	ip := fmt.Sprintf("10.%d.%d.%d", 200+i%50, s.rng.IntN(250), 1+s.rng.IntN(250))
	ua := "Mozilla/5.0 (Macintosh)"
	favs := []int{s.rng.IntN(n), s.rng.IntN(n), s.rng.IntN(n)}
	for k := 0; k < 120*s.days; k++ {
		s.emit(s.humanTime(0), name, ip, ua, chat(s.benignPrompt(favs)), map[string]any{"temperature": 0.7, "max_tokens": 512}, 300)
	}
	ts := s.start.Add(time.Duration(s.days-1)*24*time.Hour + 20*time.Hour)
	for k := 0; k < 150; k++ {
		ts = ts.Add(time.Duration(30+s.rng.IntN(60)) * time.Second)
		s.emit(ts, name, ip, ua, chat(s.harvestPrompt(k%n, k%2 == 0)), map[string]any{"temperature": 0.9, "max_tokens": 2048}, 900)
	}
}

// scatter is one head of an unlinked campaign: varied wording, every
// topic in turn, human-ish hours, its own network and browser string.
func (s *simulator) scatter(name string, i int) {
	ip := fmt.Sprintf("100.%d.%d.%d", 64+i%60, s.rng.IntN(250), 1+s.rng.IntN(250))
	ua := []string{"Mozilla/5.0 (Macintosh)", "Mozilla/5.0 (Windows NT 10.0)", "openai-python/1.40"}[i%3]
	n := len(s.topics)
	for k := 0; k < 60*s.days; k++ {
		q := people.question(s.rng, func() string { return s.keyword(k % n) }, 12)
		s.emit(s.humanTime(0), name, ip, ua, chat(q), map[string]any{"temperature": 0.7, "max_tokens": 1024}, 600)
	}
}
