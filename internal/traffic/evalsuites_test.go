package traffic

import (
	"reflect"
	"strings"
	"testing"

	"forensics/logscan"
)

// TestEvalSuites: the public benchmarks are the same on every call, have
// a few hundred distinct items each, and are what the eval-research
// accounts send.
func TestEvalSuites(t *testing.T) {
	suites := EvalSuites()
	if !reflect.DeepEqual(suites, EvalSuites()) {
		t.Fatal("two calls gave two sets of suites")
	}
	if len(suites) != 6 {
		t.Errorf("%d suites, want 6", len(suites))
	}
	for name, items := range suites {
		distinct := map[string]bool{}
		for _, it := range items {
			distinct[it] = true
		}
		if len(items) < 200 || len(items) > 400 || len(distinct) < len(items)*95/100 {
			t.Errorf("suite %s: %d items, %d distinct", name, len(items), len(distinct))
		}
	}
	suites["arith-word"][0] = "changed"
	if EvalSuites()["arith-word"][0] == "changed" {
		t.Error("a caller's change reached the suites")
	}
	items := map[string]bool{}
	for _, its := range EvalSuites() {
		for _, it := range its {
			items[it] = true
		}
	}
	sim := simulateEveryKind(t)
	asked := 0
	for _, e := range sim.entries {
		if sim.kind[e.Account] != logscan.BenignEval {
			continue
		}
		text := ""
		if e.Prompt != nil {
			text = *e.Prompt
		} else {
			text = e.Messages[len(e.Messages)-1].Content
		}
		for it := range items {
			if strings.Contains(text, it) {
				asked++
				break
			}
		}
		if asked > 50 {
			return
		}
	}
	t.Errorf("%d eval-research requests ask a suite's item", asked)
}

// TestReasoningAsks: the polyglot campaign's phrasings are many, in many
// languages, and each language has its acknowledgement and question.
func TestReasoningAsks(t *testing.T) {
	langs := map[string]bool{}
	for _, p := range append(reasoningAsks, reasoningFormats...) {
		langs[p.lang] = true
		if acks[p.lang] == "" || explainIn[p.lang] == "" {
			t.Errorf("language %s has no acknowledgement or question", p.lang)
		}
	}
	if len(reasoningAsks) < 35 || len(langs) < 9 {
		t.Errorf("%d phrasings in %d languages", len(reasoningAsks), len(langs))
	}
}
