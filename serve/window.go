package serve

import "time"

// repeatWindow is watermarking.repeat_window: time cut into windows from
// the Unix epoch (UTC), the same for every account. A repeatable answer
// (client seed, or a temperature below the floor) repeats only within a
// window (generationSeed), and a case decision takes effect only at a
// window boundary (switchAt), so the change a client can see at a boundary
// is the one every account sees there.
type repeatWindow time.Duration

// switchMargin is the least time between a case decision and the boundary
// it takes effect at (a quarter of the window if that is less). The event
// must be on disk before the boundary: a decision in the margin before
// one waits for the next, rather than race its fsync against the clock.
const switchMargin = time.Minute

// index is the window t falls in: floor(t / window) from the Unix epoch.
func (w repeatWindow) index(t time.Time) int64 {
	n, d := t.UnixNano(), int64(w)
	q := n / d
	if n%d != 0 && n < 0 {
		q--
	}
	return q
}

// start is the first instant of window i.
func (w repeatWindow) start(i int64) time.Time {
	return time.Unix(0, i*int64(w)).UTC()
}

// switchAt is when a case decision made at decided takes effect (a
// caseledger.EffectiveRule): the first boundary more than the margin
// after it, and not before notBefore (the previous decision's).
func (w repeatWindow) switchAt(decided, notBefore time.Time) time.Time {
	margin := min(switchMargin, time.Duration(w)/4)
	b := w.start(w.index(decided.Add(margin)) + 1)
	if b.Before(notBefore) {
		// The window changed since a decision still pending: the first
		// boundary of this window at or after it.
		b = w.start(w.index(notBefore))
		if b.Before(notBefore) {
			b = w.start(w.index(notBefore) + 1)
		}
	}
	return b
}
