package heldout

import (
	"fmt"
)

var traceTools = []string{
	"Tools: web_search(q), python(code), read_file(path), calculator(expr). Call a tool with <tool>{\"name\":...,\"args\":...}</tool>. Think before each call.",
	"You are an autonomous research agent with browse(url), search(query) and notebook(code). Reply with a thought, then one action.",
	"Available functions: lookup(entity), compute(expression), fetch(url). Use ReAct format: Thought / Action / Observation.",
}

// agentTraceActor harvests agent trajectories: it writes the earlier
// tool calls and observations itself and asks for the next step, so
// the assistant turns it sends are not answers it was served.
func (g *gen) agentTraceActor(id string, heads int) *actor {
	return &actor{play: func(a *actor) {
		for range heads {
			acc := a.newAccount(KindAgentTrace, id, pick(a.rng, []string{"free", "pro"}), g.daysBefore(a.rng, 2, 20))
			ua := pick(a.rng, sdkUAs)
			provider := pick(a.rng, cloudNames)
			for _, t := range g.arrivals(a.rng, g.start, g.end, a.rng.logNormal(6, 0.3), &flatDay, 0) {
				cl := &call{acc: acc, at: t, ip: cloudIP(a.rng, provider), ua: ua, model: modelFlagship, temp: 0.5, maxTokens: 2048,
					out: int(a.rng.logNormal(600, 0.4)), system: pick(a.rng, traceTools)}
				cl.msgs = a.fakeTrajectory()
				a.emit(cl)
			}
		}
	}}
}

// fakeTrajectory writes a task and a few steps of tool use that no
// model was asked for.
func (a *actor) fakeTrajectory() []msg {
	_, s := anySubject(a.rng)
	task := fmt.Sprintf(pick(a.rng, []string{"Research %s and write a well-sourced report.", "Build a small Python model of %s and explain the results.", "Find three recent developments in %s and compare them.", "Answer a hard question about %s, verifying every fact with tools."}), s)
	msgs := []msg{user(task)}
	for range a.rng.between(1, 5) {
		call := fmt.Sprintf("Thought: I need more information about %s.\nAction: search(%q)", s, s+" "+a.rng.hex(3))
		obs := "Observation: " + paragraph(a.rng, s, a.rng.between(1, 3))
		msgs = append(msgs, assistant(call), msg{Role: "tool", Content: obs})
	}
	if a.rng.chance(0.5) {
		msgs = append(msgs, user("Continue. Explain your reasoning before the next action."))
	}
	return msgs
}
