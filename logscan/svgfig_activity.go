package logscan

import (
	"fmt"
	"math"
	"time"
)

// Activity figure layout.
const (
	actW, actLeft, actRight = 720, 150, 10
	actBarsTop, actBarsH    = 18, 70
	actRowH                 = 12
)

// activitySVG draws one flagged account: its requests per bucket over the
// log's span and, after a replay, its own action and each indicator's
// evidence bucket by bucket (a mark where the indicator first fired).
func activitySVG(id string, p *pageData, name string, f *flaggedAccount) string {
	rows := replayRows(f.replay)
	height := actBarsTop + actBarsH + 30
	if p.replayed {
		height += actRowH * (len(rows) + 2)
	}
	var w svgWriter
	w.open(id, "Requests over time and when indicators fired: "+clip(name, 60), actW, height)
	plotW := float64(actW - actLeft - actRight)
	from, to := p.gridHour()*3600, p.bucketEnd(p.buckets-1)
	x := func(sec int64) float64 {
		return actLeft + plotW*math.Min(1, math.Max(0, float64(sec-from)/float64(to-from)))
	}
	shift := max(p.shift, f.activity.shift)
	first := p.gridHour() >> shift // the first bar, in its own buckets
	n := int((to/3600-1)>>shift-first) + 1
	counts := f.activity.at(shift, time.Unix(from, 0), n)
	peak := 1
	for _, c := range counts {
		peak = max(peak, c)
	}
	base := float64(actBarsTop + actBarsH)
	w.text(actLeft-6, actBarsTop+8, "end", "small", fmt.Sprintf("%d requests", peak))
	w.text(actLeft-6, actBarsTop+20, "end", "small", "per "+widthText(shift))
	w.line(actLeft, base, actLeft+plotW, base, "axis")
	for i, c := range counts {
		if c == 0 {
			continue
		}
		t0 := (first + int64(i)) << shift * 3600
		x0, x1 := x(t0), x(t0+3600<<shift)
		h := float64(actBarsH) * float64(c) / float64(peak)
		w.rect(x0, base-h, math.Max(0.8, x1-x0-0.3), h, "bar", fmt.Sprintf("%d requests from %s", c, timeText(t0)))
	}
	timeAxis(&w, x, from, to, base)
	if p.replayed {
		replayStrips(&w, p, f, rows, x, base+28)
	}
	return w.close()
}

// replayStrips draws the replayed action, then one row per indicator that
// ever fired: filled from each judgement that found it to the next.
func replayStrips(w *svgWriter, p *pageData, f *flaggedAccount, rows []int, x func(int64) float64, top float64) {
	until := func(j int) int64 {
		if j+1 < len(f.replay) {
			return p.bucketEnd(f.replay[j+1].bucket)
		}
		return p.bucketEnd(p.buckets - 1)
	}
	w.text(actLeft-6, top+9, "end", "small", "own action")
	for j, pt := range f.replay {
		x0, x1 := x(p.bucketEnd(pt.bucket)), x(until(j))
		w.rect(x0, top, math.Max(0.8, x1-x0), actRowH-2, actionClass(pt.action)+" strip",
			fmt.Sprintf("from %s: score %.2f, %s", timeText(p.bucketEnd(pt.bucket)), pt.score, pt.action))
	}
	for r, ind := range rows {
		y := top + float64(actRowH*(r+1))
		w.text(actLeft-6, y+9, "end", "small", indicatorOrder[ind])
		w.rect(actLeft, y, float64(actW-actLeft-actRight), actRowH-2, "bg", "")
		seen := false
		for j, pt := range f.replay {
			if pt.fired&(1<<uint(ind)) == 0 {
				continue
			}
			x0, x1 := x(p.bucketEnd(pt.bucket)), x(until(j))
			w.rect(x0, y+2, math.Max(0.8, x1-x0), actRowH-6, "fired", "")
			if !seen {
				seen = true
				w.f(`<path d="M%.1f %.1fl4 -%dh-8z" class="first"><title>%s first fired by %s</title></path>`,
					x0, y+actRowH-2, actRowH-2, indicatorOrder[ind], timeText(p.bucketEnd(pt.bucket)))
			}
		}
	}
}

// replayRows are the indicators (indexes into indicatorOrder) that fired
// at some judgement.
func replayRows(pts []replayPoint) []int {
	var any uint32
	for _, pt := range pts {
		any |= pt.fired
	}
	var rows []int
	for i := range indicatorOrder {
		if any&(1<<uint(i)) != 0 {
			rows = append(rows, i)
		}
	}
	return rows
}

// timeAxis draws ticks at round times (UTC) between from and to (Unix
// seconds) under y.
func timeAxis(w *svgWriter, x func(int64) float64, from, to int64, y float64) {
	step := int64(3600)
	for _, s := range []int64{1, 3, 6, 12, 24, 48, 7 * 24, 14 * 24, 28 * 24} {
		step = s * 3600
		if (to-from)/step <= 8 {
			break
		}
	}
	for (to-from)/step > 8 {
		step *= 2
	}
	layout := "Jan 2"
	if step < 24*3600 {
		layout = "Jan 2 15:04"
	}
	t := from - ((from%step)+step)%step
	for n := 0; t <= to && n < 64; t, n = t+step, n+1 {
		if t < from {
			continue
		}
		w.line(x(t), y, x(t), y+4, "axis")
		w.text(x(t), y+15, "middle", "small", time.Unix(t, 0).UTC().Format(layout))
	}
}

// timeText shows a time (Unix seconds) in UTC.
func timeText(sec int64) string { return time.Unix(sec, 0).UTC().Format("2006-01-02 15:04 UTC") }

// widthText names a bucket width of 2^shift hours.
func widthText(shift uint8) string {
	h := int64(1) << shift
	switch {
	case h == 1:
		return "hour"
	case h%24 == 0:
		return fmt.Sprintf("%d days", h/24)
	}
	return fmt.Sprintf("%d hours", h)
}
