package watermark

import (
	"forensics/stats"
)

// Window is the most significant span found by localised detection.
type Window struct {
	// Size is the window length in scored tuples; Start and End (exclusive)
	// index the pieces it spans, ByteStart and ByteEnd the (normalised)
	// text.
	Size      int `json:"size"`
	Start     int `json:"start"`
	End       int `json:"end"`
	ByteStart int `json:"byte_start"`
	ByteEnd   int `json:"byte_end"`
	Scored    int `json:"scored"`
	Green     int `json:"green"`
	// Log10P is the span's own exact tail; Log10PCorrected multiplies it by
	// WindowsTried (Bonferroni), because the span is the best of a search.
	Log10P          float64 `json:"log10_p"`
	Log10PCorrected float64 `json:"log10_p_corrected"`
	WindowsTried    int     `json:"windows_tried"`
}

// DefaultWindows are the window sizes tried by localised detection. Below
// 32 tuples no span can reach small p-values after the search correction.
var DefaultWindows = []int{32, 64, 128, 256, 512, 1024}

// searchWindows slides windows of each size (in scored tuples, stride a
// quarter of the size) over the mask and returns the span with the smallest
// p-value, corrected for every window tried. Sizes not smaller than the
// number of scored tuples are skipped: the whole-text test covers them.
func searchWindows(mask []byte, pieces []string, sizes []int, gamma float64) *Window {
	// pos[i] is the piece index of the i-th scored tuple; cum[i] the greens
	// among the first i scored.
	pos := make([]int, 0, len(mask))
	cum := []int{0}
	for i, m := range mask {
		if m == MaskGreen || m == MaskRed {
			pos = append(pos, i)
			g := cum[len(cum)-1]
			if m == MaskGreen {
				g++
			}
			cum = append(cum, g)
		}
	}
	n := len(pos)
	var best *Window
	tried := 0
	for _, w := range sizes {
		if w <= 0 || w >= n {
			continue
		}
		stride := max(1, w/4)
		for start := 0; ; start += stride {
			if start+w > n {
				start = n - w // one last window, flush with the end
			}
			tried++
			s := cum[start+w] - cum[start]
			lp := stats.Log10BinomUpperTail(s, w, gamma)
			if best == nil || lp < best.Log10P {
				best = &Window{Size: w, Start: pos[start], End: pos[start+w-1] + 1, Scored: w, Green: s, Log10P: lp}
			}
			if start+w == n {
				break
			}
		}
	}
	if best == nil {
		return nil
	}
	best.WindowsTried = tried
	best.Log10PCorrected = stats.BonferroniLog10(best.Log10P, tried)
	if pieces != nil {
		off := 0
		for i, p := range pieces {
			if i == best.Start {
				best.ByteStart = off
			}
			off += len(p)
			if i == best.End-1 {
				best.ByteEnd = off
				break
			}
		}
	}
	return best
}
