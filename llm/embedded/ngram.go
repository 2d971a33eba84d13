package embedded

import (
	"fmt"
	"math"
	"slices"
)

// kn is an interpolated Kneser-Ney n-gram model (Kneser & Ney 1995; the
// interpolated form of Chen & Goodman 1998, §3.5, with one discount per
// order, D = n1/(n1 + 2·n2), Ney et al. 1994):
//
//	P_k(w | h) = max(c_k(h,w) − D_k, 0)/T(h) + D_k·N(h)/T(h) · P_{k−1}(w | h′)
//
// where h′ drops the oldest token of h, T(h) = Σ_w c_k(h,w), N(h) is the
// number of distinct w with c_k(h,w) > 0, c_n are raw counts at the highest
// order, and c_k for k < n are continuation counts (the number of distinct
// tokens seen before the k-gram). P_0 is uniform over the vocabulary. An
// unseen context falls back to the next lower order.
type kn struct {
	order int
	vocab int
	// levels[k-1] holds the k-grams: keys sorted (context tokens in the high
	// bits, the predicted token in the low 16), and their counts.
	levels   []level
	discount []float64
	unigram  []float64 // P_1, precomputed
}

type level struct {
	keys   []uint64
	counts []uint32
}

// key packs tokens (oldest first) 16 bits each.
func key(toks []uint16) uint64 {
	var k uint64
	for _, t := range toks {
		k = k<<16 | uint64(t)
	}
	return k
}

// newKN counts the n-grams of a token stream.
func newKN(ids []uint16, order, vocab int) (*kn, error) {
	if order < 1 || order > 4 {
		return nil, fmt.Errorf("n-gram order %d outside 1..4", order)
	}
	if len(ids) < order {
		return nil, fmt.Errorf("%d tokens are too few for order %d", len(ids), order)
	}
	m := &kn{order: order, vocab: vocab, levels: make([]level, order), discount: make([]float64, order)}
	// Highest order: raw counts of every n-gram.
	grams := make([]uint64, 0, len(ids))
	for i := order - 1; i < len(ids); i++ {
		grams = append(grams, key(ids[i-order+1:i+1]))
	}
	slices.Sort(grams)
	m.levels[order-1] = countSorted(grams)
	// Lower orders: continuation counts from the distinct (k+1)-grams.
	for k := order - 1; k >= 1; k-- {
		upper := m.levels[k].keys
		mask := uint64(1)<<(16*k) - 1
		suffixes := make([]uint64, len(upper))
		for i, u := range upper {
			suffixes[i] = u & mask
		}
		slices.Sort(suffixes)
		m.levels[k-1] = countSorted(suffixes)
	}
	for k := range m.levels {
		n1, n2 := 0, 0
		for _, c := range m.levels[k].counts {
			switch c {
			case 1:
				n1++
			case 2:
				n2++
			}
		}
		d := 0.5
		if n1 > 0 {
			d = float64(n1) / float64(n1+2*n2)
		}
		m.discount[k] = d
	}
	m.unigram = make([]float64, vocab)
	uniform := make([]float64, vocab)
	for i := range uniform {
		uniform[i] = 1 / float64(vocab)
	}
	m.apply(m.unigram, uniform, 1, nil)
	return m, nil
}

func countSorted(sorted []uint64) level {
	var l level
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		l.keys = append(l.keys, sorted[i])
		l.counts = append(l.counts, uint32(j-i))
		i = j
	}
	return l
}

// apply sets dst to P_k(· | ctx) given lower = P_{k−1}(· | ctx′). It returns
// false (and leaves dst untouched) when the context was never seen.
func (m *kn) apply(dst, lower []float64, k int, ctx []uint16) bool {
	l := &m.levels[k-1]
	lo := key(ctx) << 16
	hi := lo | 0xffff
	start, _ := slices.BinarySearch(l.keys, lo)
	end := start
	total, distinct := 0.0, 0
	for end < len(l.keys) && l.keys[end] <= hi {
		total += float64(l.counts[end])
		distinct++
		end++
	}
	if distinct == 0 {
		return false
	}
	d := m.discount[k-1]
	lambda := d * float64(distinct) / total
	for i := range dst {
		dst[i] = lambda * lower[i]
	}
	for i := start; i < end; i++ {
		w := l.keys[i] & 0xffff
		dst[w] += math.Max(float64(l.counts[i])-d, 0) / total
	}
	return true
}

// dist fills p (length vocab) with P(· | history), using the last order−1
// tokens of history; scratch must have the same length.
func (m *kn) dist(p, scratch []float64, history []uint16) {
	copy(p, m.unigram)
	cur, next := p, scratch
	for k := 2; k <= m.order; k++ {
		if len(history) < k-1 {
			break
		}
		if m.apply(next, cur, k, history[len(history)-(k-1):]) {
			cur, next = next, cur
		}
	}
	if &cur[0] != &p[0] {
		copy(p, cur)
	}
}
