package logscan

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// population writes synthetic records for the linking tests: people,
// evaluation labs on public templates, a rotating-cloud hydra, throw-away
// chains. It is written for these tests, not tuned on the simulator.
type population struct {
	rng   *rand.Rand
	start time.Time
	days  int
	recs  []Record
}

func newPopulation(seed uint64, days int) *population {
	return &population{rng: rand.New(rand.NewPCG(seed, 19)), start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), days: days}
}

var (
	genWords = strings.Fields(`the a my our this that report garden recipe budget travel code error bug
		history music movie song poem letter email meeting plan week weekend dog cat car house rent tax
		loan job resume interview school exam math physics chemistry biology essay story friend family
		health sleep diet run workout bike train flight hotel visa book novel author paint photo camera
		phone laptop server database query python java script table chart sales team client`)
	genOpeners = []string{"can you help me with", "I was wondering about", "quick question on", "please explain",
		"what do you think of", "how do I fix", "any tips for", "tell me more about"}
	genBrowsers = []string{"Mozilla/5.0 (Macintosh)", "Mozilla/5.0 (Windows NT 10.0; Win64)", "Mozilla/5.0 (iPhone)",
		"Mozilla/5.0 (X11; Linux)", "Mozilla/5.0 (Android 14)"}
	// publicTemplates are benchmark-like: many accounts send them.
	publicTemplates = []string{
		"Q%d: Which of the following statements about %s is correct? Answer A, B, C or D.",
		"Problem %d. Solve for %s and think step by step before giving the final answer.",
		"Passage %d about %s. Does the passage support the claim? Answer yes or no.",
		"Translate sentence %d into French, keeping the name %s unchanged in the output.",
		"Item %d: complete the code so that the function %s passes all of its unit tests.",
		"Question %d: what is the capital of %s? Reply with one word and nothing else.",
		"Story %d ends with %s. Choose the most plausible continuation of the story below.",
		"Fact %d: is the following claim about %s true or false according to common knowledge?",
	}
)

// publicPrompt is item k of a public benchmark template.
func publicPrompt(tmpl string, k int) string { return fmt.Sprintf(tmpl, k, fmt.Sprint("Item", k)) }

func (p *population) add(acct, ip, ua string, ts time.Time, prompt string) {
	p.recs = append(p.recs, Record{Line: len(p.recs) + 1, TS: ts, Account: acct, IP: ip, UserAgent: ua,
		Endpoint: "/v1/chat/completions", Model: "m", Prompt: prompt, Status: 200, PromptTokens: 20, CompletionTokens: 300,
		Params: Params{Temperature: 0.7, HasTemperature: true}})
}

func (p *population) pick(xs []string) string { return xs[p.rng.IntN(len(xs))] }

// humanTime is a moment on a random day between 8:00 and 22:00.
func (p *population) humanTime() time.Time {
	return p.start.Add(time.Duration(p.rng.IntN(p.days))*24*time.Hour + 8*time.Hour + time.Duration(p.rng.IntN(14*3600))*time.Second)
}

// homeIP is an address on a residential /24 of its own.
func (p *population) homeIP() string {
	return fmt.Sprintf("%d.%d.%d.%d", 81+p.rng.IntN(10), p.rng.IntN(256), p.rng.IntN(256), 1+p.rng.IntN(250))
}

// cloudIP is an address in the cloud range the hydra rents from (64 /24s).
func (p *population) cloudIP() string {
	return fmt.Sprintf("3.80.%d.%d", p.rng.IntN(64), 1+p.rng.IntN(250))
}

func (p *population) sentence(n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = p.pick(genWords)
	}
	return strings.Join(ws, " ")
}

// person asks ordinary questions at human hours from home (or, now and
// then, a cloud desktop), with a common browser; sometimes they try a
// benchmark question.
func (p *population) person(name string) {
	ip, ua := p.homeIP(), p.pick(genBrowsers)
	if p.rng.IntN(25) == 0 {
		ip = p.cloudIP()
	}
	if p.rng.IntN(5) == 0 {
		ua = "python-requests/2.31"
	}
	for k := 10 + p.rng.IntN(40); k > 0; k-- {
		p.add(name, ip, ua, p.humanTime(), p.pick(genOpeners)+" "+p.sentence(3+p.rng.IntN(10))+"?")
	}
	for k := p.rng.IntN(4); k > 0; k-- {
		p.add(name, ip, ua, p.humanTime(), publicPrompt(p.pick(publicTemplates), p.rng.IntN(5000)))
	}
}

// evalLab runs public benchmark templates in batches with a common HTTP
// client, from its own network or from the hydra's cloud range.
func (p *population) evalLab(name string, cloud bool) (ips []string) {
	ips = []string{p.homeIP(), p.homeIP()}
	if cloud {
		ips = []string{p.cloudIP(), p.cloudIP()}
	}
	tmpls := make([]string, 0, 5)
	for _, i := range p.rng.Perm(len(publicTemplates))[:5] {
		tmpls = append(tmpls, publicTemplates[i])
	}
	ts := p.humanTime()
	for k := 0; k < 200; k++ {
		ts = ts.Add(time.Duration(2+p.rng.IntN(5)) * time.Second)
		if k%50 == 49 {
			ts = p.humanTime()
		}
		p.add(name, ips[k%2], "python-requests/2.31", ts, publicPrompt(tmpls[k%len(tmpls)], k))
	}
	return ips
}

// cotHarvester sends public benchmark templates asking for the reasoning,
// round the clock, with the labs' common client, from the /24 of labIP:
// it shares the labs' templates and client string, and a lab's network.
func (p *population) cotHarvester(name, labIP string) {
	ip := labIP[:strings.LastIndexByte(labIP, '.')] + ".251"
	for k := 0; k < 600; k++ {
		ts := p.start.Add(time.Duration(p.rng.IntN(p.days*24*3600)) * time.Second)
		p.add(name, ip, "python-requests/2.31", ts, publicPrompt(publicTemplates[k%len(publicTemplates)], k)+" Show your reasoning step by step.")
	}
}

// hydra plays heads that each rotate over six addresses on five /24s of
// the cloud range, send one client string, and use four of the
// campaign's 24 private templates, round the clock.
func (p *population) hydra(prefix string, heads int) []string {
	var tmpls []string
	for range 24 {
		tmpls = append(tmpls, fmt.Sprintf("%s harvest task %%d: write an exhaustive expert explanation of %%s", p.sentence(4)))
	}
	var names []string
	for h := 0; h < heads; h++ {
		name := fmt.Sprintf("%s%03d", prefix, h)
		names = append(names, name)
		nets := p.rng.Perm(64)[:5]
		var ips []string
		for i := 0; i < 6; i++ {
			ips = append(ips, fmt.Sprintf("3.80.%d.%d", nets[i%5], 1+p.rng.IntN(250)))
		}
		mine := p.rng.Perm(len(tmpls))[:4]
		for k := 40 + p.rng.IntN(40); k > 0; k-- {
			ts := p.start.Add(time.Duration(p.rng.IntN(p.days*24*3600)) * time.Second)
			p.add(name, ips[p.rng.IntN(len(ips))], "hx-harvest/0.3", ts, fmt.Sprintf(tmpls[mine[k%4]], k, "Topic"+fmt.Sprint(k)))
		}
	}
	return names
}

// chain plays throw-away accounts that replace each other: each works for
// three hours from a new home address with one private template, and the
// next starts gap after the last stopped.
func (p *population) chain(prefix string, n int, gap time.Duration) []string {
	tmpl := "Throwaway job %d: produce a long detailed answer about %s for the dataset"
	ts := p.start.Add(30 * time.Hour)
	var names []string
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s%02d", prefix, i)
		names = append(names, name)
		ip := p.homeIP()
		for k := 0; k < 36; k++ {
			p.add(name, ip, p.pick(genBrowsers), ts, fmt.Sprintf(tmpl, k, "Subject"+fmt.Sprint(k)))
			ts = ts.Add(5 * time.Minute)
		}
		ts = ts.Add(gap)
	}
	return names
}

// people adds n people named prefix0000….
func (p *population) people(prefix string, n int) {
	for i := 0; i < n; i++ {
		p.person(fmt.Sprintf("%s%04d", prefix, i))
	}
}

// scan feeds the records, in time order, to a new scanner and reports.
func (p *population) scan(t interface{ Fatal(...any) }, info Accounts) *Report {
	s, err := NewScanner(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	s.SetAccounts(info)
	recs := append([]Record(nil), p.recs...)
	sortRecordsByTime(recs)
	for _, r := range recs {
		s.Add(r)
	}
	return s.Report()
}
