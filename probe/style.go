package probe

import (
	"hash/fnv"
	"math"
	"strings"
	"unicode"
)

// functionWords are common English function words; their rates are a
// classic authorship signal (Mosteller & Wallace 1964) that topic changes
// little.
var functionWords = strings.Fields(`the of and to a in that is was he for it with as his on be at by i
this had not are but from or have an they which one you were her all she there would their we him
been has when who will more no if out so said what up its about into than them can only other new
some could time these two may then do first any my now such like our over man me even most made
after also did many before must through back years where much your way well down should because
each just those people how too little state good very make world still own see men work long get
here between both life being under never day same another know while last might us great old year
off come since against go came right used take three however though although whether upon nor yet`)

var functionIndex = func() map[string]int {
	m := make(map[string]int, len(functionWords))
	for _, w := range functionWords {
		if _, ok := m[w]; !ok {
			m[w] = len(m)
		}
	}
	return m
}()

// charBuckets is how many hashed buckets character trigrams fall into.
const charBuckets = 512

// refusalPhrases are the openings of refusals and disclaimers.
var refusalPhrases = []string{"i can't", "i cannot", "i'm sorry", "i am sorry", "as an ai", "i'm unable", "i am unable", "i won't"}

// formatFeatures is the number of formatting-habit features.
const formatFeatures = 14

// Profile is a style profile: function-word rates, character trigram
// rates and formatting habits, each block scaled to unit length so that no
// block dominates by its size.
type Profile struct {
	FW   []float64
	Char []float64
	Fmt  []float64
}

func newProfile() Profile {
	return Profile{FW: make([]float64, len(functionIndex)), Char: make([]float64, charBuckets), Fmt: make([]float64, formatFeatures)}
}

// StyleCounts are the raw counts of one text; profiles add them up.
func StyleCounts(text string) Profile {
	p := newProfile()
	lower := strings.ToLower(text)
	words := strings.FieldsFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
	for _, w := range words {
		if i, ok := functionIndex[w]; ok {
			p.FW[i]++
		}
	}
	rs := []rune(lower)
	for i := 0; i+3 <= len(rs); i++ {
		h := fnv.New32a()
		h.Write([]byte(string(rs[i : i+3])))
		p.Char[h.Sum32()%charBuckets]++
	}
	lines := strings.Split(text, "\n")
	var list, heading, fence, bold, refusal, sentences float64
	for _, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "- "), strings.HasPrefix(t, "* "), len(t) > 2 && t[0] >= '0' && t[0] <= '9' && (t[1] == '.' || t[1] == ')'):
			list++
		case strings.HasPrefix(t, "#"):
			heading++
		case strings.HasPrefix(t, "```"):
			fence++
		}
	}
	bold = float64(strings.Count(text, "**"))
	for _, r := range refusalPhrases {
		refusal += float64(strings.Count(lower, r))
	}
	var upper, letters float64
	for _, r := range text {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
		if r == '.' || r == '!' || r == '?' {
			sentences++
		}
	}
	nw := max(1, float64(len(words)))
	p.Fmt = []float64{
		list, heading, fence, bold, refusal,
		float64(strings.Count(text, "\n")) / nw,
		float64(strings.Count(text, ",")) / nw,
		float64(strings.Count(text, ";")) / nw,
		float64(strings.Count(text, ":")) / nw,
		float64(strings.Count(text, "?")) / nw,
		float64(strings.Count(text, "!")) / nw,
		float64(strings.Count(text, "\"")+strings.Count(text, "“")) / nw,
		upper / max(1, letters),
		nw / max(1, sentences) / 20, // mean sentence length, in units of 20 words
	}
	return p
}

// Add accumulates another profile's counts.
func (p *Profile) Add(q Profile) {
	for i := range p.FW {
		p.FW[i] += q.FW[i]
	}
	for i := range p.Char {
		p.Char[i] += q.Char[i]
	}
	for i := range p.Fmt {
		p.Fmt[i] += q.Fmt[i]
	}
}

// StyleDistance is 1 − cosine similarity of two profiles, each block
// normalised to unit length and the blocks weighted equally. It is 1 when
// either profile is empty.
func StyleDistance(a, b Profile) float64 {
	sim := (cosine(a.FW, b.FW) + cosine(a.Char, b.Char) + cosine(a.Fmt, b.Fmt)) / 3
	return 1 - sim
}

func cosine(x, y []float64) float64 {
	var xy, xx, yy float64
	for i := range x {
		xy += x[i] * y[i]
		xx += x[i] * x[i]
		yy += y[i] * y[i]
	}
	if xx == 0 || yy == 0 {
		return 0
	}
	return xy / math.Sqrt(xx*yy)
}
