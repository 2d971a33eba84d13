package traffic

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
)

// An evalItem is one benchmark question and the answer a harness scores
// against (and shows in few-shot examples).
type evalItem struct {
	text, answer string
	format       string // how it is answered: "mc", "math", "code", "short"
}

// EvalSuites returns the simulator's public benchmarks: suite name →
// item texts, the same on every call and in every build. They stand for
// the public evaluation sets that legitimate researchers run and that
// anyone can download, so that a test can fingerprint them: written for
// this project from the tables below, not copied from any benchmark.
// Suites: grade-school math word problems, multiple-choice science,
// history and geography, and general questions on every topic of the
// taxonomy, code-completion stubs, reading comprehension.
func EvalSuites() map[string][]string {
	out := map[string][]string{}
	for name, items := range evalSuites() {
		texts := make([]string, len(items))
		for i, it := range items {
			texts[i] = it.text
		}
		out[name] = texts
	}
	return out
}

// evalSuites builds the suites once, each from its own seeded generator.
var evalSuites = sync.OnceValue(func() map[string][]evalItem {
	suites := map[string][]evalItem{
		"arith-word":   mathSuite(rand.New(rand.NewPCG(19, 1))),
		"science-mc":   scienceSuite(rand.New(rand.NewPCG(19, 2))),
		"history-mc":   historySuite(rand.New(rand.NewPCG(19, 3))),
		"code-stubs":   codeSuite(),
		"reading-comp": readingSuite(rand.New(rand.NewPCG(19, 5))),
	}
	// The taxonomy is embedded in the binary: it loads, or every
	// simulation fails first.
	if topics, err := loadTopics(); err == nil {
		suites["topics-mc"] = topicsSuite(rand.New(rand.NewPCG(19, 6)), topics)
	}
	return suites
})

// evalSuiteNames lists the suites in a fixed order.
func evalSuiteNames() []string { return slices.Sorted(maps.Keys(evalSuites())) }

var letters = []string{"A", "B", "C", "D"}

// multipleChoice is a question with the right option and three wrong ones
// drawn from pool, in a shuffled order.
func multipleChoice(rng *rand.Rand, stem, right string, pool []string) evalItem {
	opts := []string{right}
	for len(opts) < 4 {
		o := pool[rng.IntN(len(pool))]
		if !slices.Contains(opts, o) {
			opts = append(opts, o)
		}
	}
	rng.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
	text := stem
	answer := ""
	for i, o := range opts {
		text += fmt.Sprintf("\n%s. %s", letters[i], o)
		if o == right {
			answer = letters[i]
		}
	}
	return evalItem{text: text, answer: answer, format: "mc"}
}

// pairsSuite asks each pair both ways, with two stems each way.
func pairsSuite(rng *rand.Rand, pairs [][2]string, forward, backward []string) []evalItem {
	var keys, values []string
	for _, p := range pairs {
		keys, values = append(keys, p[0]), append(values, p[1])
	}
	var items []evalItem
	for _, p := range pairs {
		for _, stem := range forward {
			items = append(items, multipleChoice(rng, fmt.Sprintf(stem, p[0]), p[1], values))
		}
		for _, stem := range backward {
			items = append(items, multipleChoice(rng, fmt.Sprintf(stem, p[1]), p[0], keys))
		}
	}
	return items
}

func scienceSuite(rng *rand.Rand) []evalItem {
	items := pairsSuite(rng, elements, []string{"What is the chemical symbol for %s?", "The element %s is written with which symbol?"},
		[]string{"Which element has the chemical symbol %s?", "The symbol %s stands for which element?"})
	items = append(items, pairsSuite(rng, siUnits, []string{"What is the SI unit of %s?", "In the SI system, %s is measured in which unit?"},
		[]string{"Which physical quantity is measured in the %s?", "The %s is the SI unit of which quantity?"})...)
	var classes []string
	for _, a := range animals {
		if !slices.Contains(classes, a[1]) {
			classes = append(classes, a[1])
		}
	}
	for _, a := range animals {
		items = append(items, multipleChoice(rng, fmt.Sprintf("A %s is which kind of animal?", a[0]), a[1], classes),
			multipleChoice(rng, fmt.Sprintf("Biologists classify the %s as a member of which group?", a[0]), a[1], classes))
	}
	for i, p := range planets {
		items = append(items, multipleChoice(rng, fmt.Sprintf("Which planet is number %d in order from the Sun?", i+1), p, planets),
			multipleChoice(rng, fmt.Sprintf("Counting outwards from the Sun, %s is which planet?", p), ordinal[i], ordinal))
	}
	return items
}

func historySuite(rng *rand.Rand) []evalItem {
	var items []evalItem
	for _, e := range events {
		var years []string
		for _, d := range []int{-60, -25, -10, 10, 25, 60} {
			years = append(years, fmt.Sprint(e.year+d))
		}
		items = append(items, multipleChoice(rng, fmt.Sprintf("In which year did %s?", e.what), fmt.Sprint(e.year), years),
			multipleChoice(rng, fmt.Sprintf("In which century did %s?", e.what), century(e.year), []string{century(e.year - 100), century(e.year + 100), century(e.year - 200), century(e.year + 200)}))
	}
	return append(items, pairsSuite(rng, capitals, []string{"What is the capital of %s?", "Which city is the seat of government of %s?"},
		[]string{"%s is the capital of which country?"})...)
}

// century names the century of a year (1215 → "13th century").
func century(year int) string {
	c := (year + 99) / 100
	suffix := "th"
	if c%100 < 11 || c%100 > 13 {
		suffix = []string{"th", "st", "nd", "rd", "th", "th", "th", "th", "th", "th"}[c%10]
	}
	return fmt.Sprintf("%d%s century", c, suffix)
}

// topicsSuite asks which word belongs to which subject, fifteen items a
// topic of the taxonomy.
func topicsSuite(rng *rand.Rand, topics []Topic) []evalItem {
	var names []string
	for _, t := range topics {
		names = append(names, t.Name)
	}
	var items []evalItem
	for ti, t := range topics {
		for k := 0; k < 15 && len(t.Words) > 0; k++ {
			w := t.Words[(k*7)%len(t.Words)]
			if k%2 == 0 {
				items = append(items, multipleChoice(rng, fmt.Sprintf("Which subject is the term %q most associated with?", w), t.Name, names))
				continue
			}
			var others []string
			for oi, o := range topics {
				if oi != ti && len(o.Words) > 0 {
					others = append(others, o.Words[rng.IntN(len(o.Words))])
				}
			}
			items = append(items, multipleChoice(rng, fmt.Sprintf("Which of the following terms belongs to the subject of %s?", t.Name), w, others))
		}
	}
	return items
}
