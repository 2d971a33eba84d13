package benchmarks_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/internal/measure"
	"forensics/logscan/benchmarks"
)

// shippedSources are the files corpora/benchmarks/SOURCES.md names, by
// suite, with the fields the shipped set was built from.
var shippedSources = []struct {
	suite, file string
	fields      []string
}{
	{"gsm8k", "test.jsonl", []string{"question"}},
	{"humaneval", "HumanEval.jsonl.gz", []string{"prompt"}},
	{"mbpp", "mbpp.jsonl", []string{"text", "test_list"}},
	{"mbpp", "mbpp.jsonl", []string{"text"}}, // the task sentence without its tests
	{"truthfulqa", "TruthfulQA.csv", []string{"Question"}},
}

// wrappings are the ways a harness or a person sends an item; others
// holds other items of the suite, for few-shot prompts.
var wrappings = []struct {
	name string
	wrap func(rng *rand.Rand, item string, others []string) string
}{
	{"verbatim", func(_ *rand.Rand, s string, _ []string) string { return s }},
	{"Question: … Answer:", func(_ *rand.Rand, s string, _ []string) string { return "Question: " + s + "\nAnswer:" }},
	{"4 few-shot examples before", func(rng *rand.Rand, s string, others []string) string {
		var b strings.Builder
		for range 4 {
			b.WriteString("Question: " + others[rng.IntN(len(others))] + "\nAnswer: 7\n\n")
		}
		return b.String() + "Question: " + s + "\nAnswer:"
	}},
	{"step by step after", func(_ *rand.Rand, s string, _ []string) string { return s + "\nLet's think step by step." }},
	{"3 words replaced", func(rng *rand.Rand, s string, _ []string) string {
		w := strings.Fields(s)
		for range 3 {
			w[rng.IntN(len(w))] = "replaced"
		}
		return strings.Join(w, " ")
	}},
	{"upper case, no punctuation", func(_ *rand.Rand, s string, _ []string) string {
		return strings.ToUpper(strings.NewReplacer(",", "", ".", " ", "?", "", ":", "").Replace(s))
	}},
	{"first half only", func(_ *rand.Rand, s string, _ []string) string { return s[:len(s)/2] }},
}

// TestRecallOnShippedSuites measures how many of the real items the
// shipped set recognises under each wrapping. The benchmark files are not
// in this repository: FORENSICS_BENCHMARK_SOURCES names a folder holding
// them (SOURCES.md says where each comes from).
func TestRecallOnShippedSuites(t *testing.T) {
	measure.Require(t, "recall of the shipped fingerprints on the real items, ~2 s")
	dir := os.Getenv("FORENSICS_BENCHMARK_SOURCES")
	if dir == "" {
		t.Skip("FORENSICS_BENCHMARK_SOURCES is not set: no benchmark files to measure on")
	}
	set, rng := benchmarks.Default(), rand.New(rand.NewPCG(19, 1))
	for _, src := range shippedSources {
		items, err := benchmarks.ReadItemsFile(filepath.Join(dir, src.file), src.fields)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range wrappings {
			n := 0
			for _, item := range items {
				if suite, ok := set.Match(w.wrap(rng, item, items)); ok && suite == src.suite {
					n++
				}
			}
			t.Logf("%-10s %-18s %-28s %4d of %4d (%.3f)", src.suite, strings.Join(src.fields, "+"), w.name, n, len(items), float64(n)/float64(len(items)))
		}
	}
}

// TestCoTExemplarsStripped builds the 8-shot chain-of-thought prompt the
// harnesses send (exemplar questions and answers, then the question) around
// a question of our own: Strip must find the 8 exemplars and leave the
// question, so labs sharing the exemplars share no template.
func TestCoTExemplarsStripped(t *testing.T) {
	measure.Require(t, "the shipped CoT exemplars stripped from an 8-shot prompt, < 1 s")
	dir := os.Getenv("FORENSICS_BENCHMARK_SOURCES")
	if dir == "" {
		t.Skip("FORENSICS_BENCHMARK_SOURCES is not set: no benchmark files to measure on")
	}
	// Each exemplar's question, then its answer (SOURCES.md).
	shots, err := benchmarks.ReadItemsFile(filepath.Join(dir, "gsm8k-cot-exemplars.jsonl"), []string{"text"})
	if err != nil {
		t.Fatal(err)
	}
	const own = "A ferry carries 38 cars on each crossing and makes 11 crossings a day; how many cars does it carry in a fortnight?"
	var b strings.Builder
	for i := 0; i+1 < len(shots); i += 2 {
		b.WriteString("Q: " + shots[i] + "\nA: " + shots[i+1] + "\n\n")
	}
	rest, hits := benchmarks.Default().Strip(b.String() + "Q: " + own + "\nA:")
	if len(hits) != len(shots) || !strings.Contains(rest, own) {
		t.Fatalf("%d hits of %d exemplars; rest %q", len(hits), len(shots), rest)
	}
	t.Logf("rest %q", rest)
	t.Logf("rest: %d words of a %d-word prompt (the question has %d)", len(strings.Fields(rest)), len(strings.Fields(b.String()))+len(strings.Fields(own)), len(strings.Fields(own)))
}
