package benchmarks

import (
	"strings"
	"testing"

	"forensics/corpora"
)

// BenchmarkStripVsReference times Strip and the reference on the shipped
// set in one run, on a chat question (~70 bytes), a 5-shot prompt (~760
// bytes) and 2,000 words of prose, and on a set that fingerprints the
// 5-shot prompt's problem (the path that cuts).
func BenchmarkStripVsReference(b *testing.B) {
	paras, err := corpora.Paragraphs()
	if err != nil {
		b.Fatal(err)
	}
	var long []string
	for _, p := range paras {
		if long = append(long, strings.Fields(p)...); len(long) >= 2000 {
			break
		}
	}
	problem := "Question: A baker fills 6 boxes with 12 muffins each and sells all but 9 of them at $3 apiece. How much does the baker earn?\nAnswer: 189\n\n"
	fewShot := strings.Repeat(problem, 5) + "Question: How many minutes are in a week?\nAnswer: Let's think step by step."
	withProblem := Default().Merge(Build("bench", []string{problem, farmItem, trainItem}))
	for _, c := range []struct {
		name string
		set  *Set
		text string
	}{
		{"short", Default(), "Can you explain how vaccines train the immune system, in simple terms?"},
		{"5-shot", Default(), fewShot},
		{"2000 words", Default(), strings.Join(long[:2000], " ")},
		{"5-shot with items", withProblem, fewShot},
	} {
		for _, impl := range []struct {
			name  string
			strip func(*Set, string) (string, []Hit)
		}{{"new", (*Set).Strip}, {"reference", refStrip}} {
			b.Run(impl.name+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(len(c.text)))
				b.ReportAllocs()
				for b.Loop() {
					impl.strip(c.set, c.text)
				}
			})
		}
	}
}
