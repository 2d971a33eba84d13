package logscan

import (
	"math/bits"
	"time"
)

// Sliding windows. Whole-history indicators miss an account that behaves
// for weeks and then harvests for a day, or mixes a campaign into ordinary
// traffic; windows see the worst stretch. Each window keeps constant state
// per account, so memory stays proportional to accounts.

// windowRequests is the request window: the last this-many prompts.
const windowRequests = 100

// windowFrom is the request count at which an account gets its request
// window (so that the many small accounts cost no window memory); the
// window indicators are judged only for accounts with windowFrom +
// windowRequests requests, whose window is full.
const windowFrom = 20

// timeWindows tracks the busiest hour (minute buckets) and the widest day
// of topics (hour buckets of topic bitmasks).
type timeWindows struct {
	started     bool
	minute      int64     // the newest minute seen (Unix minutes, floored)
	perMinute   [60]int32 // requests per minute, ring
	hourCount   int       // requests in the 60 minutes up to minute
	peakHour    int
	hour        int64      // the newest hour seen (Unix hours, floored)
	topicsByHr  [24]uint64 // topics touched per hour, ring
	peakTopics  int
	peakTopicAt time.Time
	peakHourAt  time.Time
}

// floorDiv is x/d rounded down, and slot its ring index: times before
// 1970 are negative and must not index below zero.
func floorDiv(x, d int64) int64 {
	q := x / d
	if x%d != 0 && x < 0 {
		q--
	}
	return q
}

func slot(x, n int64) int64 { return ((x % n) + n) % n }

func (w *timeWindows) add(ts time.Time, topics uint64) {
	m := floorDiv(ts.Unix(), 60)
	h := floorDiv(ts.Unix(), 3600)
	if !w.started {
		w.started, w.minute, w.hour = true, m, h
	}
	late := false
	switch {
	case m > w.minute:
		if m-w.minute >= 60 {
			w.perMinute = [60]int32{}
			w.hourCount = 0
		} else {
			for k := w.minute + 1; k <= m; k++ {
				w.hourCount -= int(w.perMinute[slot(k, 60)])
				w.perMinute[slot(k, 60)] = 0
			}
		}
		w.minute = m
	case m <= w.minute-60:
		late = true // older than the window: a late line, not counted here
	}
	if !late {
		w.perMinute[slot(m, 60)]++
		w.hourCount++
		if w.hourCount > w.peakHour {
			w.peakHour, w.peakHourAt = w.hourCount, ts
		}
	}
	switch {
	case h > w.hour:
		if h-w.hour >= 24 {
			w.topicsByHr = [24]uint64{}
		} else {
			for k := w.hour + 1; k <= h; k++ {
				w.topicsByHr[slot(k, 24)] = 0
			}
		}
		w.hour = h
	case h <= w.hour-24:
		return
	}
	w.topicsByHr[slot(h, 24)] |= topics
	if topics != 0 {
		var all uint64
		for _, t := range w.topicsByHr {
			all |= t
		}
		if n := bits.OnesCount64(all); n > w.peakTopics {
			w.peakTopics, w.peakTopicAt = n, ts
		}
	}
}

// dayTopics is how many topics were touched in the 24 hours up to the
// newest request.
func (w *timeWindows) dayTopics() int {
	var all uint64
	for _, t := range w.topicsByHr {
		all |= t
	}
	return bits.OnesCount64(all)
}

// reqWindow tracks the last windowRequests prompts: how many ask for
// reasoning, how they spread over topics, how many share one template,
// and the worst value of each seen so far.
type reqWindow struct {
	ring   [windowRequests]windowEntry
	n, pos int
	full   bool
	cot    int
	topics [64]int32
	tmpl   map[uint64]int32

	peakCoverage, peakTemplate, peakCoT float64
	peakCoverageAt, peakTemplateAt      time.Time
	peakCoTAt                           time.Time
	nTopics                             int
}

type windowEntry struct {
	sig    uint64
	topics uint64
	cot    bool
}

func newReqWindow(nTopics int) *reqWindow {
	return &reqWindow{tmpl: make(map[uint64]int32, windowRequests), nTopics: min(nTopics, 64)}
}

func (w *reqWindow) add(ts time.Time, e windowEntry) {
	if w.n == windowRequests {
		old := w.ring[w.pos]
		if old.cot {
			w.cot--
		}
		for t := old.topics; t != 0; t &= t - 1 {
			w.topics[bits.TrailingZeros64(t)]--
		}
		if c := w.tmpl[old.sig] - 1; c == 0 {
			delete(w.tmpl, old.sig)
		} else {
			w.tmpl[old.sig] = c
		}
	} else {
		w.n++
	}
	w.ring[w.pos] = e
	w.pos = (w.pos + 1) % windowRequests
	if e.cot {
		w.cot++
	}
	for t := e.topics; t != 0; t &= t - 1 {
		w.topics[bits.TrailingZeros64(t)]++
	}
	w.tmpl[e.sig]++
	if w.n < windowRequests {
		return
	}
	// Once the window is full, its commonest template can only reach a new
	// peak as the template just added; when it first fills, the commonest
	// may be any of them.
	top := w.tmpl[e.sig]
	if !w.full {
		w.full = true
		for _, c := range w.tmpl {
			top = max(top, c)
		}
	}
	if s := float64(top) / windowRequests; s > w.peakTemplate {
		w.peakTemplate, w.peakTemplateAt = s, ts
	}
	if s := float64(w.cot) / windowRequests; s > w.peakCoT {
		w.peakCoT, w.peakCoTAt = s, ts
	}
	if cov, _ := coverage(w.topics[:w.nTopics]); cov > w.peakCoverage {
		w.peakCoverage, w.peakCoverageAt = cov, ts
	}
}
