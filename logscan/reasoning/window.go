package reasoning

import "math"

// Windows are runs of Window/Stride consecutive blocks of Stride runes;
// an n-gram belongs to the block of its last rune. A window's score is
//
//	bias + scale × Σ quantised weights of its n-grams / √(number of its n-grams)
//
// (term frequencies scaled to unit length, so that a window's score does
// not grow with its length), and a text's is its highest window's. The
// windows of a text are those ending at block K-1, K, ... and the one
// ending at its last block (all of it when it is shorter than a window).

// blockSum is a block's total weight and n-gram count.
type blockSum struct {
	c float64
	n int
}

// windowScore is a window's score from its blocks' sums, with weights
// that are scale times the sums' c.
func windowScore(bias, scale float64, blocks []blockSum) float64 {
	var c float64
	n := 0
	for _, b := range blocks {
		c += b.c
		n += b.n
	}
	return scoreOf(bias, scale, c, n)
}

// scoreOf is the score of a window of n n-grams whose weights sum to
// scale × c.
func scoreOf(bias, scale, c float64, n int) float64 {
	if n == 0 {
		return bias
	}
	return bias + float64(scale*c)/math.Sqrt(float64(n))
}

// windowMax streams a text's blocks and keeps its best window, holding the
// last k blocks' sums in a ring and the window's total as a running sum,
// so that a rune costs the same whatever the windows' overlap. The sums
// are of quantised (integer) weights: exact in any order, so the score is
// the same bits as windowScore's over the window's blocks.
type windowMax struct {
	k          int // blocks per window
	bias       float64
	scale      float64
	ring       []intSum // the last k blocks, by index mod k
	cur        int      // index of the block being filled
	block, win intSum   // the current block; blocks cur-k+1 … cur-1
	best       float64
	bestLo     int // first and last block of the best window
	bestHi     int
	seen       bool
}

// intSum is a block's or window's total quantised weight and n-gram count.
type intSum struct{ c, n int }

func (w *windowMax) reset(k int, bias, scale float64) {
	w.k, w.bias, w.scale, w.cur, w.seen = k, bias, scale, 0, false
	w.block, w.win = intSum{}, intSum{}
	if cap(w.ring) < k {
		w.ring = make([]intSum, k)
	}
	w.ring = w.ring[:k]
}

// close ends the current block and scores the window ending at it when
// it is a full one, or when final.
func (w *windowMax) close(final bool) {
	w.win.c += w.block.c
	w.win.n += w.block.n
	if w.cur >= w.k-1 || final {
		if s := scoreOf(w.bias, w.scale, float64(w.win.c), w.win.n); !w.seen || s > w.best {
			w.best, w.bestLo, w.bestHi, w.seen = s, max(0, w.cur-w.k+1), w.cur, true
		}
	}
	slot := &w.ring[w.cur%w.k]
	*slot = w.block
	if w.cur >= w.k-1 { // the oldest block leaves the next window
		old := w.ring[(w.cur+1)%w.k]
		w.win.c -= old.c
		w.win.n -= old.n
	}
	w.cur++
	w.block = intSum{}
}
