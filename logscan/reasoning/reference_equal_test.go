package reasoning

import (
	"math"
	"os"
	"strings"
	"testing"

	"forensics/corpora"
)

// equalityTexts are the labelled corpus, the corpus paragraphs, texts
// longer than a normalisation chunk, and a few edge cases.
func equalityTexts(t testing.TB) []string {
	f, err := os.Open("../../corpora/reasoning/examples.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	examples, err := ReadExamples(f)
	if err != nil {
		t.Fatal(err)
	}
	paras, err := corpora.Paragraphs()
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"", " ", "\t\n", "a", "\u200b", "e\u0301\u0301\u0301", "\xff\xfe", "ﬁ ㍿ Ⅻ", benchText(), englishText()}
	for _, e := range examples {
		texts = append(texts, e.Text)
	}
	texts = append(texts, paras...)
	long := strings.Join(paras[:400], "\n\n")
	texts = append(texts, long, strings.Repeat("é", chunkBytes), strings.Repeat("e\u0301", chunkBytes/3)+"x")
	return texts
}

// TestScoreMatchesReference checks that Score and the best window are
// bit for bit those of the reference on every text of equalityTexts.
func TestScoreMatchesReference(t *testing.T) {
	m := Default()
	texts := equalityTexts(t)
	maxDiff := 0.0
	for _, text := range texts {
		logit, lo, hi := m.best(text)
		wantLogit, wantLo, wantHi := refBest(m, text)
		s, want := m.Score(text), refScore(m, text)
		maxDiff = max(maxDiff, math.Abs(s-want), math.Abs(logit-wantLogit))
		if math.Float64bits(logit) != math.Float64bits(wantLogit) || lo != wantLo || hi != wantHi ||
			math.Float64bits(s) != math.Float64bits(want) {
			t.Fatalf("text %.80q: best (%v, %d, %d) score %v, reference (%v, %d, %d) %v",
				text, logit, lo, hi, s, wantLogit, wantLo, wantHi, want)
		}
	}
	t.Logf("%d texts, largest difference %g", len(texts), maxDiff)
}

// FuzzScoreMatchesReference compares Score and its best window with the
// reference, bit for bit, on any text.
func FuzzScoreMatchesReference(f *testing.F) {
	for _, s := range []string{"", " ", "Let's think step by step.", "<think>", "e\u0301\u0301\u0301", "\xff\xfe",
		"ﬁ ㍿ Ⅻ", "請一步一步思考", "Show\u200byour work\u00ad, STEP by step\r\n\r\n", strings.Repeat("ab ", 40)} {
		f.Add(s)
	}
	m := Default()
	f.Fuzz(func(t *testing.T, text string) {
		logit, lo, hi := m.best(text)
		wantLogit, wantLo, wantHi := refBest(m, text)
		if math.Float64bits(logit) != math.Float64bits(wantLogit) || lo != wantLo || hi != wantHi {
			t.Fatalf("best (%v, %d, %d), reference (%v, %d, %d)", logit, lo, hi, wantLogit, wantLo, wantHi)
		}
		if s, want := m.Score(text), refScore(m, text); math.Float64bits(s) != math.Float64bits(want) {
			t.Fatalf("score %v, reference %v", s, want)
		}
	})
}
