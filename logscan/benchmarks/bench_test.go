package benchmarks_test

import (
	"strings"
	"testing"

	"forensics/corpora"
	"forensics/logscan/benchmarks"
)

// BenchmarkMatch times Match on the shipped set: a chat question, a
// 5-shot prompt of word problems (written for this benchmark) and a
// 2,000-word text. ns/op is per prompt.
func BenchmarkMatch(b *testing.B) {
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
	set := benchmarks.Default()
	for _, c := range []struct{ name, text string }{
		{"chat question", "Can you explain how vaccines train the immune system, in simple terms?"},
		{"5-shot prompt", strings.Repeat(problem, 5) + "Question: How many minutes are in a week?\nAnswer: Let's think step by step."},
		{"2000 words", strings.Join(long[:2000], " ")},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			b.ReportAllocs()
			for b.Loop() {
				set.Match(c.text)
			}
		})
	}
}

// BenchmarkRead times reading the shipped set (Default does it once per
// process).
func BenchmarkRead(b *testing.B) {
	var fp strings.Builder
	if _, err := benchmarks.Default().WriteTo(&fp); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(fp.Len()))
	for b.Loop() {
		if _, err := benchmarks.Read(strings.NewReader(fp.String())); err != nil {
			b.Fatal(err)
		}
	}
}
