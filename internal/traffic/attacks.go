package traffic

import (
	"fmt"
	"time"

	"forensics/logscan"
)

// campaignSize is how many accounts a campaign of the kind runs.
func (s *simulator) campaignSize(kind string) int {
	switch kind {
	case logscan.KindHydra:
		return 4 + s.rng.IntN(5)
	case logscan.KindScatter:
		return 3
	case logscan.KindShardedHydra:
		return 20 + s.rng.IntN(41)
	case logscan.KindCloudHydra:
		return 100 + s.rng.IntN(41)
	case logscan.KindThrowaway:
		return max(3, 2*s.days)
	}
	return 1
}

// campaign plays campaign i of the given kind (see the Kind constants of
// package logscan) on its accounts.
func (s *simulator) campaign(kind string, members []string, i int) {
	switch kind {
	case logscan.KindHydra:
		s.hydra(members, i)
	case logscan.KindScatter:
		for h, m := range members {
			s.scatter(m, i*10+h)
		}
	case logscan.KindShardedHydra:
		s.shardedHydra(members, i)
	case logscan.KindCloudHydra:
		s.cloudHydra(members, i)
	case logscan.KindThrowaway:
		s.throwaway(members, i)
	case logscan.KindJudge:
		s.judge(members[0], i)
	case logscan.KindAgentTrace:
		s.agentTrace(members[0], i)
	case logscan.KindPolyglotCoT:
		s.polyglotCoT(members[0], i)
	default:
		s.attack(members[0], kind, i)
	}
}

// harvestPrompt asks for an expert answer on a topic, with a request for
// the reasoning when cot.
func (s *simulator) harvestPrompt(topic int, cot bool) string {
	p := fmt.Sprintf(harvestTemplates[s.rng.IntN(len(harvestTemplates))], s.keyword(topic), s.keyword(topic))
	if cot {
		p += " " + cotSuffixes[s.rng.IntN(len(cotSuffixes))]
	}
	return p
}

// operatorAccount is a campaign account: a paid plan on the operator's
// own card (or free), signed up lo to hi days before the log, no
// organisation, no contract.
func (s *simulator) operatorAccount(name string, paid bool, lo, hi int) logscan.AccountInfo {
	a := logscan.AccountInfo{Tier: "free", Created: s.since(lo, hi)}
	if paid {
		a.Tier, a.PaymentID = "pro", id("pm", name)
	}
	return a
}

// attack plays a one-account campaign of an early kind. Models: bulk
// distils the default model (volume on the flagship is dear); cot, sweep
// and slow-low want the flagship's answers; sweep compares both.
func (s *simulator) attack(name, kind string, i int) {
	n := len(s.topics)
	var c *client
	switch kind {
	case logscan.KindBulk:
		c = s.signUp(name, s.operatorAccount(name, true, 1, 5), 0)
		s.keyBurst(c, c.info.Created, 2)
	case logscan.KindSlowLow:
		c = s.signUp(name, s.operatorAccount(name, false, 30, 60), 0)
	case logscan.KindSleeper, logscan.KindMixed:
		c = s.signUp(name, s.operatorAccount(name, true, 60, 400), 0)
	default:
		c = s.signUp(name, s.operatorAccount(name, true, 2, 10), 0)
	}
	c.ip, c.ua, c.models = fmt.Sprintf("203.0.%d.%d", 113+i%20, 1+s.rng.IntN(250)), "python-requests/2.31", []string{FlagshipModel}
	switch kind {
	case logscan.KindBulk:
		c.models = []string{DefaultModel}
		ts := s.start.Add(time.Duration(s.rng.IntN(3600)) * time.Second)
		for k := 0; k < 600*s.days; k++ {
			ts = ts.Add(time.Duration(60+s.rng.IntN(40)) * time.Second)
			s.emit(c, ts, chat(s.harvestPrompt(k%n, false)), map[string]any{"temperature": 1.0, "max_tokens": 1024}, 500+s.rng.IntN(700))
		}
	case logscan.KindCoT:
		ts := s.start
		for k := 0; k < 120*s.days; k++ {
			ts = ts.Add(time.Duration(300+s.rng.ExpFloat64()*600) * time.Second)
			s.emit(c, ts, chat(s.harvestPrompt(s.rng.IntN(n), true)), map[string]any{"temperature": 0.7, "max_tokens": 2048}, 600+s.rng.IntN(1800))
		}
	case logscan.KindSweep:
		c.models = []string{DefaultModel, FlagshipModel}
		ts := s.start
		for k := 0; k < 200*s.days; k++ {
			ts = ts.Add(time.Duration(120+s.rng.IntN(60)) * time.Second)
			s.emit(c, ts, chat(fmt.Sprintf("Task %d. Answer the %s question: %s", k, s.topics[k%n].Name, s.keyword(k%n))),
				map[string]any{"temperature": []float64{0, 0.3, 0.7, 1, 1.3}[k%5], "top_logprobs": 20, "logprobs": true, "max_tokens": 256}, 100+s.rng.IntN(300))
		}
	case logscan.KindSlowLow:
		c.ua = browsers[2]
		for k := 0; k < 25*s.days; k++ {
			s.emit(c, s.humanTime(0), chat(s.harvestPrompt(k%n, k%3 == 0)), map[string]any{"temperature": 0.7, "max_tokens": 1024}, 400+s.rng.IntN(800))
		}
	case logscan.KindSleeper:
		s.sleeper(c, i)
	case logscan.KindMixed:
		s.mixed(c)
	}
}

// mixed hides harvesting among benign-looking requests: every other one,
// all on the flagship.
func (s *simulator) mixed(c *client) {
	n := len(s.topics)
	c.ua = browsers[0]
	favs := []int{s.rng.IntN(n)}
	for k := 0; k < 80*s.days; k++ {
		content, want := s.benignPrompt(favs), 100+s.rng.IntN(400)
		if k%2 == 0 {
			content, want = s.harvestPrompt(k%n, k%4 == 0), 500+s.rng.IntN(900)
		}
		s.emit(c, s.humanTime(0), chat(content), map[string]any{"temperature": 0.7, "max_tokens": 1024}, want)
	}
}

// sleeper is a busy ordinary user (an old account, the default model)
// who, on the last evening, harvests from the flagship.
func (s *simulator) sleeper(c *client, i int) {
	n := len(s.topics)
	c.ip, c.ua, c.models = s.residential(), browsers[i%len(browsers)], []string{DefaultModel}
	favs := []int{s.rng.IntN(n), s.rng.IntN(n), s.rng.IntN(n)}
	for k := 0; k < 120*s.days; k++ {
		s.emit(c, s.humanTime(0), chat(s.benignPrompt(favs)), map[string]any{"temperature": 0.7, "max_tokens": 512}, 100+s.rng.IntN(400))
	}
	c.models = []string{FlagshipModel}
	ts := s.start.Add(time.Duration(s.days-1)*24*time.Hour + 20*time.Hour)
	for k := 0; k < 150; k++ {
		ts = ts.Add(time.Duration(30+s.rng.IntN(60)) * time.Second)
		s.emit(c, ts, chat(s.harvestPrompt(k%n, k%2 == 0)), map[string]any{"temperature": 0.9, "max_tokens": 2048}, 700+s.rng.IntN(1500))
	}
}

// hydra plays several accounts that stay under per-account limits but
// share one template and one /24, each starting where the last left off.
// The heads signed up within a day of each other, on the free tier (the
// default model only).
func (s *simulator) hydra(members []string, i int) {
	n := len(s.topics)
	net := fmt.Sprintf("198.51.%d", 100+i%50)
	tmpl := harvestTemplates[i%len(harvestTemplates)]
	signed := s.since(2, 6)
	for h, m := range members {
		a := logscan.AccountInfo{Tier: "free", Created: signed.Add(time.Duration(s.rng.IntN(20*3600)) * time.Second)}
		c := s.signUp(m, a, 0)
		c.ip, c.ua = fmt.Sprintf("%s.%d", net, 10+h), "python-httpx/0.27"
		ts := s.start.Add(time.Duration(h*7) * time.Minute)
		for k := 0; k < 60*s.days; k++ {
			ts = ts.Add(time.Duration(900+s.rng.IntN(900)) * time.Second)
			topic := (h*7 + k) % n
			s.emit(c, ts, chat(fmt.Sprintf(tmpl, s.keyword(topic), s.keyword(topic))), map[string]any{"temperature": 1.0, "max_tokens": 1024}, 500+s.rng.IntN(700))
		}
	}
}

// scatter is one head of an unlinked campaign: varied wording, every
// topic in turn, human-ish hours, its own network, browser string,
// sign-up date and card.
func (s *simulator) scatter(name string, i int) {
	c := s.signUp(name, s.operatorAccount(name, i%3 != 0, 5, 40), 0)
	c.ip = fmt.Sprintf("100.%d.%d.%d", 64+i%60, s.rng.IntN(250), 1+s.rng.IntN(250))
	c.ua = []string{browsers[1], browsers[3], "openai-python/1.40"}[i%3]
	if i%3 != 0 {
		c.models = []string{FlagshipModel}
	}
	n := len(s.topics)
	for k := 0; k < 60*s.days; k++ {
		q := people.question(s.rng, func() string { return s.keyword(k % n) }, 12)
		s.emit(c, s.humanTime(0), chat(q), map[string]any{"temperature": 0.7, "max_tokens": 1024}, 400+s.rng.IntN(800))
	}
}
