package logscan

import (
	"fmt"
	"time"
)

// The page's time resolution comes from a ladder of bucket widths in
// which each width is a multiple of the one before, every bucket aligned
// to the Unix epoch (bucket k of width w covers [k·w, (k+1)·w) Unix
// seconds). So a bucket of one width lies inside exactly one bucket of
// every wider width: coarsening is a floored division of the index, and
// a histogram coarsened in any order of its requests is the same.
var ladderFixed = [...]int64{
	1, 5, 15, 30, // seconds
	60, 5 * 60, 15 * 60, 30 * 60, // minutes
	3600, 2 * 3600, 4 * 3600, 8 * 3600, // hours (8 h divides a day)
	86400, // then days, doubling: 2 d, 4 d, …
}

// maxLevel is the ladder's top: a width of 2^27 days (about 370,000
// years), wider than all of ±maxUnixSec, so that any log fits in two
// buckets and coarsening ends.
const maxLevel = uint8(len(ladderFixed)) - 1 + 27

// maxUnixSec bounds the times the page works with: about 139,000 years
// either side of 1970. A log's times are the client's to write (a Unix
// layout takes any number), and the page's arithmetic must not overflow.
const maxUnixSec = 1 << 42

// ladderWidth is the width in seconds of the ladder's rung level (at
// most maxLevel).
func ladderWidth(level uint8) int64 {
	level = min(level, maxLevel)
	if int(level) < len(ladderFixed) {
		return ladderFixed[level]
	}
	return 86400 << (int(level) - len(ladderFixed) + 1)
}

// unixSec is t in Unix seconds within ±maxUnixSec.
func unixSec(t time.Time) int64 { return min(max(t.Unix(), -maxUnixSec), maxUnixSec) }

// bucketOf is the index of the bucket of the given level holding sec
// (floored, so times before 1970 bin like the others).
func bucketOf(sec int64, level uint8) int64 { return floorDiv(sec, ladderWidth(level)) }

// levelFor is the finest level, at least from, at which the span
// [first, last] (Unix seconds) takes at most n buckets.
func levelFor(first, last int64, n int, from uint8) uint8 {
	l := from
	for l < maxLevel && bucketOf(last, l)-bucketOf(first, l) >= int64(n) {
		l++
	}
	return l
}

// widthText names a width of the ladder as the axis says it: "15 s",
// "minute", "2 h", "day", "4 days".
func widthText(level uint8) string {
	w := ladderWidth(level)
	switch {
	case w == 1:
		return "second"
	case w < 60:
		return fmt.Sprintf("%d s", w)
	case w == 60:
		return "minute"
	case w < 3600:
		return fmt.Sprintf("%d min", w/60)
	case w == 3600:
		return "hour"
	case w < 86400:
		return fmt.Sprintf("%d h", w/3600)
	case w == 86400:
		return "day"
	}
	return fmt.Sprintf("%d days", w/86400)
}
