package reasoning

import (
	"strings"
	"testing"

	"forensics/corpora"
)

// refBenchTexts are a chat question (~70 bytes), a 5-shot prompt (~760
// bytes) and 2,000 words of prose: the sizes of logscan's parts.
func refBenchTexts(b *testing.B) []struct{ name, text string } {
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
	return []struct{ name, text string }{
		{"short", "Can you explain how vaccines train the immune system, in simple terms?"},
		{"5-shot", strings.Repeat(problem, 5) + "Question: How many minutes are in a week?\nAnswer: Let's think step by step."},
		{"2000 words", strings.Join(long[:2000], " ")},
		{"multilingual 64KiB", benchText()},
	}
}

// BenchmarkScoreVsReference times Score and the reference on the same
// texts in one run: compare new/… with reference/… (benchstat, or by
// eye).
func BenchmarkScoreVsReference(b *testing.B) {
	m := Default()
	for _, c := range refBenchTexts(b) {
		for _, impl := range []struct {
			name  string
			score func(*Model, string) float64
		}{{"new", (*Model).Score}, {"reference", refScore}} {
			b.Run(impl.name+"/"+c.name, func(b *testing.B) {
				b.SetBytes(int64(len(c.text)))
				b.ReportAllocs()
				for b.Loop() {
					impl.score(m, c.text)
				}
			})
		}
	}
}
