package reasoning

import "sort"

// Confusion counts a classifier's decisions at Threshold.
type Confusion struct {
	TP, FP, TN, FN int
}

// Add counts one decision.
func (c *Confusion) Add(label int, score float64) {
	switch pos := score >= Threshold; {
	case pos && label == 1:
		c.TP++
	case pos:
		c.FP++
	case label == 1:
		c.FN++
	default:
		c.TN++
	}
}

// N is the number of decisions counted.
func (c Confusion) N() int { return c.TP + c.FP + c.TN + c.FN }

// Accuracy is the share of right decisions.
func (c Confusion) Accuracy() float64 { return ratio(c.TP+c.TN, c.N()) }

// Precision is the share of positive decisions that are right.
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is the share of positives found.
func (c Confusion) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// FPR is the share of negatives taken for positives.
func (c Confusion) FPR() float64 { return ratio(c.FP, c.FP+c.TN) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Evaluation is a model's decisions on examples, overall, per language
// and per kind.
type Evaluation struct {
	All    Confusion
	ByLang map[string]*Confusion
	ByKind map[string]*Confusion
	// ByWhere counts the reasoning requests by where they were put.
	ByWhere map[string]*Confusion
	// Errors are the misclassified examples, with their scores.
	Errors []Scored
}

// Scored is an example and its score.
type Scored struct {
	Example
	Score float64
}

// Evaluate scores every example with m at Threshold.
func Evaluate(m *Model, exs []Example) Evaluation {
	ev := Evaluation{ByLang: map[string]*Confusion{}, ByKind: map[string]*Confusion{}, ByWhere: map[string]*Confusion{}}
	for _, e := range exs {
		s := m.Score(e.Text)
		ev.All.Add(e.Label, s)
		count(ev.ByLang, e.Lang, e.Label, s)
		count(ev.ByKind, e.Kind, e.Label, s)
		if e.Label == 1 {
			count(ev.ByWhere, e.Where, e.Label, s)
		}
		if (s >= Threshold) != (e.Label == 1) {
			ev.Errors = append(ev.Errors, Scored{e, s})
		}
	}
	return ev
}

func count(m map[string]*Confusion, key string, label int, score float64) {
	if m[key] == nil {
		m[key] = new(Confusion)
	}
	m[key].Add(label, score)
}

// Keys returns a map's keys in order.
func Keys(m map[string]*Confusion) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
