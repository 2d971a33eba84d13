package logscan

import (
	"time"
	"unicode/utf8"
)

// maxTicks bounds the time axis's labels, so that the longest ("Nov 27
// 12:47:10", about 80 px) do not touch across the 560 px plot.
const maxTicks = 6

// tickSteps are the time axis's candidate steps (seconds), each a round
// span; past the last, steps double.
var tickSteps = [...]int64{1, 2, 5, 10, 15, 30, 60, 2 * 60, 5 * 60, 10 * 60, 15 * 60, 30 * 60,
	3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400}

// timeTickStep is the smallest step that puts at most maxTicks ticks in
// [from, to] (Unix seconds).
func timeTickStep(from, to int64) int64 {
	for _, s := range tickSteps {
		if (to-from)/s < maxTicks {
			return s
		}
	}
	s := tickSteps[len(tickSteps)-1]
	for (to-from)/s >= maxTicks {
		s *= 2
	}
	return s
}

// timeAxis draws ticks at round times (UTC) between from and to (Unix
// seconds) under y, labelled by the step: seconds or minutes with the
// date where it changes, days, or dates with the year. A label near the
// figure's edge is anchored so that it stays inside.
func timeAxis(w *svgWriter, x func(int64) float64, from, to int64, y float64) {
	step := timeTickStep(from, to)
	t := floorDiv(from+step-1, step) * step
	prevDay := ""
	for n := 0; t <= to && n <= maxTicks; t, n = t+step, n+1 {
		label, day := tickLabel(t, step)
		if day != "" && day != prevDay {
			label = day + " " + label
		}
		prevDay = day
		xt := x(t)
		w.line(xt, y, xt, y+4, "axis")
		half := 2.6 * float64(utf8.RuneCountInString(label)) // about half its width at 9 px
		switch {
		case xt+half > actW-1:
			w.text(actW-1, y+15, "end", "small", label)
		default:
			w.text(xt, y+15, "middle", "small", label)
		}
	}
}

// tickLabel is the label of a tick at sec for a step, and for steps
// within a day the date, shown where it changes.
func tickLabel(sec, step int64) (label, day string) {
	t := time.Unix(sec, 0).UTC()
	switch {
	case step < 60:
		return t.Format("15:04:05"), t.Format("Jan 2")
	case step < 86400:
		return t.Format("15:04"), t.Format("Jan 2")
	case step < 28*86400:
		return t.Format("Jan 2"), ""
	}
	return t.Format("Jan 2 2006"), ""
}

// timeText shows a time (Unix seconds) in UTC, to the second when the
// grid's level is finer than a minute.
func timeText(sec int64, level uint8) string {
	if ladderWidth(level) < 60 {
		return time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return time.Unix(sec, 0).UTC().Format("2006-01-02 15:04 UTC")
}
