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

// scorer is one scoring pass's reusable state.
type scorer struct {
	f  *featurizer
	wm windowMax
}

// set makes m the model of these parameters and quantised weights.
func (m *Model) set(p Params, bias, scale float64, q []int8) {
	m.p, m.bias, m.scale, m.q = p, bias, scale, q
	m.pool.New = func() any { return &scorer{f: newFeaturizer(p)} }
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
	sc.wm.reset(m.p.Window/m.p.Stride, m.bias, m.scale)
	runes := sc.f.sumRun(text, m.q, &sc.wm)
	return sc.wm.finish(runes, m.p.Stride)
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
	_, lo, hi := m.best(text)
	from, to := lo*m.p.Stride, (hi+1)*m.p.Stride
	byGram := map[string]*Contribution{}
	var seg strings.Builder
	f := newFeaturizer(m.p)
	total := 0
	f.onRune = func(pos int, r rune) {
		if pos >= from-(m.p.MaxN-1) && pos < to {
			seg.WriteRune(r)
		}
	}
	f.run(text, func(gs []gram) {
		for _, g := range gs {
			if g.end < from || g.end >= to {
				return
			}
			total++
			s := f.text(g)
			c := byGram[s]
			if c == nil {
				c = &Contribution{NGram: s, Weight: float64(m.q[g.bucket]) * m.scale}
				byGram[s] = c
			}
			c.Count++
		}
	})
	for _, c := range byGram {
		c.Logit = c.Weight * float64(c.Count) / math.Sqrt(float64(total))
		top = append(top, *c)
	}
	sort.Slice(top, func(i, j int) bool {
		if a, b := math.Abs(top[i].Logit), math.Abs(top[j].Logit); a != b {
			return a > b
		}
		return top[i].NGram < top[j].NGram
	})
	return strings.TrimSpace(seg.String()), top[:min(k, len(top))]
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
