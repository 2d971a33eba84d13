package logscan

import (
	"fmt"
	"math"
)

// Score histogram layout.
const (
	histW, histH       = 720, 260
	histLeft, histTop  = 50, 30
	histRight, histBot = 20, 40
	maxHistBins        = 60
)

// scoreHistogramSVG draws how the accounts' scores are distributed (counts
// on a log scale: a handful of suspects beside thousands of quiet
// accounts), with the actions' score thresholds and, where the reference
// resolves them, the scores at which its top 1%, 0.2% and 0.1% begin.
// actions nil: the thresholds are unknown (a report read back from JSON).
func scoreHistogramSVG(scores []float64, actions *Actions, tails []tailMark) string {
	var w svgWriter
	w.open("fig-scores", "Distribution of the accounts' scores, with the action thresholds", histW, histH)
	if len(scores) == 0 {
		w.text(histW/2, histH/2, "middle", "", "no accounts")
		return w.close()
	}
	top := 1.0
	for _, s := range scores {
		top = math.Max(top, s)
	}
	if actions != nil {
		top = math.Max(top, actions.Suspend)
	}
	for _, m := range tails {
		top = math.Max(top, m.score)
	}
	bin := math.Max(0.5, math.Ceil(top*1.05/maxHistBins*2)/2)
	nbins := int(math.Floor(top/bin)) + 1
	counts := make([]int, nbins)
	maxCount := 1
	for _, s := range scores {
		i := min(max(int(math.Floor(s/bin)), 0), nbins-1)
		counts[i]++
		maxCount = max(maxCount, counts[i])
	}
	plotW, plotH := float64(histW-histLeft-histRight), float64(histH-histTop-histBot)
	x := func(v float64) float64 { return histLeft + plotW*v/(float64(nbins)*bin) }
	y := func(c int) float64 {
		return histTop + plotH*(1-math.Log10(1+float64(c))/math.Log10(1+float64(maxCount)))
	}
	for c := 1; c <= maxCount; c *= 10 {
		w.line(histLeft, y(c), histLeft+plotW, y(c), "grid")
		w.text(histLeft-4, y(c)+4, "end", "small", fmt.Sprint(c))
	}
	for i, c := range counts {
		if c > 0 {
			w.rect(x(float64(i)*bin)+0.5, y(c), math.Max(1, x(bin)-x(0)-1), histTop+plotH-y(c), "bar",
				fmt.Sprintf("%d accounts scoring %.1f to %.1f", c, float64(i)*bin, float64(i+1)*bin))
		}
	}
	w.line(histLeft, histTop+plotH, histLeft+plotW, histTop+plotH, "axis")
	w.line(histLeft, histTop, histLeft, histTop+plotH, "axis")
	for v := 0.0; v <= float64(nbins)*bin+1e-9; v += tickStep(float64(nbins) * bin) {
		w.line(x(v), histTop+plotH, x(v), histTop+plotH+4, "axis")
		w.text(x(v), histTop+plotH+16, "middle", "small", fmt.Sprintf("%g", v))
	}
	w.text(histLeft+plotW/2, histH-6, "middle", "", "score (decades of evidence); risk = score / (score + 5)")
	w.text(12, histTop-12, "start", "small", "accounts (log scale)")
	histMarks(&w, x, plotH, actions, tails)
	return w.close()
}

// histMarks draws the thresholds and the reference's tail marks.
func histMarks(w *svgWriter, x func(float64) float64, plotH float64, actions *Actions, tails []tailMark) {
	if actions != nil {
		for i, m := range []struct {
			name  string
			score float64
		}{{"alert", actions.Alert}, {"throttle", actions.Throttle}, {"suspend", actions.Suspend}} {
			w.f(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" class="th-%s"><title>%s at score ≥ %g</title></line>`,
				x(m.score), histTop-4, x(m.score), histTop+plotH, m.name, m.name, m.score)
			w.text(x(m.score)+3, float64(histTop+6+11*i), "start", "", fmt.Sprintf("%s ≥ %g", m.name, m.score))
		}
	}
	for i, m := range tails {
		y := float64(histTop + 6 + 11*(3+i))
		w.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="tail"><title>%s</title></line>`,
			x(m.score), y-8, x(m.score), histTop+plotH, esc(tailText(m)))
		w.text(x(m.score)-3, y, "end", "small", "ref. top "+pctText(m.limit))
	}
}

// tailText says where a tail mark is.
func tailText(m tailMark) string {
	if m.above {
		return fmt.Sprintf("the reference's top %s begins above its largest score, %.2f", pctText(m.limit), m.score)
	}
	return fmt.Sprintf("the reference's top %s begins at score %.2f", pctText(m.limit), m.score)
}

// tickStep is a round step giving about six ticks over span.
func tickStep(span float64) float64 {
	for _, s := range []float64{0.5, 1, 2, 5, 10, 20, 50, 100} {
		if span/s <= 8 {
			return s
		}
	}
	return math.Pow(10, math.Ceil(math.Log10(span/8)))
}

// pctText shows a share as a percentage (0.002 → "0.2%").
func pctText(f float64) string { return fmt.Sprintf("%g%%", math.Round(f*1e6)/1e4) }
