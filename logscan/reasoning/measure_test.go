package reasoning

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"forensics/internal/measure"
)

// The measurements behind docs/reasoning-classifier.md:
//
//	FORENSICS_MEASURE=1 go test -count=1 -run 'TestMeasure' -v ./logscan/reasoning
//
// TestMeasureParams chooses the parameters on the training split alone
// (every third training phrasing held out as validation); TestMeasureTest
// reads the test split once, with the shipped model and Threshold fixed
// beforehand; TestMeasureLeaveOneLanguageOut trains without a language and
// tests on it.

func phrasingIndex(e Example) int {
	n, _ := strconv.Atoi(e.Phrasing[strings.LastIndex(e.Phrasing, "-")+1:])
	return n
}

func TestMeasureParams(t *testing.T) {
	measure.Require(t, "parameter grid on a validation split of the training data, ~30 s")
	train := Filter(readExamples(t), func(e Example) bool { return e.Split == "train" })
	fit := Filter(train, func(e Example) bool { return phrasingIndex(e)%3 != 0 })
	val := Filter(train, func(e Example) bool { return phrasingIndex(e)%3 == 0 })
	grid := []Params{
		{MinN: 1, MaxN: 3, HashBits: 18, Window: 64, Stride: 16},
		{MinN: 1, MaxN: 4, HashBits: 18, Window: 64, Stride: 16},
		{MinN: 1, MaxN: 5, HashBits: 18, Window: 64, Stride: 16},
		{MinN: 2, MaxN: 4, HashBits: 18, Window: 64, Stride: 16},
		{MinN: 2, MaxN: 5, HashBits: 18, Window: 64, Stride: 16},
		{MinN: 1, MaxN: 4, HashBits: 16, Window: 64, Stride: 16},
		{MinN: 1, MaxN: 4, HashBits: 20, Window: 64, Stride: 16},
		{MinN: 1, MaxN: 4, HashBits: 18, Window: 32, Stride: 8},
		{MinN: 1, MaxN: 4, HashBits: 18, Window: 128, Stride: 32},
		{MinN: 1, MaxN: 4, HashBits: 18, Window: 256, Stride: 64},
	}
	t.Logf("fit %d, validation %d examples", len(fit), len(val))
	t.Logf("%-38s %6s %6s %6s %8s %7s", "params", "acc", "prec", "recall", "hardFPR", "bytes")
	for _, p := range grid {
		opts := DefaultTrainOptions
		opts.Params = p
		m, err := Train(fit, opts)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := m.MarshalBinary()
		ev := Evaluate(m, val)
		t.Logf("%-38s %6.3f %6.3f %6.3f %8.3f %7d", fmt.Sprintf("n=%d-%d bits=%d window=%d/%d", p.MinN, p.MaxN, p.HashBits, p.Window, p.Stride),
			ev.All.Accuracy(), ev.All.Precision(), ev.All.Recall(), ev.ByKind["hard"].FPR(), len(b))
	}
}

func TestMeasureTest(t *testing.T) {
	measure.Require(t, "the shipped model and the phrase baseline on the test split, ~5 s")
	test := Filter(readExamples(t), func(e Example) bool { return e.Split == "test" })
	ev := Evaluate(Default(), test)
	base := evaluateBaseline(test)
	t.Logf("test split: %d examples, %d phrasings never seen in training; threshold %.2f", len(test), countPhrasings(test), Threshold)
	t.Logf("%-22s %6s %6s %6s %6s   %s", "", "n", "acc", "prec", "recall", "phrase baseline acc/prec/recall")
	row := func(name string, c, b Confusion) {
		t.Logf("%-22s %6d %6.3f %6.3f %6.3f   %.3f/%.3f/%.3f", name, c.N(), c.Accuracy(), c.Precision(), c.Recall(), b.Accuracy(), b.Precision(), b.Recall())
	}
	row("all", ev.All, base.All)
	for _, l := range Keys(ev.ByLang) {
		row("lang "+l, *ev.ByLang[l], *base.ByLang[l])
	}
	t.Logf("false-positive rate by kind of negative (model, baseline):")
	for _, k := range Keys(ev.ByKind) {
		if k != "reasoning" {
			t.Logf("  %-10s n=%4d  %.3f  %.3f", k, ev.ByKind[k].N(), ev.ByKind[k].FPR(), base.ByKind[k].FPR())
		}
	}
	t.Logf("recall by where the request sits (model, baseline):")
	for _, k := range Keys(ev.ByWhere) {
		t.Logf("  %-20s n=%4d  %.3f  %.3f", k, ev.ByWhere[k].N(), ev.ByWhere[k].Recall(), base.ByWhere[k].Recall())
	}
	for _, e := range ev.Errors {
		if e.Where == "alone" {
			t.Logf("  error %.2f %s %s %q", e.Score, e.Phrasing, e.Kind, e.Text)
		}
	}
}

func TestMeasureLeaveOneLanguageOut(t *testing.T) {
	measure.Require(t, "16 trainings, each without one language and tested on it, ~1 min")
	all := readExamples(t)
	t.Logf("%-5s %6s %6s %6s %6s %8s", "lang", "n", "acc", "prec", "recall", "hardFPR")
	var sum Confusion
	langs := map[string]*Confusion{}
	for _, e := range all {
		langs[e.Lang] = &Confusion{}
	}
	for _, lang := range Keys(langs) {
		m, err := Train(Filter(all, func(e Example) bool { return e.Split == "train" && e.Lang != lang }), DefaultTrainOptions)
		if err != nil {
			t.Fatal(err)
		}
		ev := Evaluate(m, Filter(all, func(e Example) bool { return e.Lang == lang }))
		c := ev.All
		sum.TP, sum.FP, sum.TN, sum.FN = sum.TP+c.TP, sum.FP+c.FP, sum.TN+c.TN, sum.FN+c.FN
		t.Logf("%-5s %6d %6.3f %6.3f %6.3f %8.3f", lang, c.N(), c.Accuracy(), c.Precision(), c.Recall(), ev.ByKind["hard"].FPR())
	}
	t.Logf("%-5s %6d %6.3f %6.3f %6.3f", "all", sum.N(), sum.Accuracy(), sum.Precision(), sum.Recall())
}

// evaluateBaseline scores the phrase search as 1 or 0.
func evaluateBaseline(exs []Example) Evaluation {
	ev := Evaluation{ByLang: map[string]*Confusion{}, ByKind: map[string]*Confusion{}, ByWhere: map[string]*Confusion{}}
	var ws []string
	for _, e := range exs {
		s := 0.0
		if phraseBaseline(e.Text, ws) {
			s = 1
		}
		ev.All.Add(e.Label, s)
		count(ev.ByLang, e.Lang, e.Label, s)
		count(ev.ByKind, e.Kind, e.Label, s)
		if e.Label == 1 {
			count(ev.ByWhere, e.Where, e.Label, s)
		}
	}
	return ev
}

func countPhrasings(exs []Example) int {
	seen := map[string]bool{}
	for _, e := range exs {
		seen[e.Phrasing] = true
	}
	return len(seen)
}
