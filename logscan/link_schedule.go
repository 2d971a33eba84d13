package logscan

import (
	"cmp"
	"fmt"
	"slices"
)

// Schedule thresholds: accounts active in at least linkMinutesLeast
// minutes, whose active minutes overlap with estimated Jaccard ≥
// linkMinuteJacc.
const (
	linkMinuteJacc   = 0.5
	linkMinutesLeast = 30
)

// schedules links accounts active in mostly the same minutes. Candidates
// are the pairs whose MinHash sketches agree on a band (LSH); a band
// bucket holding more than rareCap accounts is a common schedule and makes
// no candidates. A schedule's rarity is how many accounts share it: the
// weight of a pair is ln(N/u) with u one more than the larger of the two
// accounts' counts of similar partners.
func (l *linker) schedules() {
	limit := rareCap(len(l.names))
	type cand struct {
		a, b int32
		j    float64
	}
	var cands []cand
	seen := map[uint64]bool{}
	similar := make([]int, len(l.accts))
	for _, bucket := range l.bandBuckets(limit) {
		for x := range bucket {
			for y := x + 1; y < len(bucket); y++ {
				a, b := bucket[x], bucket[y]
				k := pairKey(a, b)
				if seen[k] {
					continue
				}
				seen[k] = true
				if j := l.accts[a].minutes.jaccard(&l.accts[b].minutes); j >= linkMinuteJacc {
					cands = append(cands, cand{a, b, j})
					similar[a]++
					similar[b]++
				}
			}
		}
	}
	slices.SortFunc(cands, func(x, y cand) int { return cmp.Compare(pairKey(x.a, x.b), pairKey(y.a, y.b)) })
	for _, c := range cands {
		u := 1 + max(similar[c.a], similar[c.b])
		w := l.rule.weight(u, limit)
		if w <= 0 {
			continue
		}
		ma, mb := l.accts[c.a].minutes.minutes, l.accts[c.b].minutes.minutes
		l.addItem(item{class: clSchedule, users: u, weight: w,
			text: fmt.Sprintf("active minutes: Jaccard %.2f (%d and %d minutes)", c.j, ma, mb)}, []int32{c.a, c.b}, false)
	}
}

// bandBuckets returns the LSH buckets (accounts whose sketches agree on
// one band) that hold two to limit accounts, in a deterministic order.
func (l *linker) bandBuckets(limit int) [][]int32 {
	buckets := map[uint64][]int32{}
	for i, a := range l.accts {
		if a.minutes.minutes < linkMinutesLeast {
			continue
		}
		for b := 0; b < sketchBands; b++ {
			k := a.minutes.band(b)
			buckets[k] = append(buckets[k], int32(i))
		}
	}
	keys := make([]uint64, 0, len(buckets))
	for k, m := range buckets {
		if len(m) >= 2 && len(m) <= limit {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([][]int32, len(keys))
	for i, k := range keys {
		out[i] = buckets[k]
	}
	return out
}
