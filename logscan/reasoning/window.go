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
	if n == 0 {
		return bias
	}
	return bias + float64(scale*c)/math.Sqrt(float64(n))
}

// windowMax streams a text's blocks and keeps its best window, in memory
// of one window's blocks.
type windowMax struct {
	k      int // blocks per window
	bias   float64
	scale  float64
	ring   []blockSum // the last k blocks, by index mod k
	cur    int        // index of the block being filled
	sum    blockSum
	best   float64
	bestLo int // first and last block of the best window
	bestHi int
	seen   bool
	tmp    []blockSum
}

func (w *windowMax) reset(k int, bias, scale float64) {
	w.k, w.bias, w.scale, w.cur, w.sum, w.seen = k, bias, scale, 0, blockSum{}, false
	if cap(w.ring) < k {
		w.ring, w.tmp = make([]blockSum, k), make([]blockSum, 0, k)
	}
	w.ring = w.ring[:k]
}

// add counts n n-grams of total weight c in block blk (blocks come in
// order).
func (w *windowMax) add(blk int, c float64, n int) {
	for w.cur < blk {
		w.close(false)
	}
	w.sum.c += c
	w.sum.n += n
}

// close ends the current block and scores the window ending at it when
// it is a full one, or when final.
func (w *windowMax) close(final bool) {
	w.ring[w.cur%w.k] = w.sum
	if w.cur >= w.k-1 || final {
		lo := max(0, w.cur-w.k+1)
		w.tmp = w.tmp[:0]
		for b := lo; b <= w.cur; b++ {
			w.tmp = append(w.tmp, w.ring[b%w.k])
		}
		if s := windowScore(w.bias, w.scale, w.tmp); !w.seen || s > w.best {
			w.best, w.bestLo, w.bestHi, w.seen = s, lo, w.cur, true
		}
	}
	w.cur++
	w.sum = blockSum{}
}

// finish closes the text's last block (of a text of runes runes) and
// returns the best window's score and its blocks.
func (w *windowMax) finish(runes, stride int) (best float64, lo, hi int) {
	last := max(0, (runes-1)/stride)
	for w.cur < last {
		w.close(false)
	}
	w.close(true)
	return w.best, w.bestLo, w.bestHi
}
