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
// few entries), sorted by bucket, and each bucket is 8 bytes: its index
// as an offset from the first's. Its level is the finest at which the
// account's active buckets fit in maxHistBuckets and their offsets in an
// int32. Both only grow with the times and shrink with the width, so the
// level, and the counts, depend on the request times only, not on the
// order they came in (the parallel read's report is the serial one), and
// memory is bounded whatever the log's span.
type timeHist struct {
	level   uint8
	base    int64 // the first bucket's index (Unix second / width, floored)
	buckets []timeBucket
}

// timeBucket is one bucket: its index's offset from base, and its count.
type timeBucket struct {
	off int32
	n   uint32
}

// maxOffset bounds the buckets' offsets (int32).
const maxOffset = 1<<31 - 1

// add counts one request at t: it widens the buckets until its offset
// fits, counts it, then widens them until they fit the cap.
func (h *timeHist) add(t time.Time) {
	sec := unixSec(t)
	for len(h.buckets) > 0 && h.level < maxLevel && !h.reaches(bucketOf(sec, h.level)) {
		h.coarsen()
	}
	h.insert(bucketOf(sec, h.level))
	for len(h.buckets) > maxHistBuckets && h.level < maxLevel {
		h.coarsen()
	}
}

// reaches is whether bucket idx would keep every offset within maxOffset.
func (h *timeHist) reaches(idx int64) bool {
	last := h.base + int64(h.buckets[len(h.buckets)-1].off)
	return max(last, idx)-min(h.base, idx) <= maxOffset
}

// insert counts one request in bucket idx (which reaches).
func (h *timeHist) insert(idx int64) {
	switch {
	case len(h.buckets) == 0:
		h.base, h.buckets = idx, append(h.buckets, timeBucket{n: 1})
		return
	case idx < h.base: // a new first bucket: every offset moves
		d := int32(h.base - idx)
		for i := range h.buckets {
			h.buckets[i].off += d
		}
		h.base = idx
	}
	off := int32(idx - h.base)
	if k := len(h.buckets); h.buckets[k-1].off == off {
		h.buckets[k-1].n++
		return
	}
	i := sort.Search(len(h.buckets), func(i int) bool { return h.buckets[i].off >= off })
	if i < len(h.buckets) && h.buckets[i].off == off {
		h.buckets[i].n++
		return
	}
	h.buckets = append(h.buckets, timeBucket{})
	copy(h.buckets[i+1:], h.buckets[i:])
	h.buckets[i] = timeBucket{off: off, n: 1}
}

// coarsen widens the buckets to the ladder's next rung, merging the
// buckets that fall in one.
func (h *timeHist) coarsen() {
	r := ladderWidth(h.level+1) / ladderWidth(h.level)
	h.level++
	base := floorDiv(h.base, r)
	out := h.buckets[:0]
	for _, b := range h.buckets {
		b.off = int32(floorDiv(h.base+int64(b.off), r) - base)
		if k := len(out); k > 0 && out[k-1].off == b.off {
			out[k-1].n += b.n
			continue
		}
		out = append(out, b)
	}
	h.buckets, h.base = out, base
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
		i := floorDiv(h.base+int64(b.off), r) - first
		out[min(max(i, 0), int64(n-1))] += int(b.n)
	}
	return out
}
