package logscan

import (
	"fmt"
	"math"
)

// Activity figure layout.
const (
	actW, actLeft, actRight = 720, 150, 10
	actBarsTop, actBarsH    = 18, 70
	actRowH                 = 12
)

// activitySVG draws one flagged account: its requests per bucket over its
// own span (its grid) and, after a replay, its own action and each indicator's
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
	g := f.grid
	from, to := g.start(), g.end()
	x := func(sec int64) float64 {
		return actLeft + plotW*math.Min(1, math.Max(0, float64(sec-from)/float64(to-from)))
	}
	level := max(g.level, f.activity.level)
	width := ladderWidth(level)
	first := bucketOf(from, level) // the first bar, in its own buckets
	n := int(bucketOf(to-1, level)-first) + 1
	counts := f.activity.at(level, from, n)
	peak := 1
	for _, c := range counts {
		peak = max(peak, c)
	}
	base := float64(actBarsTop + actBarsH)
	w.text(actLeft-6, actBarsTop+8, "end", "small", fmt.Sprintf("%d requests", peak))
	w.text(actLeft-6, actBarsTop+20, "end", "small", "per "+widthText(level))
	w.line(actLeft, base, actLeft+plotW, base, "axis")
	for i, c := range counts {
		if c == 0 {
			continue
		}
		t0 := (first + int64(i)) * width
		h := float64(actBarsH) * float64(c) / float64(peak)
		w.span(x(t0), x(t0+width), base-h, h, 0.3, "bar", fmt.Sprintf("%d requests from %s", c, timeText(t0, level)))
	}
	timeAxis(&w, x, from, to, base)
	if p.replayed {
		replayStrips(&w, f, rows, x, base+28)
	}
	return w.close()
}

// replayStrips draws the replayed action, then one row per indicator that
// ever fired. Each judgement is drawn over the bucket it judged, on to the
// next judged bucket (the last to the grid's end, so the final verdict is
// at least a bucket wide); an indicator's row is filled over the
// judgements that found it, a run of them as one rectangle.
func replayStrips(w *svgWriter, f *flaggedAccount, rows []int, x func(int64) float64, top float64) {
	g := f.grid
	at := func(j int) int64 { // where judgement j is drawn from; len(f.replay): the grid's end
		if j < len(f.replay) {
			return g.bucketStart(f.replay[j].bucket)
		}
		return g.end()
	}
	judged := func(j int) string { return timeText(g.bucketEnd(f.replay[j].bucket), g.level) }
	w.text(actLeft-6, top+9, "end", "small", "own action")
	for j, pt := range f.replay {
		w.span(x(at(j)), x(at(j+1)), top, actRowH-2, 0, actionClass(pt.action)+" strip",
			fmt.Sprintf("judged at %s: score %.2f, %s", judged(j), pt.score, pt.action))
	}
	for r, ind := range rows {
		y := top + float64(actRowH*(r+1))
		bit := uint32(1) << uint(ind)
		w.text(actLeft-6, y+9, "end", "small", indicatorOrder[ind])
		w.rect(actLeft, y, float64(actW-actLeft-actRight), actRowH-2, "bg", "")
		seen := false
		for j := 0; j < len(f.replay); j++ {
			if f.replay[j].fired&bit == 0 {
				continue
			}
			end := j + 1
			for end < len(f.replay) && f.replay[end].fired&bit != 0 {
				end++
			}
			w.span(x(at(j)), x(at(end)), y+2, actRowH-6, 0, "fired", "")
			if !seen {
				seen = true
				w.f(`<path d="M%.1f %.1fl4 -%dh-8z" class="first"><title>%s first fired by %s</title></path>`,
					x(at(j)), y+actRowH-2, actRowH-2, indicatorOrder[ind], judged(j))
			}
			j = end - 1
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
