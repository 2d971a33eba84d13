package logscan

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode"

	"forensics/logscan/reasoning"
)

// simhashSlow is the textbook form: ±1 per bit per shingle.
func simhashSlow(ws []string) uint64 {
	var acc [64]int
	add := func(s string) {
		x := fnvString(s)
		for i := range acc {
			acc[i] += int(x>>uint(i)&1)*2 - 1
		}
	}
	if len(ws) < 3 {
		add(strings.Join(ws, " "))
	}
	for i := 0; i+3 <= len(ws); i++ {
		add(ws[i] + " " + ws[i+1] + " " + ws[i+2])
	}
	var out uint64
	for i, v := range acc {
		if v > 0 {
			out |= 1 << uint(i)
		}
	}
	return out
}

func TestSimhashMatchesTextbook(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	vocab := strings.Fields("a b c dog cat the quick brown fox jumps over lazy river mountain")
	for n := range 700 { // past 255 shingles, where the lanes are emptied
		ws := make([]string, n%600)
		for i := range ws {
			ws[i] = vocab[rng.IntN(len(vocab))]
		}
		if len(ws) == 0 {
			continue
		}
		if got, want := simhash(ws), simhashSlow(ws); got != want {
			t.Fatalf("%d words: %016x, want %016x", len(ws), got, want)
		}
	}
}

// templateSignatureRef is the first, allocation-heavy form, kept as the
// reference the fast one must match.
func templateSignatureRef(prompt string) (uint64, string) {
	fields := strings.Fields(prompt)
	masked := make([]string, 0, 8)
	for i, f := range fields {
		if len(masked) == 8 {
			break
		}
		r := []rune(f)
		switch {
		case strings.ContainsRune("\"'“‘«", r[0]):
			masked = append(masked, "<S>")
		case strings.IndexFunc(f, unicode.IsDigit) >= 0:
			masked = append(masked, "<N>")
		case i > 0 && unicode.IsUpper(r[0]):
			masked = append(masked, "<W>")
		default:
			masked = append(masked, strings.ToLower(strings.Trim(f, ".,;:!?")))
		}
	}
	tmpl := strings.Join(masked, " ")
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d", tmpl, lengthBucket(len(fields)))
	return h.Sum64(), tmpl
}

func FuzzTemplateSignature(f *testing.F) {
	for _, s := range []string{"Explain 42 things about \"x\" to Bob today.", "", "  a  b ", "Ünïcode Wörds 3rd «q» ‘x’", "\xff\xfe bad"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g1, t1 := templateSignature(s)
		g2, t2 := templateSignatureRef(s)
		if g1 != g2 || t1 != t2 {
			t.Fatalf("%q: %x %q, reference %x %q", s, g1, t1, g2, t2)
		}
		w1 := words(s)
		w2 := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' })
		if strings.Join(w1, "|") != strings.Join(w2, "|") || len(w1) != len(w2) {
			t.Fatalf("%q: words %q, reference %q", s, w1, w2)
		}
	})
}

func TestReasoningPhrasesFound(t *testing.T) {
	tax, _ := ParseTaxonomy(mustTopics(t))
	for _, c := range []struct {
		prompt string
		cot    bool
	}{
		{"Solve it. Think step by step, please.", true},
		{"Show your work and the chain of thought.", true},
		{"Résous ce problème et explique ton raisonnement étape par étape.", true},
		{"请一步一步地思考，并写出你的推理过程。", true},
		{"What is the capital of France?", false},
		{"I work at a steps factory", false},
	} {
		a := newAccount("x", len(tax.Names))
		a.add(Record{Account: "x", Prompt: c.prompt}, &env{tax: tax, reasoning: reasoning.Default()}, &scratch{})
		if (a.cot == 1) != c.cot {
			t.Errorf("%q: reasoning request %v, want %v", c.prompt, a.cot == 1, c.cot)
		}
	}
}

// TestWindowsEdgeCases: times before 1970 do not break the rings, and the
// busiest template is found when the request window first fills.
func TestWindowsEdgeCases(t *testing.T) {
	tax, _ := ParseTaxonomy(mustTopics(t))
	a := newAccount("old", len(tax.Names))
	ts := time.Date(1969, 6, 1, 10, 0, 0, 0, time.UTC)
	for i := range 130 {
		a.add(Record{Account: "old", TS: ts.Add(time.Duration(i) * time.Minute), Prompt: "explain the integral please " + strings.Repeat("x", i%3)}, &env{tax: tax}, &scratch{})
	}
	if a.tw.peakHour != 60 || a.tw.peakTopics == 0 {
		t.Errorf("before 1970: peak hour %d, peak topics %d", a.tw.peakHour, a.tw.peakTopics)
	}
	b := newAccount("b", len(tax.Names))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range windowFrom + windowRequests - 1 {
		p := "Summarize the following ticket in two sentences: the printer jammed again"
		if i >= windowFrom+windowRequests-2 {
			p = fmt.Sprintf("Something else entirely, number %d of them", i)
		}
		b.add(Record{Account: "b", TS: t0.Add(time.Duration(i) * time.Second), Prompt: p}, &env{tax: tax}, &scratch{})
	}
	if b.rw.peakTemplate < 0.98 {
		t.Errorf("peak template share %.2f when the window first filled with one template", b.rw.peakTemplate)
	}
}

// words splits a prompt into lower-case word tokens.
func words(s string) []string { return wordsOfLower(strings.ToLower(s), nil) }
