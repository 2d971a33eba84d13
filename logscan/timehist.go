package logscan

import (
	"sort"
	"time"
)

// maxHistBuckets bounds an account's activity histogram and the page's grid:
// after it, the buckets widen to the ladder's next rung (ladder.go).
const maxHistBuckets = 192

// timeHist is an account's requests per bucket of a ladder width, for
// the HTML page's activity figure. It is sparse (a light account keeps a
// few entries), sorted by bucket; its level is the finest at which the
// account's active buckets fit in maxHistBuckets. So the counts depend on
// the request times only, not on the order they came in (the parallel
// read's report is the serial one), and memory is bounded whatever the
// log's span: 16 bytes a bucket.
type timeHist struct {
	level   uint8
	buckets []timeBucket
}

// timeBucket is one bucket: its index (Unix second / width, floored) and
// count.
type timeBucket struct {
	idx int64
	n   uint32
}

// add counts one request at t.
func (h *timeHist) add(t time.Time) {
	idx := bucketOf(unixSec(t), h.level)
	if k := len(h.buckets); k > 0 && h.buckets[k-1].idx == idx {
		h.buckets[k-1].n++
		return
	}
	i := sort.Search(len(h.buckets), func(i int) bool { return h.buckets[i].idx >= idx })
	if i < len(h.buckets) && h.buckets[i].idx == idx {
		h.buckets[i].n++
		return
	}
	h.buckets = append(h.buckets, timeBucket{})
	copy(h.buckets[i+1:], h.buckets[i:])
	h.buckets[i] = timeBucket{idx: idx, n: 1}
	for len(h.buckets) > maxHistBuckets && h.level < maxLevel {
		h.coarsen()
	}
}

// coarsen widens the buckets to the ladder's next rung, merging the
// buckets that fall in one.
func (h *timeHist) coarsen() {
	r := ladderWidth(h.level+1) / ladderWidth(h.level)
	h.level++
	out := h.buckets[:0]
	for _, b := range h.buckets {
		b.idx = floorDiv(b.idx, r)
		if k := len(out); k > 0 && out[k-1].idx == b.idx {
			out[k-1].n += b.n
			continue
		}
		out = append(out, b)
	}
	h.buckets = out
}

// clone is a copy that later adds do not change.
func (h timeHist) clone() timeHist {
	h.buckets = append([]timeBucket(nil), h.buckets...)
	return h
}

// at rebins the histogram to buckets of the given level (no finer than
// its own) from the bucket holding from (Unix seconds), n of them;
// requests outside fall into the first or last.
func (h timeHist) at(level uint8, from int64, n int) []int {
	level = max(level, h.level)
	out := make([]int, n)
	if n == 0 {
		return out
	}
	r := ladderWidth(level) / ladderWidth(h.level)
	first := bucketOf(from, level)
	for _, b := range h.buckets {
		i := floorDiv(b.idx, r) - first
		out[min(max(i, 0), int64(n-1))] += int(b.n)
	}
	return out
}
