package traffic

import (
	"fmt"
	"strings"
	"time"
)

// Evaluation harness styles: how a lab's harness asks a suite.
const (
	evalCompletion = iota // /v1/completions, "Question: …\nAnswer:", greedy, a token or a line
	evalAnswerOnly        // chat, "Answer with the letter only." and the like
	evalStepByStep        // chat, "Let's think step by step."
)

// evalResearch is an evaluation lab: it runs three to five public suites
// in full against one model at a time (a comparison over the flagship,
// the default and the small model; a lab on the free tier has no
// flagship), in bursts from a worker pool, a few runs a week, at
// temperature 0 with a fixed harness wrapper and few-shot prefix. Every
// third lab is a university's on the free tier without contract; the
// others have one, and some are on the provider's allow-list.
func (s *simulator) evalResearch(name string, b int) {
	org := fmt.Sprintf("lab-%d", b)
	a := s.orgAccount(org, "enterprise", true, true, 60, 700)
	models := []string{FlagshipModel, DefaultModel, SmallModel}
	switch b % 3 {
	case 0:
		a.Allowlist = true
	case 2:
		a = s.orgAccount(org, "free", false, false, 30, 500)
		models = models[1:]
	}
	c := s.signUp(name, a, s.rng.IntN(2))
	c.ip = fmt.Sprintf("130.%d.%d.%d", 60+b%40, s.rng.IntN(250), 1+s.rng.IntN(250))
	c.ua = []string{"lm-eval-harness/0.4 (python-httpx/0.27)", "python-httpx/0.27", "python-requests/2.32.3"}[b%3]
	suites := evalSuiteNames()
	s.rng.Shuffle(len(suites), func(i, j int) { suites[i], suites[j] = suites[j], suites[i] })
	suites = suites[:3+s.rng.IntN(3)]
	style, shots := s.rng.IntN(3), []int{0, 3, 5}[s.rng.IntN(3)]
	offset := s.rng.IntN(10) - 3
	for r := 0; r < 1+s.days/3+s.rng.IntN(2); r++ {
		c.models = []string{models[r%len(models)]}
		ts := s.humanTime(offset)
		for _, suite := range suites {
			if s.rng.IntN(3) > 0 || suite == suites[0] {
				ts = s.evalRun(c, ts, suite, style, shots)
			}
		}
	}
}

// evalRun asks every item of a suite but the few-shot examples (the
// suite's last items), from a pool of workers, and returns when it ends.
func (s *simulator) evalRun(c *client, ts time.Time, suite string, style, shots int) time.Time {
	items := evalSuites()[suite]
	examples := items[len(items)-shots:]
	var prefix strings.Builder
	for _, ex := range examples {
		fmt.Fprintf(&prefix, "%s %s\n\n", evalWrap(ex), ex.answer)
	}
	for _, it := range items[:len(items)-shots] {
		ts = ts.Add(s.spread(400))
		prompt := prefix.String() + evalWrap(it)
		params := map[string]any{"temperature": 0.0}
		limit, want := s.evalBudget(it.format, style)
		params["max_tokens"] = limit
		switch style {
		case evalCompletion:
			params["stop"] = []string{"\n\n", "Question:"}
			s.emitPrompt(c, ts, prompt, params, want)
			continue
		case evalAnswerOnly:
			prompt += map[string]string{"mc": "\n\nAnswer with the letter only.", "math": "\n\nGive the final answer as a number only.",
				"short": "\n\nAnswer in a few words.", "code": "\n\nComplete the function. Reply with code only."}[it.format]
		case evalStepByStep:
			prompt += map[string]string{"mc": "\n\nLet's think step by step, then finish with \"The answer is (X)\".", "math": " Let's think step by step.",
				"short": " Let's think step by step.", "code": "\n\nComplete the function. Reply with code only."}[it.format]
		}
		s.emit(c, ts, chat(prompt), params, want)
	}
	return ts
}

// evalWrap is an item as the harness frames it (code stubs are sent as
// they are, to be completed).
func evalWrap(it evalItem) string {
	if it.format == "code" {
		return it.text
	}
	return "Question: " + it.text + "\nAnswer:"
}

// evalBudget is the max_tokens a harness sets for an item and the tokens
// the model would write: one letter, a number, a few words, a function
// body, or a worked solution.
func (s *simulator) evalBudget(format string, style int) (limit, want int) {
	switch {
	case format == "code":
		return 256, 30 + s.rng.IntN(300)
	case style == evalStepByStep:
		return 512, 90 + s.rng.IntN(470)
	case format == "mc" && style == evalCompletion:
		return 1, 1
	case format == "mc":
		return 5, 1
	}
	return 32, 2 + s.rng.IntN(12)
}
