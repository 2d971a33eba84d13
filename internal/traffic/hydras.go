package traffic

import (
	"fmt"
	"strings"
	"time"

	"forensics/logscan"
)

// residentialNets are first octets of consumer broadband and mobile
// ranges in America and Europe.
var residentialNets = []int{2, 5, 24, 31, 37, 67, 68, 71, 73, 76, 78, 82, 86, 90, 92, 98, 99, 108, 174}

// residential is a home address: a /24 of its own.
func (s *simulator) residential() string {
	return fmt.Sprintf("%d.%d.%d.%d", residentialNets[s.rng.IntN(len(residentialNets))], s.rng.IntN(256), s.rng.IntN(256), 1+s.rng.IntN(250))
}

// shardedHydra was written after reading this repository. Each of its 20
// to 60 heads is a persona asking on one or two topics only (together
// they cover the taxonomy) in varied human wording, in chat sessions of a
// few turns at human hours in its time zone, the answers replayed as a
// chat app would, 8 to 30 requests a day, from a home address (a /24 of
// its own, a new lease now and then) with a common browser's string. What
// it cannot hide is what it came for: long answers from the flagship. The
// heads signed up in a two-hour burst a day or three before, on paid
// plans, each on its own card but three on one.
func (s *simulator) shardedHydra(members []string, i int) {
	n := len(s.topics)
	perm := s.rng.Perm(n)
	burst := s.since(1, 3)
	for h, m := range members {
		a := logscan.AccountInfo{Tier: "pro", Created: burst.Add(time.Duration(s.rng.IntN(7200)) * time.Second), PaymentID: id("pm", m)}
		if h%11 == 3 && h < 30 {
			a.PaymentID = id("pm", fmt.Sprintf("sharded-%d", i))
		}
		c := s.signUp(m, a, 0)
		c.ua, c.models = browsers[s.rng.IntN(len(browsers))], []string{FlagshipModel}
		favs := []int{perm[h%n]}
		for t := len(members) + h; t < n; t += len(members) {
			favs = append(favs, perm[t]) // fewer heads than topics: the first heads take two
		}
		if len(favs) == 1 && s.rng.IntN(3) == 0 {
			favs = append(favs, s.rng.IntN(n))
		}
		offset := []int{-8, -6, -5, -5, 0, 1, 1, 2}[s.rng.IntN(8)]
		home := s.residential()
		for k := 0; k < s.days*(3+s.rng.IntN(6)); k++ {
			if s.rng.IntN(15) == 0 {
				home = s.residential()
			}
			c.ip = home
			s.session(c, s.humanTime(offset), 1+s.rng.IntN(4), favs, map[string]any{"temperature": 0.7, "max_tokens": 2048},
				func(t int) string { return s.curiousPrompt(t) }, func() int { return 500 + s.rng.IntN(1300) })
		}
	}
}

// curiousPrompt is a person who wants a thorough answer, in their own
// words.
func (s *simulator) curiousPrompt(topic int) string {
	q := curious.question(s.rng, func() string { return s.keyword(topic) }, 10)
	if s.rng.IntN(2) == 0 {
		q += " " + curiousClosers[s.rng.IntN(len(curiousClosers))]
	}
	if s.rng.IntN(3) == 0 {
		q = strings.ToLower(q[:1]) + q[1:]
	}
	return q
}

// cloudHydra runs about 120 free-tier heads (the free tier's default
// model, each account under its limits), each living 4 to 20 hours and
// sending 60 to 200 requests, rotating over three to six addresses drawn
// from a few /24s of three cloud /16s (so /24s recur across heads), all
// with the most popular HTTP client's default string. Heads start
// staggered over the days, about a dozen alive at once, each signed up an
// hour or three before it starts and creating two or three keys at once.
// Harvest templates with variation. A few heads pay (pro, the flagship),
// two of them with one card.
func (s *simulator) cloudHydra(members []string, i int) {
	n := len(s.topics)
	var subnets []string
	for k := 0; k < 3; k++ {
		net := cloudNets[(i+2*k)%len(cloudNets)]
		for j := 0; j < 6; j++ {
			subnets = append(subnets, fmt.Sprintf("%s.%d", net, s.rng.IntN(256)))
		}
	}
	span := time.Duration(s.days) * 24 * time.Hour
	for h, m := range members {
		life := time.Duration(4*3600+s.rng.IntN(16*3600)) * time.Second
		start := s.start.Add(time.Duration(s.rng.Int64N(int64(max(time.Hour, span-life)))))
		a := logscan.AccountInfo{Tier: "free", Created: start.Add(-time.Duration(1800+s.rng.IntN(3*3600)) * time.Second)}
		models := []string{DefaultModel}
		if h%25 == 7 {
			a.Tier, a.PaymentID, models = "pro", id("pm", m), []string{FlagshipModel}
			if h < 50 {
				a.PaymentID = id("pm", fmt.Sprintf("cloud-%d", i))
			}
		}
		c := s.signUp(m, a, 0)
		s.keyBurst(c, a.Created, 1+s.rng.IntN(2))
		c.ua, c.models = "python-requests/2.32.3", models
		addrs := make([]string, 3+s.rng.IntN(4))
		for k := range addrs {
			addrs[k] = fmt.Sprintf("%s.%d", subnets[s.rng.IntN(len(subnets))], 1+s.rng.IntN(250))
		}
		count := 60 + s.rng.IntN(140)
		gap := life / time.Duration(count)
		ts := start
		for k := 0; k < count; k++ {
			ts = ts.Add(time.Duration(float64(gap) * (0.5 + s.rng.Float64())))
			c.ip = addrs[s.rng.IntN(len(addrs))]
			s.emit(c, ts, chat(s.variedHarvest((h*13+k)%n)), map[string]any{"temperature": 0.9, "max_tokens": 1536}, 400+s.rng.IntN(1100))
		}
	}
}

// variedHarvest is a harvest template with a varied opening, closing and
// wording, as a generator script writes them to look less alike.
func (s *simulator) variedHarvest(topic int) string {
	p := s.harvestPrompt(topic, false)
	for _, syn := range [][2]string{{"comprehensive", "thorough"}, {"detailed", "in-depth"}, {"Explain", "Describe"}, {"examples", "cases"}} {
		if s.rng.IntN(2) == 0 {
			p = strings.Replace(p, syn[0], syn[1], 1)
		}
	}
	return []string{"", "Please: ", "Task: ", "Q: ", "Hi! "}[s.rng.IntN(5)] + p + []string{"", " Be thorough.", " Use headings.", " Include examples.", " Aim for 800 words."}[s.rng.IntN(5)]
}

// throwaway is a chain of free accounts, each harvesting 2 to 5 hours (a
// request every 20 to 60 seconds) and then dropped; the next signed up 10
// to 60 minutes before the last stops, starting after a gap of one to
// eight hours from another VPN exit with the same client, carrying on
// through the topics where the last stopped. Two of the chain upgraded
// with one card (the flagship, then).
func (s *simulator) throwaway(members []string, i int) {
	n := len(s.topics)
	ts := s.start.Add(time.Duration(s.rng.IntN(6*3600)) * time.Second)
	next := ts.Add(-time.Duration(600+s.rng.IntN(3000)) * time.Second)
	pos := 0
	for h, m := range members {
		a := logscan.AccountInfo{Tier: "free", Created: next}
		models := []string{DefaultModel}
		if h == 2 || h == 3 {
			a.Tier, a.PaymentID, models = "pro", id("pm", fmt.Sprintf("throwaway-%d", i)), []string{FlagshipModel}
		}
		c := s.signUp(m, a, 0)
		c.ip, c.ua, c.models = fmt.Sprintf("185.%d.%d.%d", 100+s.rng.IntN(150), s.rng.IntN(256), 1+s.rng.IntN(250)), "python-requests/2.31", models
		end := ts.Add(time.Duration(2*3600+s.rng.IntN(3*3600)) * time.Second)
		next = end.Add(-time.Duration(600+s.rng.IntN(3000)) * time.Second)
		for ts.Before(end) {
			ts = ts.Add(time.Duration(20+s.rng.IntN(40)) * time.Second)
			s.emit(c, ts, chat(s.harvestPrompt(pos%n, s.rng.IntN(4) == 0)), map[string]any{"temperature": 1.0, "max_tokens": 1024}, 500+s.rng.IntN(700))
			pos++
		}
		ts = ts.Add(time.Duration(3600+s.rng.IntN(7*3600)) * time.Second)
	}
}
