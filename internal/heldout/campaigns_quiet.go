package heldout

import (
	"fmt"
	"time"
)

// recruitPersona opens a campaign account that passes for a person.
func (a *actor) recruitPersona(kind, campaign string, c country) *persona {
	p := a.newPersona(kind, c)
	p.acc.campaign = campaign
	return p
}

// slowLowActor harvests every domain a few dozen requests a day per
// head, in sessions at human hours, from home lines.
func (g *gen) slowLowActor(id string, heads int) *actor {
	return &actor{play: func(a *actor) {
		frames := campaignFrames(a.rng)
		for range heads {
			c := pick(a.rng, countries)
			p := a.recruitPersona(KindSlowLow, id, c)
			p.ua, p.model, p.mobile = pick(a.rng, browserUAs), modelFlagship, 0
			st := style{temp: 0.7, maxTokens: 2048, out: 1000}
			order := a.rng.Perm(len(domains))
			i := 0
			opener := func() (string, string) {
				i++
				s := subjectOf(a.rng, order[i%len(order)])
				return variedPrompt(a.rng, s, frames), s
			}
			h := habit{tz: c.tz, profile: &dayPerson, activeDay: 0.95, weekend: 0.9, sessions: 5, perSession: 9, gap: 150}
			for _, s := range g.sessions(a.rng, h) {
				for _, t := range s {
					a.converse(p, st, &chat{}, []time.Time{t}, opener)
				}
			}
		}
	}}
}

// blendedActor is a person's account that harvests on the side: half
// its chats are the person's own, half are harvest with the reasoning
// asked for in the person's words.
func (g *gen) blendedActor(id string, heads int) *actor {
	return &actor{play: func(a *actor) {
		frames := campaignFrames(a.rng)
		for range heads {
			c := pick(a.rng, countries)
			p := a.recruitPersona(KindBlended, id, c)
			st := a.personStyle(p)
			interests := sample(a.rng, a.rng.Perm(len(domains)), 2)
			opener := func() (string, string) {
				_, s := anySubject(a.rng)
				if a.rng.chance(0.5) {
					own := subjectOf(a.rng, pick(a.rng, interests))
					return typos(a.rng, fill(pick(a.rng, personFrames), own), 0.01), own
				}
				q := variedPrompt(a.rng, s, frames)
				if a.rng.chance(0.5) {
					q += " " + pick(a.rng, reasoningAsks["en"])
				}
				return q, s
			}
			h := habit{tz: c.tz, profile: &dayPerson, activeDay: 0.9, weekend: 0.8, sessions: 4, perSession: 10, gap: 70}
			for _, s := range g.sessions(a.rng, h) {
				a.converse(p, st, &chat{}, s, opener)
			}
		}
	}}
}

// sleeperActor is a busy ordinary user for nine days, then harvests
// through one night.
func (g *gen) sleeperActor(id string, heads int) *actor {
	return &actor{play: func(a *actor) {
		frames := campaignFrames(a.rng)
		for k := range heads {
			c := pick(a.rng, countries[:8])
			p := a.recruitPersona(KindSleeper, id, c)
			st := a.personStyle(p)
			interests := sample(a.rng, a.rng.Perm(len(domains)), 4)
			opener := func() (string, string) {
				s := subjectOf(a.rng, pick(a.rng, interests))
				return typos(a.rng, fill(pick(a.rng, personFrames), s), 0.01), s
			}
			wake := 9 + k%2
			h := habit{tz: c.tz, profile: &dayPerson, activeDay: 0.9, weekend: 0.8, sessions: 3, perSession: 6, gap: 80, toDay: wake}
			for _, s := range g.sessions(a.rng, h) {
				a.converse(p, st, &chat{}, s, opener)
			}
			ip, ua := p.where(a.rng, g.dayAt(wake, 22, c.tz)), pick(a.rng, sdkUAs)
			if k%2 == 1 {
				ip = cloudIP(a.rng, "do") // the script runs on a rented server
			}
			for _, t := range burst(a.rng, g.dayAt(wake, 22, c.tz), a.rng.between(400, 650), 22) {
				_, s := anySubject(a.rng)
				cl := &call{acc: p.acc, at: t, ip: ip, ua: ua, model: modelFlagship, temp: 0.7, maxTokens: 4096, out: int(a.rng.logNormal(1000, 0.4))}
				cl.msgs = []msg{user(variedPrompt(a.rng, s, frames))}
				a.emit(cl)
			}
		}
	}}
}

// judgeActor harvests preference data: each prompt answered n = 4 at
// several temperatures, and pairwise verdicts with reasons.
func (g *gen) judgeActor(id string, heads int) *actor {
	return &actor{play: func(a *actor) {
		frames := campaignFrames(a.rng)
		for range heads {
			acc := a.newAccount(KindJudge, id, "pro", g.daysBefore(a.rng, 3, 40))
			acc.info.PaymentID = "pm_" + a.rng.hex(14)
			hosts := []string{cloudIP(a.rng, "aws"), cloudIP(a.rng, "aws")}
			for d := range days {
				if !a.rng.chance(0.75) {
					continue
				}
				t := g.dayAt(d, 20+a.rng.Float64()*6, 0)
				for range a.rng.between(40, 70) {
					t = a.judgeItem(acc, hosts, frames, t)
				}
			}
		}
	}}
}

// judgeItem samples one prompt at several temperatures, sometimes asks
// for a verdict between two answers, and returns the next start.
func (a *actor) judgeItem(acc *account, hosts, frames []string, t time.Time) time.Time {
	_, s := anySubject(a.rng)
	prompt := harvestPrompt(a.rng, frames, s)
	if a.rng.chance(0.4) {
		prompt = fill(pick(a.rng, personFrames), s)
	}
	for _, temp := range sample(a.rng, []float64{0.3, 0.6, 0.9, 1.2}, a.rng.between(2, 4)) {
		cl := &call{acc: acc, at: t, ip: pick(a.rng, hosts), ua: "OpenAI/Python 1.54.4", model: modelFlagship, temp: temp, n: 4, maxTokens: 1024, out: int(a.rng.logNormal(450, 0.4))}
		cl.msgs = []msg{user(prompt)}
		a.emit(cl)
		t = t.Add(seconds(a.rng.logNormal(6, 0.3)))
	}
	if a.rng.chance(0.3) {
		verdict := fmt.Sprintf("Instruction: %s\n\nResponse A:\n%s\n\nResponse B:\n%s\n\nWhich response is better? Explain your judgement, then output [[A]] or [[B]].",
			prompt, answerText(a.rng, s, 150), answerText(a.rng, s, 150))
		cl := &call{acc: acc, at: t, ip: pick(a.rng, hosts), ua: "OpenAI/Python 1.54.4", model: modelFlagship, temp: 0, maxTokens: 512, out: int(a.rng.logNormal(250, 0.3))}
		cl.msgs = []msg{user(verdict)}
		a.emit(cl)
		t = t.Add(seconds(a.rng.logNormal(6, 0.3)))
	}
	return t
}
