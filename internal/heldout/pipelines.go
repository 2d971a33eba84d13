package heldout

import (
	"fmt"
	"strings"
	"time"
)

// evalActor is a research lab running public benchmarks against every
// model: each run sends a whole suite in a burst.
func (g *gen) evalActor() *actor {
	return &actor{play: func(a *actor) {
		c := a.newCustomer(KindEvalLab, a.rng.between(1, 2), terms{tier: pick(a.rng, []string{"free", "pro", "research"}), contract: 0.3, kyc: 0.2, allowlist: 0.4})
		if a.rng.chance(0.5) { // a university cluster rather than a cloud
			net := newSubnet24(a.rng, pick(a.rng, orgPrefixes))
			c.servers = []string{net.host(a.rng.between(10, 200)), net.host(a.rng.between(10, 200))}
		}
		suites := sample(a.rng, []string{"mc", "math", "code", "truth"}, a.rng.between(2, 4))
		tz := pick(a.rng, []int{-8, -5, 0, 1, 8, 9})
		for d := range days {
			if !a.rng.chance(0.4) {
				continue
			}
			at := g.dayAt(d, 9+a.rng.Float64()*10, tz)
			for range a.rng.between(1, 3) {
				acc := pick(a.rng, c.accs)
				model := pick(a.rng, []string{modelSmall, modelMid, modelFlagship, modelCoder})
				at = a.evalRun(c, acc, pick(a.rng, suites), model, at)
				at = at.Add(time.Duration(a.rng.between(5, 90)) * time.Minute)
			}
		}
	}}
}

// evalRun sends one suite against one model and returns when it ended.
func (a *actor) evalRun(c *customer, acc *account, suite, model string, at time.Time) time.Time {
	shots := a.rng.between(0, 5)
	cot := a.rng.chance(0.7)
	frac := 0.5 + a.rng.Float64()/2
	gap := a.rng.logNormal(0.4, 0.5)
	for _, it := range a.gen.bench {
		if it.suite != suite || !a.rng.chance(frac) {
			continue
		}
		c0 := c.req(a.rng, acc, at)
		c0.model, c0.temp = model, 0
		switch suite {
		case "mc":
			c0.endpoint, c0.prompt, c0.maxTokens, c0.out, c0.logprobs = textEndpoint, a.fewShot(it.prompt, shots), 1, 1, 5
		case "math":
			q := it.prompt + "\nLet's think step by step."
			if !cot {
				q = "Question: " + it.prompt + "\nAnswer:"
			}
			c0.msgs, c0.maxTokens, c0.out = []msg{user(q)}, 512, int(a.rng.logNormal(170, 0.4))
		case "code":
			c0.endpoint, c0.prompt, c0.maxTokens, c0.out = textEndpoint, it.prompt, 512, int(a.rng.logNormal(90, 0.6))
			if cot { // pass@10 sampling
				c0.n, c0.temp = 10, 0.8
			}
		default:
			c0.msgs, c0.maxTokens, c0.out = []msg{user(it.prompt)}, 64, int(a.rng.logNormal(30, 0.5))
		}
		c0.extra = map[string]any{"seed": 1234}
		a.emit(c0)
		at = at.Add(seconds(a.rng.ExpFloat64() * gap))
	}
	return at
}

// fewShot prefixes k other items of the suite, as harnesses do.
func (a *actor) fewShot(item string, k int) string {
	if k == 0 {
		return item
	}
	var b strings.Builder
	for range k {
		ex := pick(a.rng, a.gen.bench[:len(domains)*24]).prompt
		b.WriteString(ex)
		b.WriteString(" " + pick(a.rng, []string{"A", "B", "C", "D"}) + "\n\n")
	}
	b.WriteString(item)
	return b.String()
}

var ragSystems = []string{
	"You answer questions for employees using only the provided context. If the answer is not in the context, say you don't know. Cite passages as [n].",
	"You are a support assistant for our product documentation. Use the retrieved passages below. Be brief.",
	"Answer strictly from the sources. Quote the source id for each claim. Do not speculate.",
}

// ragActor answers questions over a company's documents: long prompts of
// retrieved passages, short answers, office hours.
func (g *gen) ragActor() *actor {
	return &actor{play: func(a *actor) {
		c := a.newCustomer(KindRAG, a.rng.between(1, 3), terms{tier: pick(a.rng, []string{"pro", "enterprise"}), contract: 0.5, kyc: 0.3, allowlist: 0.1})
		system := pick(a.rng, ragSystems)
		docDomains := sample(a.rng, a.rng.Perm(len(domains)), a.rng.between(3, 9))
		tz := pick(a.rng, []int{-8, -5, 0, 1, 2, 5, 9})
		for _, t := range g.arrivals(a.rng, g.start, g.end, a.rng.logNormal(8, 0.4), &officeDay, tz) {
			d := pick(a.rng, docDomains)
			var ctx strings.Builder
			for i := range a.rng.between(3, 6) {
				fmt.Fprintf(&ctx, "[%d] %s\n", i+1, paragraph(a.rng, subjectOf(a.rng, d), a.rng.between(2, 4)))
			}
			q := typos(a.rng, fill(pick(a.rng, personFrames), subjectOf(a.rng, d)), 0.01)
			cl := c.req(a.rng, c.pickAccount(a.rng), t)
			cl.system, cl.temp, cl.maxTokens, cl.out = system, 0.1, 512, int(a.rng.logNormal(110, 0.5))
			cl.msgs = []msg{user("Context:\n" + ctx.String() + "\nQuestion: " + q)}
			a.emit(cl)
		}
	}}
}

var classifySystems = []string{
	"Classify the user's message. Reply with exactly one label: SAFE, HARASSMENT, HATE, SELF_HARM, SEXUAL, SPAM.",
	"You are a support ticket router. Output only the queue name: billing, technical, account, shipping, other.",
	"Return the sentiment of the review as one word: positive, negative, mixed or neutral.",
	"Extract the language of the text as an ISO 639-1 code. Output the code only.",
}

// classifyActor labels user content around the clock, and backfills old
// content in one long burst.
func (g *gen) classifyActor() *actor {
	return &actor{play: func(a *actor) {
		c := a.newCustomer(KindClassify, a.rng.between(1, 3), terms{tier: pick(a.rng, []string{"pro", "enterprise", "scale"}), contract: 0.5, kyc: 0.3, allowlist: 0.15})
		c.model = pick(a.rng, []string{modelSmall, modelSmall, modelMid})
		system := pick(a.rng, classifySystems)
		times := g.arrivals(a.rng, g.start, g.end, a.rng.logNormal(10, 0.4), &consumerDay, pick(a.rng, []int{-5, 0, 1, 8}))
		times = append(times, burst(a.rng, g.dayAt(a.rng.between(2, 12), 1, 0), a.rng.between(800, 2000), 0.6)...)
		for _, t := range times {
			cl := c.req(a.rng, c.pickAccount(a.rng), t)
			cl.system, cl.temp, cl.maxTokens, cl.out = system, 0, 8, a.rng.between(1, 3)
			cl.msgs = []msg{user(a.userText())}
			a.emit(cl)
		}
	}}
}

// userText is something an end user wrote: a comment, a review, a
// ticket, in any language.
func (a *actor) userText() string {
	switch x := a.rng.Float64(); {
	case x < 0.25:
		l := pick(a.rng, foreignLangs)
		t := tongues[l]
		return fill(pick(a.rng, t.frames), pick(a.rng, t.subjects))
	case x < 0.5:
		return typos(a.rng, pick(a.rng, chores), 0.02)
	case x < 0.75:
		_, s := anySubject(a.rng)
		return typos(a.rng, fill(pick(a.rng, personFrames), s), 0.02)
	default:
		_, s := anySubject(a.rng)
		return paragraph(a.rng, s, a.rng.between(1, 3))
	}
}

var targetLangs = []string{"German", "French", "Japanese", "Brazilian Portuguese", "Spanish (Mexico)", "Korean", "Simplified Chinese", "Italian", "Polish", "Turkish", "Arabic", "Dutch"}

// translateActor localises a product: strings and documents in nightly
// pushes and a daytime trickle; answers as long as the input.
func (g *gen) translateActor() *actor {
	return &actor{play: func(a *actor) {
		c := a.newCustomer(KindTranslate, 1, terms{tier: pick(a.rng, []string{"pro", "enterprise"}), contract: 0.4, kyc: 0.3, allowlist: 0.1})
		langs := sample(a.rng, targetLangs, a.rng.between(2, 9))
		times := g.arrivals(a.rng, g.start, g.end, a.rng.logNormal(3, 0.5), &officeDay, 1)
		for d := range days {
			if a.rng.chance(0.5) {
				times = append(times, burst(a.rng, g.dayAt(d, 2+a.rng.Float64()*2, 0), a.rng.between(40, 200), 1.5)...)
			}
		}
		for _, t := range times {
			_, s := anySubject(a.rng)
			text := paragraph(a.rng, s, a.rng.between(1, 6))
			if a.rng.chance(0.4) {
				text = fmt.Sprintf("%q", pick(a.rng, []string{"Save changes", "Your order has shipped", "Hi {name}, your trial ends in {days} days", "Delete account?", "Payment failed. Try another card."}))
			}
			cl := c.req(a.rng, c.accs[0], t)
			cl.system = "Translate the user's text from English to " + pick(a.rng, langs) + ". Keep placeholders like {name} unchanged. Output the translation only."
			cl.temp, cl.maxTokens, cl.out = 0.2, 2048, int(float64(tokens(text))*a.rng.logNormal(1.3, 0.15))
			cl.msgs = []msg{user(text)}
			a.emit(cl)
		}
	}}
}

// summariseActor runs summary jobs on a timer: every quarter hour, and
// a nightly batch.
func (g *gen) summariseActor() *actor {
	return &actor{play: func(a *actor) {
		c := a.newCustomer(KindSummarise, a.rng.between(1, 3), terms{tier: pick(a.rng, []string{"free", "pro", "enterprise"}), contract: 0.3, kyc: 0.2, allowlist: 0.05})
		c.model = pick(a.rng, []string{modelSmall, modelMid})
		what := pick(a.rng, []string{"support ticket", "meeting transcript", "news article", "customer call note", "incident report"})
		frame := fmt.Sprintf("Summarise the following %s in %d sentences for a dashboard:\n\n", what, a.rng.between(2, 4))
		period := time.Duration(pick(a.rng, []int{15, 30, 60})) * time.Minute
		var times []time.Time
		for t := g.start.Add(time.Duration(a.rng.IntN(600)) * time.Second); t.Before(g.end); t = t.Add(period) {
			times = append(times, burst(a.rng, t.Add(seconds(a.rng.Float64()*3)), a.rng.between(0, 3), 2)...)
		}
		for d := range days {
			times = append(times, burst(a.rng, g.dayAt(d, 3, 0), a.rng.between(30, 120), 1)...)
		}
		for _, t := range times {
			_, s := anySubject(a.rng)
			cl := c.req(a.rng, c.pickAccount(a.rng), t)
			cl.temp, cl.maxTokens, cl.out = 0.3, 200, int(a.rng.logNormal(80, 0.3))
			cl.msgs = []msg{user(frame + paragraph(a.rng, s, a.rng.between(4, 14)))}
			a.emit(cl)
		}
	}}
}
