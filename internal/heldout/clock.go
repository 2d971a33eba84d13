package heldout

import (
	"math"
	"slices"
	"time"
)

// days is the length of the generated log.
const days = 14

// hourProfile weighs the 24 local hours of a day by how likely activity
// is to start in them.
type hourProfile [24]float64

var (
	// evenings and lunch breaks of someone with a day job
	dayPerson = hourProfile{0.3, 0.1, 0.05, 0.02, 0.02, 0.05, 0.3, 0.8, 1.2, 1.3, 1.4, 1.5, 1.8, 1.6, 1.3, 1.3, 1.4, 1.5, 1.6, 2.0, 2.3, 2.2, 1.6, 0.8}
	nightOwl  = hourProfile{2.0, 1.8, 1.4, 0.9, 0.4, 0.1, 0.05, 0.05, 0.1, 0.2, 0.5, 0.8, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.3}
	officeDay = hourProfile{0, 0, 0, 0, 0, 0, 0.05, 0.3, 1.5, 2.2, 2.3, 2.0, 1.0, 1.6, 2.2, 2.3, 2.0, 1.2, 0.4, 0.2, 0.15, 0.1, 0.05, 0}
	// students: afternoons, evenings and the night before a deadline
	studentDay = hourProfile{1.2, 0.8, 0.4, 0.1, 0.02, 0.02, 0.05, 0.2, 0.6, 0.9, 1.1, 1.2, 1.0, 1.1, 1.4, 1.6, 1.7, 1.6, 1.5, 1.8, 2.2, 2.4, 2.3, 1.8}
	// a consumer product's users, summed over their own days: never zero
	consumerDay = hourProfile{0.55, 0.4, 0.3, 0.25, 0.25, 0.3, 0.45, 0.65, 0.8, 0.9, 0.95, 1.0, 1.05, 1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.2, 1.25, 1.2, 1.0, 0.75}
	flatDay     = hourProfile{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
)

// habit is how a person uses the API: when, how often, how long.
type habit struct {
	tz         int // hours east of UTC
	profile    *hourProfile
	activeDay  float64 // probability that a weekday has any activity
	weekend    float64 // multiplier on activeDay on Saturdays and Sundays
	sessions   float64 // mean sessions on an active day
	perSession float64 // mean requests in a session
	gap        float64 // median seconds between requests in a session
	fromDay    int     // first day (0-based) the habit applies
	toDay      int     // last day + 1; 0 means the end of the log
}

// sessions draws a person's sessions: each a run of request times.
func (g *gen) sessions(r *rng, h habit) [][]time.Time {
	to := h.toDay
	if to == 0 || to > days {
		to = days
	}
	var out [][]time.Time
	for d := h.fromDay; d < to; d++ {
		day := g.start.AddDate(0, 0, d)
		p := h.activeDay
		if wd := day.Add(time.Duration(h.tz) * time.Hour).Weekday(); wd == time.Saturday || wd == time.Sunday {
			p *= h.weekend
		}
		if !r.chance(min(p, 1)) {
			continue
		}
		for range max(1, r.poisson(h.sessions)) {
			if s := g.session(r, h, day); len(s) > 0 {
				out = append(out, s)
			}
		}
	}
	slices.SortFunc(out, func(a, b []time.Time) int { return a[0].Compare(b[0]) })
	return out
}

// session draws one run of requests starting at a local hour of day.
func (g *gen) session(r *rng, h habit, day time.Time) []time.Time {
	hour := r.weighted(h.profile[:])
	at := day.Add(time.Duration(hour-h.tz)*time.Hour + time.Duration(r.Float64()*float64(time.Hour)))
	n := 1 + r.poisson(h.perSession-1)
	out := make([]time.Time, 0, n)
	for range n {
		if !g.inside(at) {
			break
		}
		out = append(out, at)
		at = at.Add(seconds(r.logNormal(h.gap, 0.8)))
	}
	return out
}

// arrivals draws a Poisson process between from and to whose rate per
// hour is perHour times the profile's weight at the local hour (tz),
// by thinning a process at the highest rate.
func (g *gen) arrivals(r *rng, from, to time.Time, perHour float64, p *hourProfile, tz int) []time.Time {
	peak := slices.Max(p[:])
	if peak <= 0 || perHour <= 0 {
		return nil
	}
	maxRate := perHour * peak / 3600 // per second
	var out []time.Time
	for t := from; ; {
		t = t.Add(seconds(r.ExpFloat64() / maxRate))
		if !t.Before(to) {
			return out
		}
		local := (t.Hour() + tz + 24) % 24
		if r.Float64()*peak < p[local] {
			out = append(out, t)
		}
	}
}

// burst draws n requests from at, spaced as a client with a few
// requests in flight sends them.
func burst(r *rng, at time.Time, n int, meanGap float64) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = at
		at = at.Add(seconds(r.ExpFloat64() * meanGap))
	}
	return out
}

// inside reports whether t falls in the log's time span.
func (g *gen) inside(t time.Time) bool { return !t.Before(g.start) && t.Before(g.end) }

func seconds(s float64) time.Duration {
	return time.Duration(math.Max(s, 0.001) * float64(time.Second))
}

// dayAt is the start of the log's day d plus a local hour in zone tz.
func (g *gen) dayAt(d int, localHour float64, tz int) time.Time {
	return g.start.AddDate(0, 0, d).Add(time.Duration((localHour - float64(tz)) * float64(time.Hour)))
}

// daysBefore draws a time between lo and hi days before the log starts.
func (g *gen) daysBefore(r *rng, lo, hi int) time.Time {
	return g.start.Add(-time.Duration(r.between(lo*86400, hi*86400)) * time.Second)
}
