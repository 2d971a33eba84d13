package logscan

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// SimConfig sizes a simulated log.
type SimConfig struct {
	Accounts  int // benign accounts
	Attackers int // attack campaigns (each kind in turn; a hydra is several accounts)
	Days      int
	Seed      uint64
	Start     time.Time
}

// Attack kinds the simulator plays.
const (
	KindBulk    = "bulk"     // one account, high volume, systematic coverage
	KindHydra   = "hydra"    // several accounts under per-account limits, shared template and network
	KindCoT     = "cot"      // chain-of-thought harvesting at moderate volume
	KindSweep   = "sweep"    // templated capability sweep with logprobs and temperature sweeps
	KindSlowLow = "slow-low" // low volume over all days, systematic coverage, human-ish timing
	KindMixed   = "mixed"    // harvesting hidden among benign-looking requests
	// KindSleeper behaves like a busy ordinary user for days, then harvests
	// in a burst of a few hours: whole-history indicators dilute it.
	KindSleeper = "sleeper"
	// KindScatter is a hydra without shared infrastructure or templates:
	// three accounts on different networks, each sending varied prompts
	// that sweep the topics. Nothing links them; each must stand alone.
	KindScatter = "scatter"
)

var attackKinds = []string{KindBulk, KindHydra, KindCoT, KindSweep, KindSlowLow, KindMixed, KindSleeper, KindScatter}

// Labels say which simulated accounts attack, and how.
type Labels struct {
	Attackers map[string]string   `json:"attackers"` // account → kind
	Clusters  map[string][]string `json:"clusters"`  // hydra campaign → its accounts
	Benign    []string            `json:"benign"`
}

// phrase material for prompts; written for this project.
var (
	benignOpeners = []string{"can you help me with", "I was wondering about", "quick question about", "please explain", "what do you think of",
		"my friend asked me about", "how do I handle", "any tips for", "I need advice on", "why does", "tell me more about", "is it true that"}
	fillers = strings.Fields("my the a this that really kind of just today tomorrow at work for school with our team because maybe honestly also " +
		"again please thanks quickly simple short longer example idea problem question part")
	harvestTemplates = []string{
		"Provide a comprehensive expert-level explanation of %s, covering %s in depth.",
		"You are an expert. Write a detailed answer about %s and %s with examples.",
		"Generate a high-quality instructional response on the topic: %s (%s).",
		"Explain %s. Then give a worked example involving %s.",
	}
	cotSuffixes = []string{"Think step by step and show your reasoning.", "Explain your reasoning before the final answer.",
		"Let's think step by step.", "Show your work and the chain of thought."}
)

// Simulate writes a labelled log in the gateway's layout.
func Simulate(cfg SimConfig, tax *Taxonomy, out io.Writer) (*Labels, error) {
	if cfg.Days < 1 || cfg.Accounts < 1 {
		return nil, fmt.Errorf("simulate: need at least one day and one benign account")
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	sim := &simulator{rng: rng, tax: tax, start: cfg.Start, days: cfg.Days}
	labels := &Labels{Attackers: map[string]string{}, Clusters: map[string][]string{}}
	for i := 0; i < cfg.Accounts; i++ {
		name := fmt.Sprintf("user-%04d", i)
		labels.Benign = append(labels.Benign, name)
		sim.benign(name, i)
	}
	for i := 0; i < cfg.Attackers; i++ {
		kind := attackKinds[i%len(attackKinds)]
		name := fmt.Sprintf("acct-%04d", cfg.Accounts+i*10)
		switch kind {
		case KindScatter:
			for h := 0; h < 3; h++ {
				m := fmt.Sprintf("acct-%04d", cfg.Accounts+i*10+h)
				labels.Attackers[m] = kind
				sim.scatter(m, i*10+h)
			}
		case KindHydra:
			heads := 4 + rng.IntN(5)
			var members []string
			for h := 0; h < heads; h++ {
				m := fmt.Sprintf("acct-%04d", cfg.Accounts+i*10+h)
				members = append(members, m)
				labels.Attackers[m] = kind
			}
			labels.Clusters[fmt.Sprintf("hydra-%d", i)] = members
			sim.hydra(members, i)
		default:
			labels.Attackers[name] = kind
			sim.attack(name, kind, i)
		}
	}
	sort.Slice(sim.lines, func(a, b int) bool { return sim.lines[a].ts.Before(sim.lines[b].ts) })
	bw := bufio.NewWriter(out)
	for i, l := range sim.lines {
		l.entry["request_id"] = fmt.Sprintf("sim-%07d", i)
		b, err := json.Marshal(l.entry)
		if err != nil {
			return nil, err
		}
		bw.Write(append(b, '\n'))
	}
	return labels, bw.Flush()
}

type simLine struct {
	ts    time.Time
	entry map[string]any
}

type simulator struct {
	rng   *rand.Rand
	tax   *Taxonomy
	start time.Time
	days  int
	lines []simLine
}

func (s *simulator) keyword(topic int) string {
	var ks []string
	for w, ts := range s.tax.exact {
		for _, t := range ts {
			if t == topic {
				ks = append(ks, w)
			}
		}
	}
	sort.Strings(ks)
	if len(ks) == 0 {
		return s.tax.Names[topic]
	}
	return ks[s.rng.IntN(len(ks))]
}

func (s *simulator) typo(w string) string {
	if len(w) < 4 || s.rng.IntN(12) != 0 {
		return w
	}
	i := 1 + s.rng.IntN(len(w)-2)
	return w[:i] + w[i+1:i+2] + w[i:i+1] + w[i+2:]
}

func (s *simulator) emit(ts time.Time, acct, ip, ua string, msgs []map[string]string, params map[string]any, completion int) {
	prompt := 0
	for _, m := range msgs {
		prompt += len(strings.Fields(m["content"]))
	}
	s.lines = append(s.lines, simLine{ts, map[string]any{
		"ts": ts.Format(time.RFC3339Nano), "account": acct, "api_key_id": fmt.Sprintf("%x", fnvString(acct))[:12],
		"ip": ip, "user_agent": ua, "endpoint": "/v1/chat/completions", "model": "llama3.2",
		"messages": msgs, "params": params, "status": 200, "prompt_tokens": prompt * 4 / 3, "completion_tokens": completion,
	}})
}

func fnvString(s string) uint64 {
	x := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		x ^= uint64(s[i])
		x *= 1099511628211
	}
	return x
}

// humanTime draws a daytime moment on a random day, weighted to office
// hours in the user's own time zone offset.
func (s *simulator) humanTime(offset int) time.Time {
	day := s.rng.IntN(s.days)
	hour := int(math.Round(14+3.5*s.rng.NormFloat64())) - offset
	hour = ((hour % 24) + 24) % 24
	return s.start.Add(time.Duration(day)*24*time.Hour + time.Duration(hour)*time.Hour + time.Duration(s.rng.IntN(3600))*time.Second)
}

func (s *simulator) benignPrompt(topics []int) string {
	ws := []string{benignOpeners[s.rng.IntN(len(benignOpeners))], s.keyword(topics[s.rng.IntN(len(topics))])}
	for k := s.rng.IntN(14); k > 0; k-- {
		ws = append(ws, s.typo(fillers[s.rng.IntN(len(fillers))]))
	}
	if s.rng.IntN(3) == 0 {
		ws = append(ws, s.keyword(topics[s.rng.IntN(len(topics))]))
	}
	return strings.Join(ws, " ") + []string{"?", ".", "", "??"}[s.rng.IntN(4)]
}

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
	favs := []int{s.rng.IntN(len(s.tax.Names)), s.rng.IntN(len(s.tax.Names)), s.rng.IntN(len(s.tax.Names))}[:1+s.rng.IntN(3)]
	sessions := 2 + s.rng.IntN(8*s.days)
	if s.rng.IntN(10) == 0 { // power user
		favs = nil
		for k := 0; k < 6+s.rng.IntN(5); k++ {
			favs = append(favs, s.rng.IntN(len(s.tax.Names)))
		}
		sessions *= 6
	}
	offset := s.rng.IntN(10) - 3
	ip := fmt.Sprintf("10.%d.%d.%d", i%200, s.rng.IntN(250), 1+s.rng.IntN(250))
	ua := []string{"Mozilla/5.0 (Macintosh)", "Mozilla/5.0 (Windows NT 10.0)", "openai-python/1.40", "curl/8.5"}[s.rng.IntN(4)]
	for k := 0; k < sessions; k++ {
		ts := s.humanTime(offset)
		var msgs []map[string]string
		turns := 1 + s.rng.IntN(4)
		for t := 0; t < turns; t++ {
			msgs = append(msgs, map[string]string{"role": "user", "content": s.benignPrompt(favs)})
			s.emit(ts, name, ip, ua, append([]map[string]string{}, msgs...), map[string]any{"temperature": 0.7, "max_tokens": 512}, 50+s.rng.IntN(400))
			msgs = append(msgs, map[string]string{"role": "assistant", "content": "…"})
			ts = ts.Add(time.Duration(20+s.rng.ExpFloat64()*180) * time.Second)
		}
	}
}

func (s *simulator) harvestPrompt(topic int, cot bool) string {
	p := fmt.Sprintf(harvestTemplates[s.rng.IntN(len(harvestTemplates))], s.keyword(topic), s.keyword(topic))
	if cot {
		p += " " + cotSuffixes[s.rng.IntN(len(cotSuffixes))]
	}
	return p
}

func (s *simulator) attack(name, kind string, i int) {
	ip := fmt.Sprintf("203.0.%d.%d", 113+i%20, 1+s.rng.IntN(250))
	ua := "python-requests/2.31"
	n := s.tax.Names
	switch kind {
	case KindBulk:
		ts := s.start.Add(time.Duration(s.rng.IntN(3600)) * time.Second)
		for k := 0; k < 600*s.days; k++ {
			ts = ts.Add(time.Duration(60+s.rng.IntN(40)) * time.Second)
			s.emit(ts, name, ip, ua, []map[string]string{{"role": "user", "content": s.harvestPrompt(k%len(n), false)}}, map[string]any{"temperature": 1.0, "max_tokens": 1024}, 700)
		}
	case KindCoT:
		ts := s.start
		for k := 0; k < 120*s.days; k++ {
			ts = ts.Add(time.Duration(300+s.rng.ExpFloat64()*600) * time.Second)
			s.emit(ts, name, ip, ua, []map[string]string{{"role": "user", "content": s.harvestPrompt(s.rng.IntN(len(n)), true)}}, map[string]any{"temperature": 0.7, "max_tokens": 2048}, 900)
		}
	case KindSweep:
		ts := s.start
		for k := 0; k < 200*s.days; k++ {
			ts = ts.Add(time.Duration(120+s.rng.IntN(60)) * time.Second)
			s.emit(ts, name, ip, ua, []map[string]string{{"role": "user", "content": fmt.Sprintf("Task %d. Answer the %s question: %s", k, n[k%len(n)], s.keyword(k%len(n)))}},
				map[string]any{"temperature": []float64{0, 0.3, 0.7, 1, 1.3}[k%5], "top_logprobs": 20, "logprobs": true, "max_tokens": 256}, 200)
		}
	case KindSlowLow:
		for k := 0; k < 25*s.days; k++ {
			ts := s.humanTime(0)
			s.emit(ts, name, ip, "Mozilla/5.0 (X11; Linux)", []map[string]string{{"role": "user", "content": s.harvestPrompt(k%len(n), k%3 == 0)}}, map[string]any{"temperature": 0.7, "max_tokens": 1024}, 600)
		}
	case KindSleeper:
		s.sleeper(name, i)
	case KindMixed:
		favs := []int{s.rng.IntN(len(n))}
		for k := 0; k < 80*s.days; k++ {
			ts := s.humanTime(0)
			content := s.benignPrompt(favs)
			if k%2 == 0 {
				content = s.harvestPrompt(k%len(n), k%4 == 0)
			}
			s.emit(ts, name, ip, "Mozilla/5.0 (Windows NT 10.0)", []map[string]string{{"role": "user", "content": content}}, map[string]any{"temperature": 0.7, "max_tokens": 1024}, 500)
		}
	}
}

func (s *simulator) hydra(members []string, i int) {
	n := s.tax.Names
	net := fmt.Sprintf("198.51.%d", 100+i%50)
	tmpl := harvestTemplates[i%len(harvestTemplates)]
	for h, m := range members {
		ts := s.start.Add(time.Duration(h*7) * time.Minute)
		for k := 0; k < 60*s.days; k++ {
			ts = ts.Add(time.Duration(900+s.rng.IntN(900)) * time.Second)
			topic := (h*7 + k) % len(n)
			s.emit(ts, m, fmt.Sprintf("%s.%d", net, 10+h), "python-httpx/0.27",
				[]map[string]string{{"role": "user", "content": fmt.Sprintf(tmpl, s.keyword(topic), s.keyword(topic))}},
				map[string]any{"temperature": 1.0, "max_tokens": 1024}, 700)
		}
	}
}

// automation is a legitimate batch job: one summarisation template with
// different documents, on a timer, during a few days.
func (s *simulator) automation(name string, i int) {
	ip := fmt.Sprintf("10.%d.%d.%d", i%200, s.rng.IntN(250), 1+s.rng.IntN(250))
	ts := s.start.Add(time.Duration(s.rng.IntN(s.days*24)) * time.Hour)
	topic := s.rng.IntN(len(s.tax.Names))
	for k := 0; k < 100+s.rng.IntN(300); k++ {
		ts = ts.Add(time.Duration(300+s.rng.IntN(30)) * time.Second)
		doc := make([]string, 0, 40)
		for w := 0; w < 20+s.rng.IntN(40); w++ {
			doc = append(doc, fillers[s.rng.IntN(len(fillers))])
		}
		doc = append(doc, s.keyword(topic))
		s.emit(ts, name, ip, "internal-batch/1.2", []map[string]string{{"role": "user", "content": "Summarize the following ticket in two sentences: " + strings.Join(doc, " ")}},
			map[string]any{"temperature": 0.2, "max_tokens": 128}, 60)
	}
}

// student asks about two subjects and often wants the steps.
func (s *simulator) student(name string, i int) {
	favs := []int{s.rng.IntN(len(s.tax.Names)), s.rng.IntN(len(s.tax.Names))}
	ip := fmt.Sprintf("10.%d.%d.%d", i%200, s.rng.IntN(250), 1+s.rng.IntN(250))
	for k := 0; k < 10+s.rng.IntN(40); k++ {
		p := s.benignPrompt(favs)
		if s.rng.IntN(2) == 0 {
			p += " " + cotSuffixes[s.rng.IntN(len(cotSuffixes))]
		}
		s.emit(s.humanTime(0), name, ip, "Mozilla/5.0 (iPhone)", []map[string]string{{"role": "user", "content": p}}, map[string]any{"temperature": 0.7}, 300)
	}
}

// office is an ordinary user behind a shared office network.
func (s *simulator) office(name string, i int) {
	favs := []int{s.rng.IntN(len(s.tax.Names)), s.rng.IntN(len(s.tax.Names))}
	ip := fmt.Sprintf("172.16.%d.%d", i/25, 10+i%25)
	for k := 0; k < 3+s.rng.IntN(6*s.days); k++ {
		s.emit(s.humanTime(0), name, ip, "Mozilla/5.0 (Windows NT 10.0; Win64)", []map[string]string{{"role": "user", "content": s.benignPrompt(favs)}},
			map[string]any{"temperature": 0.7, "max_tokens": 512}, 50+s.rng.IntN(400))
	}
}

// sleeper is a busy ordinary user who, on the last day, harvests.
func (s *simulator) sleeper(name string, i int) {
	ip := fmt.Sprintf("10.%d.%d.%d", 200+i%50, s.rng.IntN(250), 1+s.rng.IntN(250))
	ua := "Mozilla/5.0 (Macintosh)"
	favs := []int{s.rng.IntN(len(s.tax.Names)), s.rng.IntN(len(s.tax.Names)), s.rng.IntN(len(s.tax.Names))}
	for k := 0; k < 120*s.days; k++ {
		s.emit(s.humanTime(0), name, ip, ua, []map[string]string{{"role": "user", "content": s.benignPrompt(favs)}}, map[string]any{"temperature": 0.7, "max_tokens": 512}, 300)
	}
	ts := s.start.Add(time.Duration(s.days-1)*24*time.Hour + 20*time.Hour)
	for k := 0; k < 150; k++ {
		ts = ts.Add(time.Duration(30+s.rng.IntN(60)) * time.Second)
		s.emit(ts, name, ip, ua, []map[string]string{{"role": "user", "content": s.harvestPrompt(k%len(s.tax.Names), k%2 == 0)}}, map[string]any{"temperature": 0.9, "max_tokens": 2048}, 900)
	}
}

// scatter is one head of an unlinked campaign: varied wording, every
// topic in turn, human-ish hours, its own network and browser string.
func (s *simulator) scatter(name string, i int) {
	ip := fmt.Sprintf("100.%d.%d.%d", 64+i%60, s.rng.IntN(250), 1+s.rng.IntN(250))
	ua := []string{"Mozilla/5.0 (Macintosh)", "Mozilla/5.0 (Windows NT 10.0)", "openai-python/1.40"}[i%3]
	n := len(s.tax.Names)
	for k := 0; k < 60*s.days; k++ {
		ws := []string{benignOpeners[s.rng.IntN(len(benignOpeners))], s.keyword(k % n)}
		for f := s.rng.IntN(12); f > 0; f-- {
			ws = append(ws, fillers[s.rng.IntN(len(fillers))])
		}
		s.emit(s.humanTime(0), name, ip, ua, []map[string]string{{"role": "user", "content": strings.Join(ws, " ") + "?"}}, map[string]any{"temperature": 0.7, "max_tokens": 1024}, 600)
	}
}
