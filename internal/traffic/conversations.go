package traffic

import (
	"fmt"
	"time"

	"forensics/logline"
)

// apps are the consumer products whose backends chat on their users'
// behalf: the app, and its assistant's name.
var apps = [][2]string{{"Pocketful", "Penny"}, {"Trailmate", "Scout"}, {"Homebase", "Hazel"}, {"Studybuddy", "Max"}}

// chatBackend is a consumer app's backend: one product system prompt,
// its end users' multi-turn chats on every topic (each sent with the
// earlier turns and the answers the app was served, sometimes twice when
// a user asks for another answer), at the users' hours in several time
// zones, so around the clock. Every other app is a start-up on the
// self-serve plan without KYC.
func (s *simulator) chatBackend(name string, b int) {
	org := fmt.Sprintf("app-%d", b)
	a := s.orgAccount(org, "enterprise", true, true, 60, 500)
	if b%2 == 1 {
		a = s.orgAccount(org, "pro", false, false, 20, 200)
	}
	c := s.signUp(name, a, 1+s.rng.IntN(2))
	c.ua, c.models = "node-fetch/3.3", []string{DefaultModel, DefaultModel, DefaultModel, SmallModel}
	egress := []string{fmt.Sprintf("%s.%d.%d", cloudNets[(b+2)%len(cloudNets)], (b*53)%256, 20+s.rng.IntN(200)),
		fmt.Sprintf("%s.%d.%d", cloudNets[(b+2)%len(cloudNets)], (b*53+1)%256, 20+s.rng.IntN(200))}
	app := apps[b%len(apps)]
	system := fmt.Sprintf("You are %s, the assistant inside the %s app. Be friendly and brief, answer in the user's language, "+
		"and never claim to be human. If a question needs a professional, say so kindly.", app[1], app[0])
	zones := []int{-8, -5, -3, 0, 1, 3, 5, 8, 9}
	n := len(s.topics)
	for k := 0; k < s.days*(40+s.rng.IntN(60)); k++ {
		c.ip = egress[s.rng.IntN(len(egress))]
		favs := []int{s.rng.IntN(n), s.rng.IntN(n)}[:1+s.rng.IntN(2)]
		s.backendChat(c, s.humanTime(zones[s.rng.IntN(len(zones))]), system, favs, fmt.Sprintf("u%07d", s.rng.IntN(1e7)))
	}
}

// backendChat is one end user's conversation, relayed by the backend.
func (s *simulator) backendChat(c *client, ts time.Time, system string, favs []int, user string) {
	msgs := []logline.Message{{Role: "system", Content: system}}
	turns := 1
	for turns < 8 && s.rng.IntN(100) < 55 {
		turns++
	}
	for t := 0; t < turns; t++ {
		topic := favs[s.rng.IntN(len(favs))]
		msgs = append(msgs, logline.Message{Role: "user", Content: s.benignPrompt([]int{topic})})
		for try := 0; ; try++ {
			params := map[string]any{"temperature": 0.8, "max_tokens": 300, "user": user}
			answer := s.reply(c, ts, append([]logline.Message{}, msgs...), params, s.answerText(topic, 40+s.rng.IntN(300), 300))
			ts = ts.Add(time.Duration(3+s.rng.IntN(12)) * time.Second)
			if try == 1 || s.rng.IntN(20) != 0 {
				msgs = append(msgs, logline.Message{Role: "assistant", Content: answer})
				break
			}
		}
		ts = ts.Add(time.Duration(15+s.rng.ExpFloat64()*120) * time.Second)
	}
}

// agentSystem is an operations agent's system prompt: its tools, called
// by replying with JSON (the gateway serves no structured tool calls).
const agentSystem = `You are the operations agent of %s. To use a tool, reply with one JSON object {"tool": NAME, "args": {...}} and nothing else. When the task is done, reply with "FINAL:" and a short summary for the ticket.
Tools:
- search_docs(query): search the knowledge base; returns passages
- get_order(order_id): the order's status and items
- update_ticket(ticket_id, status, note): change a ticket
- send_email(to, subject, body): email the customer`

// agentWorkflow is a company's tool-using agent: every 30 to 60 minutes
// (the company's schedule) it takes a ticket and works it in two to five
// tool calls, each request sending the conversation so far: the answers
// it was served (tool calls) and the tools' results.
func (s *simulator) agentWorkflow(name string, b int) {
	c := s.companyClient(name, b)
	c.ua, c.models = "python-httpx/0.27", []string{FlagshipModel}
	system := fmt.Sprintf(agentSystem, companies[b%len(companies)])
	topics := s.companyTopics()
	period := time.Duration(30+15*(b%3)) * time.Minute
	end := s.start.Add(time.Duration(s.days) * 24 * time.Hour)
	for ts := s.start.Add(time.Duration(s.rng.Int64N(int64(period)))); ts.Before(end); ts = ts.Add(period + time.Duration(s.rng.IntN(120)-60)*time.Second) {
		s.agentTask(c, ts, system, topics[s.rng.IntN(len(topics))])
	}
}

// agentTask works one ticket.
func (s *simulator) agentTask(c *client, ts time.Time, system string, topic int) {
	ticket := 10000 + s.rng.IntN(90000)
	msgs := []logline.Message{{Role: "system", Content: system}, {Role: "user", Content: fmt.Sprintf(
		"Task: customer ticket #%d about %s. The customer writes: %s Resolve it and update the ticket.", ticket, s.keyword(topic), s.passage(topic, 20+s.rng.IntN(30)))}}
	params := func() map[string]any { return map[string]any{"temperature": 0.0, "max_tokens": 1024} }
	for k := 0; k < 2+s.rng.IntN(4); k++ {
		call, result := s.toolStep(k, topic, ticket)
		answer := s.reply(c, ts, append([]logline.Message{}, msgs...), params(), call)
		ts = ts.Add(time.Duration(2+s.rng.IntN(7)) * time.Second)
		msgs = append(msgs, logline.Message{Role: "assistant", Content: answer}, logline.Message{Role: "tool", Content: result})
	}
	s.reply(c, ts, msgs, params(), "FINAL: "+s.answerText(topic, 30+s.rng.IntN(80), 1024))
}

// toolStep is the k-th tool call of a ticket, as the model wrote it, and
// the tool's result.
func (s *simulator) toolStep(k, topic, ticket int) (call, result string) {
	switch {
	case k == 0:
		return fmt.Sprintf(`{"tool": "search_docs", "args": {"query": "%s %s"}}`, s.keyword(topic), s.keyword(topic)),
			fmt.Sprintf(`{"passages": [%q, %q]}`, s.passage(topic, 25+s.rng.IntN(30)), s.passage(topic, 25+s.rng.IntN(30)))
	case k%3 == 1:
		order := fmt.Sprintf("A-%06d", s.rng.IntN(1e6))
		return fmt.Sprintf(`{"tool": "get_order", "args": {"order_id": "%s"}}`, order),
			fmt.Sprintf(`{"order_id": "%s", "status": "%s", "items": %d}`, order, []string{"shipped", "delayed", "delivered", "refunded"}[s.rng.IntN(4)], 1+s.rng.IntN(5))
	case k%3 == 2:
		return fmt.Sprintf(`{"tool": "send_email", "args": {"to": "customer", "subject": "Your ticket #%d", "body": %q}}`, ticket, s.answerText(topic, 40, 60)),
			`{"sent": true}`
	}
	return fmt.Sprintf(`{"tool": "update_ticket", "args": {"ticket_id": %d, "status": "pending", "note": "checked %s"}}`, ticket, s.keyword(topic)), `{"ok": true}`
}
