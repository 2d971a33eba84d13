package logscan

import (
	"sort"
	"time"
)

// maxHourBuckets bounds an account's activity histogram: a week of hours
// and some, after which its buckets widen (2 h, 4 h, …).
const maxHourBuckets = 192

// hourHist is an account's requests per bucket of 2^shift hours, for the
// HTML page's activity figure. It is sparse (a light account keeps a few
// entries), sorted by bucket, and buckets are aligned to multiples of
// their width in Unix hours; its width is the narrowest at which the
// account's active buckets fit in maxHourBuckets. So the counts depend on
// the request times only, not on the order they came in (the parallel
// read's report is the serial one), and memory is bounded whatever the
// log's span.
type hourHist struct {
	shift   uint8
	buckets []hourBucket
}

// hourBucket is one bucket: its index (Unix hour >> shift) and count.
type hourBucket struct {
	idx int32
	n   uint32
}

// unixHour is the hour of t since the Unix epoch (floored), within
// ±maxUnixHour: a log's times are the client's to write (a Unix layout
// takes any number), and the page's arithmetic on them must not overflow.
func unixHour(t time.Time) int64 {
	s := t.Unix()
	h := s / 3600
	if s < 0 && s%3600 != 0 {
		h--
	}
	return min(max(h, -maxUnixHour), maxUnixHour)
}

// maxUnixHour bounds unixHour: about 122,000 years either side of 1970.
const maxUnixHour = 1 << 30

// add counts one request at t.
func (h *hourHist) add(t time.Time) {
	idx := int32(unixHour(t) >> h.shift)
	if k := len(h.buckets); k > 0 && h.buckets[k-1].idx == idx {
		h.buckets[k-1].n++
		return
	}
	i := sort.Search(len(h.buckets), func(i int) bool { return h.buckets[i].idx >= idx })
	if i < len(h.buckets) && h.buckets[i].idx == idx {
		h.buckets[i].n++
		return
	}
	h.buckets = append(h.buckets, hourBucket{})
	copy(h.buckets[i+1:], h.buckets[i:])
	h.buckets[i] = hourBucket{idx: idx, n: 1}
	for len(h.buckets) > maxHourBuckets {
		h.coarsen()
	}
}

// coarsen doubles the buckets' width, merging neighbours.
func (h *hourHist) coarsen() {
	h.shift++
	out := h.buckets[:0]
	for _, b := range h.buckets {
		b.idx >>= 1
		if k := len(out); k > 0 && out[k-1].idx == b.idx {
			out[k-1].n += b.n
			continue
		}
		out = append(out, b)
	}
	h.buckets = out
}

// clone is a copy that later adds do not change.
func (h hourHist) clone() hourHist {
	h.buckets = append([]hourBucket(nil), h.buckets...)
	return h
}

// at rebins the histogram to buckets of 2^shift hours (no finer than its
// own) from the bucket holding from, n of them; requests outside fall
// into the first or last.
func (h hourHist) at(shift uint8, from time.Time, n int) []int {
	shift = max(shift, h.shift)
	out := make([]int, n)
	if n == 0 {
		return out
	}
	first := unixHour(from) >> shift
	for _, b := range h.buckets {
		i := int64(b.idx)<<h.shift>>shift - first
		out[min(max(i, 0), int64(n-1))] += int(b.n)
	}
	return out
}
