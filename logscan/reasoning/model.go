package reasoning

import (
	"math"
	"sort"
	"strings"
	"sync"
)

// Threshold is the score at and above which a text is taken to ask for a
// reasoning trace. It was fixed at 0.5 (the logistic model's even odds,
// on training data balanced by class weights) before any measurement on
// the test split, and is not tuned on it.
const Threshold = 0.5

// Model is a trained classifier. It is safe for concurrent use.
type Model struct {
	p     Params
	bias  float64
	scale float64   // a weight is its quantised value times scale
	q     []int8    // quantised weights, 1<<HashBits of them
	pool  sync.Pool // *scorer
}

// set makes m the model of these parameters and quantised weights.
func (m *Model) set(p Params, bias, scale float64, q []int8) {
	m.p, m.bias, m.scale, m.q = p, bias, scale, q
	m.pool.New = func() any { return new(scorer) }
}

// Params returns what the model reads.
func (m *Model) Params() Params { return m.p }

// Score is the probability that text asks for a reasoning trace: that of
// its highest-scoring window.
func (m *Model) Score(text string) float64 {
	s, _, _ := m.best(text)
	return sigmoid(s)
}

// Reasoning reports whether text's score reaches Threshold.
func (m *Model) Reasoning(text string) bool { return m.Score(text) >= Threshold }

// best finds text's highest window: its logit and its blocks.
func (m *Model) best(text string) (logit float64, lo, hi int) {
	sc := m.pool.Get().(*scorer)
	defer m.pool.Put(sc)
	return sc.run(m, text)
}

// Contribution is one n-gram's part in a window's score.
type Contribution struct {
	NGram  string  // as the model reads it: NFKC, lower case, " " for white space
	Count  int     // occurrences in the window
	Weight float64 // its hash bucket's weight
	// Logit is its share of the window's log-odds: Weight × Count / √n
	// for a window of n n-grams.
	Logit float64
}

// Explain returns the window behind text's score (normalised as the model
// reads it, with up to MaxN-1 runes of context before it) and the k
// n-grams with the largest contributions to it, largest magnitude first.
func (m *Model) Explain(text string, k int) (segment string, top []Contribution) {
	x := m.explain(text)
	return x.segment, topK(x.grams, k)
}

// ExplainWords is Explain by word: each n-gram's contribution shared
// equally among its runes other than spaces, and the runes' shares summed over each
// space-separated word of the window (in scripts written without spaces,
// a word is a whole clause). Count is how many runes of the word lie in
// the window.
func (m *Model) ExplainWords(text string, k int) (segment string, top []Contribution) {
	x := m.explain(text)
	return x.segment, topK(x.words, k)
}

// explanation is a window's n-grams and words with their contributions.
type explanation struct {
	segment      string
	grams, words []Contribution
}

func (m *Model) explain(text string) explanation {
	_, lo, hi := m.best(text)
	from, to := lo*m.p.Stride, (hi+1)*m.p.Stride
	first := max(0, from-(m.p.MaxN-1)) // first rune an n-gram of the window reads
	byGram := map[string]*Contribution{}
	var runes []rune
	var share []float64 // per rune of runes: its share of the raw weights
	f := newFeaturizer(m.p)
	total := 0
	f.onRune = func(pos int, r rune) {
		if pos >= first && pos < to {
			runes, share = append(runes, r), append(share, 0)
		}
	}
	f.run(text, func(gs []gram) {
		for _, g := range gs {
			if g.end < from || g.end >= to {
				return
			}
			total++
			w := float64(m.q[g.bucket]) * m.scale
			shareGram(share[g.end-g.n+1-first:g.end+1-first], runes[g.end-g.n+1-first:], w)
			s := f.text(g)
			c := byGram[s]
			if c == nil {
				c = &Contribution{NGram: s, Weight: w}
				byGram[s] = c
			}
			c.Count++
		}
	})
	norm := 1 / math.Sqrt(float64(max(total, 1)))
	x := explanation{segment: strings.TrimSpace(string(runes))}
	for _, c := range byGram {
		c.Logit = c.Weight * float64(c.Count) * norm
		x.grams = append(x.grams, *c)
	}
	x.words = wordShares(runes, share, norm)
	return x
}

// shareGram shares an n-gram's weight w equally among its runes that are
// not spaces (every n-gram has at least one).
func shareGram(share []float64, runes []rune, w float64) {
	k := 0
	for i := range share {
		if runes[i] != ' ' {
			k++
		}
	}
	for i := range share {
		if runes[i] != ' ' {
			share[i] += w / float64(k)
		}
	}
}

// wordShares sums the runes' shares over each space-separated word.
func wordShares(runes []rune, share []float64, norm float64) []Contribution {
	byWord := map[string]*Contribution{}
	for i := 0; i < len(runes); {
		if runes[i] == ' ' {
			i++
			continue
		}
		j, sum := i, 0.0
		for ; j < len(runes) && runes[j] != ' '; j++ {
			sum += share[j]
		}
		w := string(runes[i:j])
		c := byWord[w]
		if c == nil {
			c = &Contribution{NGram: w}
			byWord[w] = c
		}
		c.Count += j - i
		c.Logit += sum * norm
		i = j
	}
	out := make([]Contribution, 0, len(byWord))
	for _, c := range byWord {
		c.Weight = c.Logit
		out = append(out, *c)
	}
	return out
}

// topK sorts contributions by magnitude (then text) and keeps k.
func topK(cs []Contribution, k int) []Contribution {
	sort.Slice(cs, func(i, j int) bool {
		if a, b := math.Abs(cs[i].Logit), math.Abs(cs[j].Logit); a != b {
			return a > b
		}
		return cs[i].NGram < cs[j].NGram
	})
	return cs[:max(0, min(k, len(cs)))]
}

var (
	defaultOnce  sync.Once
	defaultModel *Model
)

// Default is the shipped model (weights.bin, trained by `go generate` on
// the training split of corpora/reasoning).
func Default() *Model {
	defaultOnce.Do(func() {
		m := new(Model)
		if err := m.UnmarshalBinary(shippedWeights); err != nil {
			panic("reasoning: shipped weights: " + err.Error()) // a test checks they load
		}
		defaultModel = m
	})
	return defaultModel
}
