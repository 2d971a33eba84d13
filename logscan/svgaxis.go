package logscan

import (
	"time"
	"unicode/utf8"
)

// tickSteps are the time axis's candidate steps (seconds), each a round
// span; those under a day divide it, so a day's first tick is midnight.
// Past the last, steps double.
var tickSteps = [...]int64{1, 2, 5, 10, 15, 30, 60, 2 * 60, 5 * 60, 10 * 60, 15 * 60, 30 * 60,
	3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400}

// timeTickStep is the smallest step whose ticks in [from, to] (Unix
// seconds) leave room for their labels across plotW pixels.
func timeTickStep(from, to int64, plotW float64, year bool) int64 {
	fits := func(s int64) bool {
		label, _ := tickLabel(0, s, year)
		room := max(2, int64(plotW/(labelWidth(label)+30)))
		return (to-from)/s < room
	}
	for _, s := range tickSteps {
		if fits(s) {
			return s
		}
	}
	s := tickSteps[len(tickSteps)-1]
	for !fits(s) {
		s *= 2
	}
	return s
}

// labelWidth is about the width of a tick label at 9 px.
func labelWidth(s string) float64 { return 5.2 * float64(utf8.RuneCountInString(s)) }

// timeAxis draws ticks at round times (UTC) between from and to (Unix
// seconds) under y, labelled by the step: seconds or minutes (a day's
// midnight by its date), days, or dates with the year; the margin says
// UTC and the first tick's date. Dates name their year when the span
// crosses one or is over 300 days (withYear). A label at either end of the plot is
// anchored so that it stays inside and clear of the margin.
func timeAxis(w *svgWriter, x func(int64) float64, from, to int64, y float64) {
	year := withYear(from, to)
	step := timeTickStep(from, to, x(to)-x(from), year)
	t := floorDiv(from+step-1, step) * step
	_, day := tickLabel(t, step, year)
	note := "UTC"
	if day != "" {
		note += ", " + day
	}
	w.text(actLeft-6, y+15, "end", "small", note)
	for n := 0; t <= to && n < 64; t, n = t+step, n+1 {
		label, _ := tickLabel(t, step, year)
		xt := x(t)
		w.line(xt, y, xt, y+4, "axis")
		switch half := labelWidth(label) / 2; {
		case xt+half > actW-1:
			w.text(actW-1, y+15, "end", "small", label)
		case xt-half < actLeft-2: // clear of the margin's note
			w.text(xt, y+15, "start", "small", label)
		default:
			w.text(xt, y+15, "middle", "small", label)
		}
	}
}

// withYear is whether the axis's dates must name their year: the span
// [from, to] crosses a year or is over 300 days long.
func withYear(from, to int64) bool {
	return to-from > 300*86400 || time.Unix(from, 0).UTC().Year() != time.Unix(to-1, 0).UTC().Year()
}

// tickLabel is the label of a tick at sec for a step, and for steps
// within a day its date (with its year if asked).
func tickLabel(sec, step int64, year bool) (label, day string) {
	t := time.Unix(sec, 0).UTC()
	day = t.Format("Jan 2")
	if year {
		day = t.Format("Jan 2 2006")
	}
	switch {
	case step < 86400 && sec%86400 == 0:
		return day, day
	case step < 60:
		return t.Format("15:04:05"), day
	case step < 86400:
		return t.Format("15:04"), day
	case step < 28*86400:
		return day, ""
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
