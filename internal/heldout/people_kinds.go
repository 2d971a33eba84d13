package heldout

import (
	"fmt"
	"strings"
	"time"
)

var problemFrames = []string{"Solve step by step: %s", "help me with my homework: %s", "how do I even start this one? %s", "my answer is 42 but the book says otherwise, explain step by step: %s"}

var studentFrames = []string{"can you explain step by step how %s works? exam on friday",
	"help me with my homework: %s", "I need an outline for a 1500 word essay on %s",
	"my teacher says my answer is wrong, can you check it step by step: %s",
	"explain %s with a worked example, I have a quiz tomorrow", "what would be a good thesis statement about %s",
	"make me 5 flashcards about %s",
}

// campus is a university: its NAT addresses, and the assignment its
// students paste word for word in exam week.
type campus struct {
	ips        []string
	assignment string
}

func newCampus(r *rng) campus {
	net := newSubnet24(r, pick(r, orgPrefixes))
	d, s := anySubject(r)
	return campus{
		ips: []string{net.host(r.between(1, 250)), net.host(r.between(1, 250)), net.host(r.between(1, 250))},
		assignment: fmt.Sprintf("Problem set %d, %s: Discuss %s. (a) State the key definitions. (b) Work through one example in full. (c) Explain a limitation. Show all your reasoning.",
			r.between(3, 9), domains[d].name, s),
	}
}

// studentActor asks for homework help, in term time, from the campus
// network by day and from home at night.
func (g *gen) studentActor(c country, uni campus) *actor {
	return &actor{play: func(a *actor) {
		p := a.newPersona(KindStudent, c)
		p.model = pick(a.rng, []string{modelSmall, modelFlagship, modelFlagship})
		st := a.personStyle(p)
		courses := sample(a.rng, []int{2, 6, 7, 8, 9, 10, 11, 12, 17, 4}, a.rng.between(2, 4))
		examWeek := false
		opener := func() (string, string) {
			s := subjectOf(a.rng, pick(a.rng, courses))
			if examWeek && a.rng.chance(0.3) { // the course's assignment, pasted
				return uni.assignment + pick(a.rng, []string{"", " pls help", "\n\nI don't get part (b)", " explain it simply"}), "the assignment"
			}
			if a.rng.chance(0.35) { // a textbook word problem
				q := pick(a.rng, g.bench[len(domains)*24:len(domains)*24+400]).prompt
				return typos(a.rng, fmt.Sprintf(pick(a.rng, problemFrames), q), 0.01), "the problem"
			}
			return typos(a.rng, fmt.Sprintf(pick(a.rng, studentFrames), s), 0.01), s
		}
		h := habit{tz: c.tz, profile: &studentDay, activeDay: 0.5, weekend: 0.7, sessions: 1.4, perSession: 4, gap: 90}
		exam := h
		exam.fromDay, exam.toDay, exam.activeDay, exam.perSession = 8, 11, 0.9, 8
		h.toDay = 8
		late := h
		late.fromDay, late.toDay = 11, 0
		for i, hh := range []habit{h, exam, late} {
			examWeek = i == 1
			for _, s := range g.sessions(a.rng, hh) {
				local := (s[0].Hour() + c.tz + 24) % 24
				p.mobile = 0.1
				if local >= 9 && local < 17 && s[0].Add(time.Duration(c.tz)*time.Hour).Weekday()%6 != 0 {
					p.ip, p.ipUntil = pick(a.rng, uni.ips), s[len(s)-1]
				}
				a.converse(p, st, &chat{}, s, opener)
			}
		}
	}}
}

// powerUserActor uses the API every day for many things.
func (g *gen) powerUserActor(c country) *actor {
	return &actor{play: func(a *actor) {
		p := a.newPersona(KindPowerUser, c)
		p.ua = pick(a.rng, append(sdkUAs[:5:5], desktopClientUAs...))
		p.model = modelFlagship
		st := a.personStyle(p)
		st.out = 450
		interests := sample(a.rng, a.rng.Perm(len(domains)), a.rng.between(5, 14))
		if a.rng.chance(0.5) {
			st.system = pick(a.rng, []string{"You are a concise assistant. Prefer bullet points.", "Answer as an experienced senior engineer. Be direct.", "Always answer in British English and keep it under 200 words unless asked.", "You are my research assistant. Cite sources where you can."})
		}
		opener := func() (string, string) {
			s := subjectOf(a.rng, pick(a.rng, interests))
			switch x := a.rng.Float64(); {
			case x < 0.2:
				return "Summarise the key points:\n\n" + paragraph(a.rng, s, a.rng.between(4, 12)), s
			case x < 0.35:
				return pick(a.rng, chores), "this"
			default:
				return typos(a.rng, fill(pick(a.rng, personFrames), s), 0.005), s
			}
		}
		h := habit{tz: c.tz, profile: pick(a.rng, []*hourProfile{&dayPerson, &nightOwl, &officeDay}), activeDay: 0.9, weekend: 0.7, sessions: 4, perSession: 6, gap: 60}
		for _, s := range g.sessions(a.rng, h) {
			a.converse(p, st, &chat{}, s, opener)
		}
	}}
}

var workFrames = []string{
	"rewrite this email so it sounds firm but friendly:\n\n%s", "summarise this for my manager in 3 bullets:\n\n%s",
	"draft a short announcement about %s for the team", "what are the risks of %s for a mid-sized company",
	"make a one-page briefing on %s", "turn these notes into action items:\n\n%s",
}

// officeActor is a team at one company: one network, one browser
// build, one organisation on the accounts file.
func (g *gen) officeActor(c country, size int) *actor {
	return &actor{play: func(a *actor) {
		net := newSubnet24(a.rng, pick(a.rng, orgPrefixes))
		egress := []string{net.host(a.rng.between(2, 250)), net.host(a.rng.between(2, 250))}
		ua := pick(a.rng, browserUAs[:4])
		org := "org_" + a.rng.hex(10)
		contract := a.rng.chance(0.6)
		workDomains := sample(a.rng, []int{3, 4, 5, 18, 19, 24, 25, 23, 16}, 4)
		for range size {
			p := a.newPersona(KindOffice, c)
			p.acc.info.Tier, p.acc.info.OrgID, p.acc.info.Contract, p.acc.info.KYC = "team", org, contract, contract
			p.acc.info.PaymentID = ""
			p.ua, p.ip, p.ipUntil, p.mobile = ua, pick(a.rng, egress), g.end, 0
			st := a.personStyle(p)
			opener := func() (string, string) {
				s := subjectOf(a.rng, pick(a.rng, workDomains))
				f := pick(a.rng, workFrames)
				if strings.HasSuffix(f, "\n\n%s") {
					return fmt.Sprintf(f, paragraph(a.rng, s, a.rng.between(3, 8))), s
				}
				return fmt.Sprintf(f, s), s
			}
			h := habit{tz: c.tz, profile: &officeDay, activeDay: 0.7, weekend: 0.02, sessions: 2, perSession: 3, gap: 120}
			for _, s := range g.sessions(a.rng, h) {
				a.converse(p, st, &chat{}, s, opener)
			}
		}
	}}
}

// mobileActor asks short things from a phone app, behind a carrier NAT.
func (g *gen) mobileActor(c country, carrier carrierNAT) *actor {
	return &actor{play: func(a *actor) {
		p := a.newPersona(KindMobile, c)
		p.carrier, p.mobile, p.ua, p.model = carrier, 1, pick(a.rng, mobileUAs), modelSmall
		st := a.personStyle(p)
		st.out = 150
		opener := func() (string, string) {
			if c.lang != "en" && a.rng.chance(0.7) {
				t := tongues[c.lang]
				s := pick(a.rng, t.subjects)
				return typos(a.rng, fill(pick(a.rng, t.frames), s), 0.02), s
			}
			if a.rng.chance(0.5) {
				return typos(a.rng, pick(a.rng, chores), 0.02), "this"
			}
			_, s := anySubject(a.rng)
			return typos(a.rng, fill(pick(a.rng, personFrames), s), 0.03), s
		}
		h := habit{tz: c.tz, profile: &dayPerson, activeDay: 0.35, weekend: 1.3, sessions: 1.3, perSession: 2, gap: 40}
		for _, s := range g.sessions(a.rng, h) {
			a.converse(p, st, &chat{lossy: true}, s, opener)
		}
	}}
}

var storyAsks = []string{
	"Continue the story from where we left off. Keep the tone dark and slow.", "Write the next chapter: %s becomes important to the plot.",
	"Rewrite the last scene from the antagonist's point of view.", "Draft a 2000-word short story in which a lighthouse keeper learns about %s.",
	"Give me a longer version of that, with more dialogue.", "Write a sci-fi opening scene built around %s.",
}

// writerActor writes fiction at night: long answers, often cut off at
// max_tokens, the draft replayed turn after turn.
func (g *gen) writerActor(c country) *actor {
	return &actor{play: func(a *actor) {
		p := a.newPersona(KindWriter, c)
		st := a.personStyle(p)
		st.maxTokens, st.out, st.noTemp, st.temp = pick(a.rng, []int{1024, 1500, 2048}), 1400, false, pick(a.rng, []float64{0.9, 1.0, 1.1})
		opener := func() (string, string) {
			_, s := anySubject(a.rng)
			f := pick(a.rng, storyAsks)
			if strings.Contains(f, "%s") {
				return fmt.Sprintf(f, s), s
			}
			return f, s
		}
		h := habit{tz: c.tz, profile: &nightOwl, activeDay: 0.55, weekend: 1.2, sessions: 1.2, perSession: 5, gap: 400}
		for _, s := range g.sessions(a.rng, h) {
			a.converse(p, st, &chat{}, s, opener)
		}
	}}
}
