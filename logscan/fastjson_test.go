package logscan

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
)

var fastSeeds = []string{
	`{"ts":"2026-11-01T10:00:00Z","account":"a","ip":"10.0.0.1","messages":[{"role":"user","content":"hi \"there\"\n\u00e9\ud83d\ude00"},{"role":"assistant","content":"x"}],"params":{"temperature":0.7,"top_logprobs":5,"logit_bias":{"1":2}},"status":200,"prompt_tokens":3,"completion_tokens":10,"watermark":{"key_id":"k"}}`,
	`{"ts":"2026-11-01T10:00:00Z","account":"a","prompt":"raw","params":null,"messages":null}`,
	`{"Account":"A","ts":"2026-11-01T10:00:00Z"}`,
	`{"ts":"2026-11-01T10:00:00Z","account":"a","params":{"temperature":null,"n":2e0,"max_tokens":-1.5E+2}}`,
	`{"ts":"x","account":5}`,
	`{"account":"a\ud800","ts":"2026-11-01T10:00:00Z"} `,
	`{"account":"a","ts":"2026-11-01T10:00:00Z"}{}`,
	`{"account":"a","account":"b","ts":"2026-11-01T10:00:00Z","messages":[null,{"role":"user","content":"q"}]}`,
	"{\"account\":\"\xff\",\"ts\":\"2026-11-01T10:00:00Z\"}",
	`{"account":"a","ts":"2026-11-01T10:00:00Z","x":[1,{"y":[true,false,null]},"s",-0.5e-3]}`,
	`{"account":"a","ts":"2026-11-01T10:00:00Z","status":01}`,
	`{"account":"a","ts":"2026-11-01T10:00:00Z","ſtatus":500,"paramſ":{"top_logprobſ":3}}`,
	`{"account":"a","ts":"2026-11-01T10:00:00Z","messages":[{"role":"system","content":"s"}],"messages":[{"content":"x"},null]}`,
	`{"seq":3,"prev":"ab","account":"a","ts":"2026-11-01T10:00:00Z","system":"harvest this","prompt":"go","sYstem":null}`,
	`{"seq":4,"prev":"ab","ts":"2026-11-01T10:00:00Z","event":"checkpoint","sig":"x"}`,
	`{"account":"a","ts":"2026-11-01T10:00:00Z","messages":[{"role":"system","content":"s"},{"role":"user","content":"u1"},{"role":"assistant","content":"a"},{"role":"tool","content":"t"},{"role":"user","content":"u2"}]}`,
}

// checkFast holds the fast parser to encoding/json: whenever it accepts a
// line, json.Unmarshal must accept it too and give the same record.
func checkFast(t *testing.T, line []byte) {
	g, ok := parseGatewayFast(line)
	gi, oki := parseGatewayInterned(line, interner{"a": "a"})
	if ok != oki || !reflect.DeepEqual(g, gi) {
		t.Fatalf("%q: interned parse differs: %v %+v / %v %+v", line, ok, g, oki, gi)
	}
	if !ok {
		return
	}
	var want gatewayLine
	if err := json.Unmarshal(line, &want); err != nil {
		t.Fatalf("fast path accepted %q, encoding/json refused it: %v", line, err)
	}
	r1, e1 := g.record()
	r2, e2 := want.record()
	if (e1 == nil) != (e2 == nil) || !reflect.DeepEqual(r1, r2) {
		t.Fatalf("%q:\nfast %+v %v\njson %+v %v", line, r1, e1, r2, e2)
	}
}

func TestFastParserAgreesWithJSON(t *testing.T) {
	accepted := 0
	for _, s := range fastSeeds {
		checkFast(t, []byte(s))
		if _, ok := parseGatewayFast([]byte(s)); ok {
			accepted++
		}
	}
	if accepted < 5 {
		t.Errorf("fast path accepted only %d of the ordinary seeds", accepted)
	}
	// A simulated log goes through the fast path entirely.
	tax, _ := ParseTaxonomy(mustTopics(t))
	var buf = new(jsonLines)
	if _, err := Simulate(SimConfig{Accounts: 20, Attackers: 8, Days: 1, Seed: 3}, tax, buf); err != nil {
		t.Fatal(err)
	}
	for _, l := range buf.lines {
		if _, ok := parseGatewayFast(l); !ok {
			t.Fatalf("fast path refused a gateway line: %s", l)
		}
		checkFast(t, l)
	}
}

type jsonLines struct {
	lines [][]byte
	cur   []byte
}

func (j *jsonLines) Write(p []byte) (int, error) {
	for _, c := range p {
		if c == '\n' {
			j.lines = append(j.lines, j.cur)
			j.cur = nil
		} else {
			j.cur = append(j.cur, c)
		}
	}
	return len(p), nil
}

func FuzzFastParser(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) { checkFast(t, line) })
}

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
		{"<think> first", true},
		{"Give your rationales.", true},
		{"What is the capital of France?", false},
		{"I work at a steps factory", false},
	} {
		a := newAccount("x", len(tax.Names))
		a.add(Record{Account: "x", Prompt: c.prompt}, tax, &scratch{})
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
		a.add(Record{Account: "old", TS: ts.Add(time.Duration(i) * time.Minute), Prompt: "explain the integral please " + strings.Repeat("x", i%3)}, tax, &scratch{})
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
		b.add(Record{Account: "b", TS: t0.Add(time.Duration(i) * time.Second), Prompt: p}, tax, &scratch{})
	}
	if b.rw.peakTemplate < 0.98 {
		t.Errorf("peak template share %.2f when the window first filled with one template", b.rw.peakTemplate)
	}
	c := newAccount("c", len(tax.Names))
	c.add(Record{Account: "c", Prompt: "Give your 'rationale' first."}, tax, &scratch{})
	if c.cot != 1 {
		t.Error("a quoted reasoning phrase was missed")
	}
}
