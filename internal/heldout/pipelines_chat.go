package heldout

import (
	"fmt"
	"strings"
	"time"
)

var appSystems = []string{
	"You are Pip, the friendly study buddy inside the Brightpath app. Keep answers encouraging and age-appropriate.",
	"You are the assistant in Notely, a note-taking app. Help users write, plan and think. Be concise and warm.",
	"You are a travel concierge for Wanderly. Suggest itineraries and answer travel questions. Never book anything yourself.",
	"You are Kai, a wellness companion. Be supportive, do not give medical diagnoses, suggest professional help when appropriate.",
	"You are the help assistant of a language-learning app. Answer in the user's language and correct their mistakes gently.",
	"You are a general-purpose assistant in a mobile keyboard app. Answers must fit on a phone screen.",
}

// chatBackendActor is a consumer app's server: its end users' chats, in
// every language and on every topic, around the clock, each turn
// replaying the conversation so far.
func (g *gen) chatBackendActor() *actor {
	return &actor{play: func(a *actor) {
		c := a.newCustomer(KindChatBackend, 1, terms{tier: "enterprise", contract: 0.7, kyc: 0.5, allowlist: 0.2})
		c.model = pick(a.rng, []string{modelMid, modelFlagship, modelSmall})
		c.ua = pick(a.rng, []string{"OpenAI/JS 4.73.1", "Go-http-client/2.0", "OpenAI/Python 1.57.0", "okhttp/4.12.0"})
		system := pick(a.rng, appSystems)
		lossy := a.rng.chance(0.3)
		tz := pick(a.rng, []int{-5, 0, 1, 3, 8})
		for _, t := range g.arrivals(a.rng, g.start, g.end, a.rng.logNormal(12.5, 0.35), &consumerDay, tz) {
			ch := &chat{lossy: lossy}
			endUser := "u_" + a.rng.hex(8)
			subject := "this"
			for turn := range 1 + a.rng.poisson(1.6) {
				text := a.userText()
				if turn > 0 {
					text = typos(a.rng, fill(pick(a.rng, followUps), subject), 0.02)
				}
				cl := c.req(a.rng, c.accs[0], t)
				cl.system, cl.temp, cl.maxTokens, cl.out = system, 0.7, 1024, int(a.rng.logNormal(170, 0.6))
				cl.extra = map[string]any{"user": endUser, "stream": true}
				a.turn(cl, ch, text, subject)
				t = t.Add(seconds(a.rng.logNormal(50, 0.8)))
			}
		}
	}}
}

const agentTools = `You are an operations agent. You can call these tools by replying with one JSON object {"tool": name, "args": {...}}; reply {"final": text} when done.
tools:
- search_tickets(query: string, status?: "open"|"closed")
- get_invoice(id: string)
- http_get(url: string)
- run_sql(query: string)  // read-only replica
- send_email(to: string, subject: string, body: string)`

var agentTasks = []string{
	"Find all open tickets mentioning refunds from last week and draft a summary for the support lead.",
	"Invoice INV-%d looks duplicated. Check it and tell me if we charged the customer twice.",
	"How many signups did we get yesterday compared with the same day last week?",
	"Check whether the status page at https://status.example.com reports an outage and email ops if it does.",
	"Customer %d says their export is stuck. Look at their tickets and suggest a reply.",
	"List the five largest unpaid invoices and who owns each account.",
}

// agentActor runs an operations agent: each task a loop of tool calls,
// each request replaying the agent's earlier answers exactly.
func (g *gen) agentActor() *actor {
	return &actor{play: func(a *actor) {
		c := a.newCustomer(KindAgent, 1, terms{tier: pick(a.rng, []string{"pro", "enterprise"}), contract: 0.4, kyc: 0.3, allowlist: 0.1})
		c.model = pick(a.rng, []string{modelFlagship, modelMid})
		c.ua = pick(a.rng, []string{"OpenAI/Python 1.57.0", "OpenAI/Python 1.54.4", "python-httpx/0.27.2"})
		tz := pick(a.rng, []int{-8, -5, 0, 1, 2})
		for _, t := range g.arrivals(a.rng, g.start, g.end, a.rng.logNormal(1.1, 0.4), &officeDay, tz) {
			task := pick(a.rng, agentTasks)
			if strings.Contains(task, "%d") {
				task = fmt.Sprintf(task, a.rng.between(10000, 99999))
			}
			a.agentTask(c, t, task)
		}
	}}
}

// agentTask plays one task: tool call, tool result, … final answer.
func (a *actor) agentTask(c *customer, t time.Time, task string) {
	msgs := []msg{user(task)}
	steps := a.rng.between(2, 8)
	for step := range steps {
		ans := fmt.Sprintf(`{"tool": %q, "args": {"query": "%s"}}`, pick(a.rng, []string{"search_tickets", "get_invoice", "run_sql", "http_get"}), a.rng.hex(6))
		if step == steps-1 {
			_, s := anySubject(a.rng)
			ans = fmt.Sprintf(`{"final": %q}`, answerText(a.rng, s, a.rng.between(40, 200)))
		}
		cl := c.req(a.rng, c.accs[0], t)
		cl.system, cl.temp, cl.maxTokens, cl.out = agentTools, 0, 1024, tokens(ans)
		cl.msgs, cl.answer = msgs, ans
		if a.emit(cl) != 200 {
			return
		}
		result := fmt.Sprintf(`{"rows": %d, "sample": %q}`, a.rng.between(0, 40), paragraph(a.rng, "the account", 1))
		msgs = append(msgs[:len(msgs):len(msgs)], assistant(ans), msg{Role: "tool", Content: result})
		t = t.Add(seconds(a.rng.logNormal(2.5, 0.6)))
	}
}
