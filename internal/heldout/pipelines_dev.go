package heldout

import (
	"fmt"
	"time"
)

var products = []string{"a smart thermostat", "a budgeting app", "an e-bike", "a veterinary clinic's booking system", "a tax filing service", "a meal-kit subscription", "a home insurance policy", "a language school"}

// synthDataActor makes fine-tuning data for its own small support
// model: a few runs, one product, a few hundred long answers each.
func (g *gen) synthDataActor() *actor {
	return &actor{play: func(a *actor) {
		c := a.newCustomer(KindSynthData, 1, terms{tier: "pro", contract: 0.3, kyc: 0.3, allowlist: 0.05})
		c.model = pick(a.rng, []string{modelFlagship, modelMid})
		product := pick(a.rng, products)
		topics := []string{"billing questions", "setup problems", "cancellations", "feature requests", "complaints about delays", "account security", "returns", "pricing"}
		for d := range days {
			if !a.rng.chance(0.3) {
				continue
			}
			for _, t := range burst(a.rng, g.dayAt(d, 10+a.rng.Float64()*6, 1), a.rng.between(80, 300), 4) {
				cl := c.req(a.rng, c.accs[0], t)
				cl.temp, cl.maxTokens, cl.out = 1.0, 2048, int(a.rng.logNormal(700, 0.4))
				cl.msgs = []msg{user(fmt.Sprintf("Generate %d realistic customer support conversations for %s about %s. Vary tone and customer background. Output JSON lines with fields customer, agent.",
					a.rng.between(3, 8), product, pick(a.rng, topics)))}
				a.emit(cl)
			}
		}
	}}
}

var appPrompts = []string{
	"Write a product description for: %s. Max 80 words, upbeat.",
	"Extract the dates and amounts from this email as JSON: %s",
	"Suggest three subject lines for a newsletter about %s.",
	"Rewrite for a 10-year-old: %s",
	"You are a recipe bot. Give a recipe using: %s",
}

// promptTuningActor is a developer iterating on one prompt: the same
// few inputs again and again at several temperatures, now and then n > 1.
func (g *gen) promptTuningActor(c country) *actor {
	return &actor{play: func(a *actor) {
		p := a.newPersona(KindPromptTuning, c)
		p.ua = pick(a.rng, sdkUAs)
		prompt := pick(a.rng, appPrompts)
		inputs := make([]string, a.rng.between(2, 6))
		for i := range inputs {
			_, s := anySubject(a.rng)
			inputs[i] = s
		}
		h := habit{tz: c.tz, profile: &officeDay, activeDay: 0.3, weekend: 0.1, sessions: 1.5, perSession: 12, gap: 45}
		for _, s := range g.sessions(a.rng, h) {
			scripted := a.rng.chance(0.3) // a loop over temperatures, not a person clicking
			for i, t := range s {
				if scripted {
					t = s[0].Add(time.Duration(i) * seconds(a.rng.logNormal(3, 0.3)))
				}
				cl := &call{acc: p.acc, at: t, ip: p.where(a.rng, t), ua: p.ua, model: p.model, maxTokens: 400,
					temp: pick(a.rng, []float64{0, 0.3, 0.7, 1.0}), out: int(a.rng.logNormal(120, 0.5))}
				if a.rng.chance(0.15) {
					cl.n = 3
				}
				cl.msgs = []msg{user(fmt.Sprintf(prompt, pick(a.rng, inputs)))}
				a.emit(cl)
			}
		}
	}}
}

// codingTool is an IDE extension: its client string and the system
// prompt every one of its users sends.
type codingTool struct{ ua, system string }

var codingTools = []codingTool{
	{"continue-vscode/0.8.66", "You are an expert programmer. Answer with code first, then a brief explanation. Use the user's language and framework."},
	{"aider/0.67.0", "Act as an expert software developer. Always use best practices. Describe each change with a SEARCH/REPLACE block."},
	{"Zed/0.165.4", "You are a helpful coding assistant embedded in the Zed editor. Be brief."},
	{"cline/3.0.4", "You are Cline, a highly skilled software engineer. You have tools to read and write files; think about the task, then act."},
}

// codingActor is a developer with an IDE assistant: inline completions
// every few seconds while typing, and chat about code.
func (g *gen) codingActor(c country) *actor {
	return &actor{play: func(a *actor) {
		p := a.newPersona(KindCoding, c)
		tool := pick(a.rng, codingTools)
		p.ua, p.model, p.mobile = tool.ua, modelCoder, 0
		h := habit{tz: c.tz, profile: &officeDay, activeDay: 0.75, weekend: 0.15, sessions: 2.2, perSession: 20, gap: 25}
		code := a.gen.bench[len(a.gen.bench)-len(truthQuestions)-len(codeFuncs)*8:]
		for _, s := range g.sessions(a.rng, h) {
			for _, t := range s {
				snippet := pick(a.rng, code).prompt + "    " + pick(a.rng, []string{"result = []", "for i, x in enumerate(", "if not ", "seen = set()", "return "})
				cl := &call{acc: p.acc, at: t, ip: p.where(a.rng, t), ua: p.ua, model: p.model}
				if a.rng.chance(0.7) {
					cl.endpoint, cl.prompt, cl.temp, cl.maxTokens, cl.out = textEndpoint, snippet, 0.2, 96, int(a.rng.logNormal(25, 0.7))
				} else {
					_, s := anySubject(a.rng)
					q := pick(a.rng, []string{"why does this fail on empty input?", "make this faster", "add type hints and tests", "explain this code", "refactor this, it is ugly"})
					cl.system, cl.temp, cl.maxTokens, cl.out = tool.system, 0.3, 2048, int(a.rng.logNormal(350, 0.6))
					cl.msgs = []msg{user("```python\n" + snippet + "\n```\n" + q + " (context: " + s + ")")}
				}
				a.emit(cl)
			}
		}
	}}
}
