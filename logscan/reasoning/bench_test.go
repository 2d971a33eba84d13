package reasoning

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The baseline: logscan's phrase search before this package (cotPhrases,
// cotAnchors and addCoT in logscan/account.go at commit 2a4e5e9), copied
// so both run in one benchmark.
var cotPhrases = []string{
	"step by step", "step-by-step", "chain of thought", "show your reasoning", "explain your reasoning",
	"show your work", "think through", "reasoning process", "<think>", "let's think", "walk me through your thinking",
	"before answering, reason", "rationale",
}

var cotAnchors = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range cotPhrases {
		longest := ""
		for _, w := range wordsOfLower(p, nil) {
			if len(w) > len(longest) {
				longest = w
			}
		}
		m[longest], m[longest+"s"] = true, true
	}
	return m
}()

func wordsOfLower(lower string, dst []string) []string {
	dst = dst[:0]
	start := -1
	for i, r := range lower {
		word := r == '\'' || (r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z')) ||
			(r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			dst = append(dst, lower[start:i])
			start = -1
		}
	}
	if start >= 0 {
		dst = append(dst, lower[start:])
	}
	return dst
}

// phraseBaseline is the old detector on one text: lower-case, split into
// words (logscan does both once per prompt for other features too, so
// they are counted here as the baseline's cost), then the anchored search.
func phraseBaseline(text string, ws []string) bool {
	lower := strings.ToLower(text)
	ws = wordsOfLower(lower, ws)
	for _, w := range ws {
		if cotAnchors[strings.Trim(w, "'")] {
			for _, p := range cotPhrases {
				if strings.Contains(lower, p) {
					return true
				}
			}
			return false
		}
	}
	return false
}

// englishText is a long English-only request (ASCII: the baseline's
// best case).
func englishText() string {
	var b strings.Builder
	for b.Len() < 64<<10 {
		b.WriteString("The shipment left the warehouse in Rotterdam on Monday and is expected in Hamburg by Thursday.\n")
	}
	return b.String()
}

// benchText is a long request: a system prompt, a pasted document in
// several languages and a question, with no reasoning request.
func benchText() string {
	var b strings.Builder
	b.WriteString("You are a helpful assistant for a logistics company. Answer concisely.\n\n")
	parts := []string{
		"The shipment left the warehouse in Rotterdam on Monday and is expected in Hamburg by Thursday. ",
		"Le colis a été remis au transporteur, qui confirme la livraison avant vendredi. ",
		"Die Lieferung wurde wegen des Streiks um zwei Tage verschoben. ",
		"货物已经到达上海港，正在等待清关。 ",
		"Груз прибыл в порт и ожидает таможенного оформления. ",
	}
	for i := 0; b.Len() < 64<<10; i++ {
		b.WriteString(parts[i%len(parts)])
		if i%7 == 6 {
			b.WriteString("\n")
		}
	}
	b.WriteString("\n\nWhen will the shipment arrive in Hamburg?")
	return b.String()
}

func BenchmarkScore(b *testing.B) {
	m, text := Default(), benchText()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		m.Score(text)
	}
}

func BenchmarkPhraseBaseline(b *testing.B) {
	text := benchText()
	var ws []string
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		phraseBaseline(text, ws)
	}
}

func BenchmarkScoreEnglish(b *testing.B) {
	m, text := Default(), englishText()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		m.Score(text)
	}
}

func BenchmarkPhraseBaselineEnglish(b *testing.B) {
	text := englishText()
	var ws []string
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		phraseBaseline(text, ws)
	}
}

func BenchmarkScoreShort(b *testing.B) {
	m, text := Default(), "What is the capital of Australia? Let's think step by step."
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		m.Score(text)
	}
}
