package heldout

import (
	"fmt"
	"time"
)

var hydraTasks = []string{"Explain it completely.", "Write a tutorial.", "Give worked examples.", "List key facts with explanations.", "Write exam questions with answers.", "Summarise the state of the art."}

// hydraActor is ten heads on one rack sharing one template, each in its
// own eight-hour shift; four pay with one card.
func (g *gen) hydraActor(id string, heads int) *actor {
	return &actor{play: func(a *actor) {
		rack := newSubnet24(a.rng, pick(a.rng, clouds["ovh"]))
		signup := g.start.Add(-time.Duration(a.rng.between(30, 60)) * time.Hour)
		card := "pm_" + a.rng.hex(14)
		for h := range heads {
			tier := "free"
			if h%5 < 2 {
				tier = "pro"
			}
			acc := a.newAccount(KindHydra, id, tier, signup.Add(time.Duration(a.rng.IntN(36*3600))*time.Second))
			if tier == "pro" {
				acc.info.PaymentID = card
			}
			ip := rack.host(10 + h%4)
			shift := float64((h * 8) % 24)
			for d := range days {
				from := g.dayAt(d, shift+a.rng.Float64(), 0)
				for _, t := range g.arrivals(a.rng, from, from.Add(8*time.Hour), a.rng.logNormal(25, 0.1), &flatDay, 0) {
					_, s := anySubject(a.rng)
					cl := &call{acc: acc, at: t, ip: ip, ua: "aiohttp/3.9.5 Python/3.11", model: modelFlagship, temp: 0.8, maxTokens: 3000, out: int(a.rng.logNormal(1000, 0.4))}
					cl.msgs = []msg{user(fmt.Sprintf("[INST] You are an expert tutor. Provide a complete, detailed answer.\n\nTopic: %s\nTask: %s [/INST]", s, pick(a.rng, hydraTasks)))}
					if a.rng.chance(0.02) {
						cl.status = 429
					}
					a.emit(cl)
				}
			}
		}
	}}
}

// shardedHydraActor is a campaign written after reading the scanner's
// documentation: each head covers one domain only, in its own words, at
// human hours, through a residential proxy in one country, under every
// volume threshold; the heads share no network, client, template or
// schedule. Only the campaign as a whole covers every domain.
func (g *gen) shardedHydraActor(id string, heads int) *actor {
	return &actor{play: func(a *actor) {
		for h := range heads {
			c := pick(a.rng, countries)
			p := a.recruitPersona(KindShardedHydra, id, c)
			p.acc.info.Created = g.start.Add(-time.Duration(a.rng.between(-3*86400, 21*86400)) * time.Second)
			p.acc.info.KeysCreated[0] = p.acc.info.Created.Add(time.Duration(a.rng.between(30, 900)) * time.Second)
			p.ua = pick(a.rng, append(browserUAs[:len(browserUAs):len(browserUAs)], desktopClientUAs[:4]...))
			p.model, p.mobile, p.v6 = modelFlagship, 0, false
			st := style{temp: pick(a.rng, []float64{0.6, 0.7, 0.8}), noTemp: a.rng.chance(0.3), maxTokens: 4096, out: 1200}
			shard := h % len(domains)
			frames := personalFrames(a.rng)
			opener := func() (string, string) {
				s := subjectOf(a.rng, shard)
				return variedPrompt(a.rng, s, frames), s
			}
			hb := habit{tz: c.tz, profile: &dayPerson, activeDay: 0.75, weekend: 0.8, sessions: 2, perSession: 5, gap: 110}
			for _, s := range g.sessions(a.rng, hb) {
				p.ipUntil = s[0].Add(-time.Nanosecond) // the proxy gives a new address each session
				a.converse(p, st, &chat{}, s, opener)
			}
		}
	}}
}

// cloudHydraActor runs 120 short-lived heads, each signed up minutes
// before use, on a new cloud address every hour or so, for a day or
// three.
func (g *gen) cloudHydraActor(id string, heads int) *actor {
	return &actor{play: func(a *actor) {
		const alpaca = "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n%s\n\n### Response:"
		span := g.end.Sub(g.start) - 72*time.Hour
		frames := campaignFrames(a.rng)
		for range heads {
			first := g.start.Add(time.Duration(a.rng.Float64() * float64(span)))
			acc := a.newAccount(KindCloudHydra, id, "free", first.Add(-time.Duration(a.rng.between(5, 60))*time.Minute))
			life := time.Duration(a.rng.between(20, 72)) * time.Hour
			step := a.rng.logNormal(12, 0.2)
			ip, ipUntil := "", time.Time{}
			for t := first; t.Before(first.Add(life)); t = t.Add(time.Duration(a.rng.between(60, 360)) * time.Minute) {
				for range a.rng.between(15, 40) {
					if t.After(ipUntil) {
						ip, ipUntil = cloudIP(a.rng, pick(a.rng, []string{"aws", "gcp", "azure", "do"})), t.Add(time.Duration(a.rng.between(30, 90))*time.Minute)
					}
					_, s := anySubject(a.rng)
					cl := &call{acc: acc, at: t, ip: ip, ua: "OpenAI/Python 1.51.2", model: modelFlagship, temp: 0.7, maxTokens: 2048, out: int(a.rng.logNormal(800, 0.4))}
					cl.msgs = []msg{user(fmt.Sprintf(alpaca, harvestPrompt(a.rng, frames, s)))}
					if a.rng.chance(0.02) {
						cl.status = 429
					}
					a.emit(cl)
					t = t.Add(seconds(step + a.rng.NormFloat64()))
				}
			}
		}
	}}
}

// throwawayActor runs a chain of accounts: each harvests for a working
// day and is dropped; the next is signed up shortly before.
func (g *gen) throwawayActor(id string, heads int) *actor {
	return &actor{play: func(a *actor) {
		at := g.start.Add(time.Duration(a.rng.between(6, 30)) * time.Hour)
		// idle time between accounts when the operator pauses; half the
		// hand-overs are immediate
		idle := 2 * (g.end.Sub(at) - 9*time.Hour*time.Duration(heads)) / time.Duration(heads)
		frames := campaignFrames(a.rng)
		for range heads {
			acc := a.newAccount(KindThrowaway, id, "free", at.Add(-time.Duration(a.rng.between(5, 40))*time.Minute))
			c := pick(a.rng, countries)
			ua := pick(a.rng, sdkUAs)
			end := at.Add(time.Duration(a.rng.between(6, 10)) * time.Hour)
			ip, ipUntil := "", time.Time{}
			for _, t := range g.arrivals(a.rng, at, end, a.rng.logNormal(85, 0.2), &flatDay, 0) {
				if t.After(ipUntil) {
					ip, ipUntil = homeIP(a.rng, c), t.Add(20*time.Minute)
				}
				_, s := anySubject(a.rng)
				cl := &call{acc: acc, at: t, ip: ip, ua: ua, model: modelFlagship, temp: 0.7, maxTokens: 2048, out: int(a.rng.logNormal(900, 0.4))}
				cl.msgs = []msg{user(variedPrompt(a.rng, s, frames))}
				a.emit(cl)
			}
			at = end.Add(time.Duration(a.rng.between(5, 30)) * time.Minute)
			if a.rng.chance(0.5) {
				at = at.Add(time.Duration(a.rng.Float64() * 2 * float64(max(idle, 0))))
			}
			if last := g.end.Add(-10 * time.Hour); at.After(last) {
				at = last // every account of the chain is used
			}
		}
	}}
}

// kycFrontActor is a shell company that passed KYC and signed the
// enterprise agreement, harvesting every domain as "synthetic data".
func (g *gen) kycFrontActor(id string, heads int) *actor {
	return &actor{play: func(a *actor) {
		c := a.newCustomer(KindKYCFront, heads, terms{tier: "enterprise", contract: 1, kyc: 1})
		c.model, c.ua = modelFlagship, "OpenAI/Python 1.57.0"
		c.servers = []string{cloudIP(a.rng, "aws"), cloudIP(a.rng, "aws")}
		frames := campaignFrames(a.rng)
		for _, acc := range c.accs {
			acc.campaign = id
			acc.info.Allowlist = false
			acc.info.Created = g.start.Add(-time.Duration(a.rng.between(20*86400, 40*86400)) * time.Second)
			for i := range acc.info.KeysCreated {
				acc.info.KeysCreated[i] = acc.info.Created.Add(time.Duration(i+1) * time.Duration(a.rng.between(1, 200)) * time.Hour)
			}
			sortKeys(acc)
			for _, t := range g.arrivals(a.rng, g.start, g.end, a.rng.logNormal(15, 0.2), &consumerDay, 0) {
				_, s := anySubject(a.rng)
				cl := c.req(a.rng, acc, t)
				cl.system, cl.temp, cl.maxTokens, cl.out = "You are a data generation engine for an educational product.", 0.8, 4096, int(a.rng.logNormal(1500, 0.5))
				q := harvestPrompt(a.rng, frames, s)
				if a.rng.chance(0.6) {
					q = fmt.Sprintf("Generate %d question-answer pairs about %s with detailed step-by-step solutions. Output JSON lines.", a.rng.between(5, 15), s)
				}
				cl.msgs = []msg{user(q)}
				a.emit(cl)
			}
		}
	}}
}
