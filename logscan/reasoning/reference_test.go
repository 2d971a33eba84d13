package reasoning

// The reference: Score's path as it was before it was made faster
// (commit c9605c2: featurizer.sumRun and windowMax), frozen here so that
// the equality tests and FuzzScoreMatchesReference compare the two on any
// text.

import (
	"math"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const refChunkBytes = 16 << 10

type refFeaturizer struct {
	p      Params
	mask   uint32
	ring   [maxN]rune
	isWord [maxN]bool
	pos    int
	space  bool
	buf    []byte
}

// refScore is Model.Score as it was.
func refScore(m *Model, text string) float64 {
	logit, _, _ := refBest(m, text)
	return sigmoid(logit)
}

// refState is the reference's pooled state, as Model kept it.
type refState struct {
	f  refFeaturizer
	wm refWindowMax
}

var refPool = sync.Pool{New: func() any { return new(refState) }}

func refBest(m *Model, text string) (logit float64, lo, hi int) {
	st := refPool.Get().(*refState)
	defer refPool.Put(st)
	st.f.p, st.f.mask = m.p, uint32(1)<<m.p.HashBits-1
	st.wm.reset(m.p.Window/m.p.Stride, m.bias, m.scale)
	runes := st.f.sumRun(text, m.q, &st.wm)
	return st.wm.finish(runes, m.p.Stride)
}

// sumRun is run for scoring: it adds each rune's n-grams' quantised
// weights to wm directly, without materialising them (the hot path).
func (f *refFeaturizer) sumRun(text string, q []int8, wm *refWindowMax) int {
	f.pos, f.space = 0, false
	f.sum(' ', q, wm)
	for len(text) > 0 {
		cut := refChunkCut(text)
		f.buf = norm.NFKC.AppendString(f.buf[:0], text[:cut])
		text = text[cut:]
		for b := f.buf; len(b) > 0; {
			r, size := rune(b[0]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRune(b)
			}
			b = b[size:]
			if !refInvisible(r) {
				f.sum(refFold(r), q, wm)
			}
		}
	}
	f.sum(' ', q, wm)
	return f.pos
}

// sum is push for sumRun.
func (f *refFeaturizer) sum(r rune, q []int8, wm *refWindowMax) {
	if !f.add(r) {
		return
	}
	end := f.pos - 1
	h := uint32(2166136261)
	word := false
	c, k := 0, 0
	for n := 1; n <= f.p.MaxN && n <= f.pos; n++ {
		i := uint(end-n+1) % maxN
		h = (h ^ uint32(f.ring[i])) * 16777619
		word = word || f.isWord[i]
		if n >= f.p.MinN && word {
			c += int(q[refFinalize(h, n)&f.mask])
			k++
		}
	}
	if k > 0 {
		wm.add(end/f.p.Stride, float64(c), k)
	}
}

// refFold maps white space to ' ' and letters to lower case.
func refFold(r rune) rune {
	if r < utf8.RuneSelf {
		switch {
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			return ' '
		}
		return r
	}
	if unicode.IsSpace(r) {
		return ' '
	}
	return unicode.ToLower(r)
}

// refInvisible reports whether r is a format character (zero-width space and
// joiners, soft hyphen, bidi marks): dropped, so that one inside a word
// does not hide the word's n-grams.
func refInvisible(r rune) bool {
	return r >= utf8.RuneSelf && unicode.Is(unicode.Cf, r)
}

// refIsWordRune reports whether r is a letter or digit.
func refIsWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// refChunkCut is where to cut text's next chunk: at most refChunkBytes in, at a
// rune that starts a new normalisation segment (so NFKC of the pieces is
// NFKC of the whole), or at any rune start if none is near.
func refChunkCut(text string) int {
	if len(text) <= refChunkBytes {
		return len(text)
	}
	for i := refChunkBytes; i > refChunkBytes-64; i-- {
		if utf8.RuneStart(text[i]) && norm.NFKC.PropertiesString(text[i:]).BoundaryBefore() {
			return i
		}
	}
	i := refChunkBytes
	for i > 0 && !utf8.RuneStart(text[i]) {
		i--
	}
	return i
}

// add appends r to the normalised text, unless it is a space after a
// space, and reports whether it did.
func (f *refFeaturizer) add(r rune) bool {
	if r == ' ' {
		if f.space {
			return false
		}
		f.space = true
	} else {
		f.space = false
	}
	f.ring[uint(f.pos)%maxN] = r
	f.isWord[uint(f.pos)%maxN] = r != ' ' && refIsWordRune(r)
	f.pos++
	return true
}

// refFinalize mixes the n-gram's length into its hash and spreads the bits.
func refFinalize(h uint32, n int) uint32 {
	h ^= uint32(n) * 0x9e3779b9
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	return h
}

// refBlockSum is a block's total weight and n-gram count.
type refBlockSum struct {
	c float64
	n int
}

// refWindowScore is a window's score from its blocks' sums, with weights
// that are scale times the sums' c.
func refWindowScore(bias, scale float64, blocks []refBlockSum) float64 {
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

// refWindowMax streams a text's blocks and keeps its best window, in memory
// of one window's blocks.
type refWindowMax struct {
	k      int // blocks per window
	bias   float64
	scale  float64
	ring   []refBlockSum // the last k blocks, by index mod k
	cur    int           // index of the block being filled
	sum    refBlockSum
	best   float64
	bestLo int // first and last block of the best window
	bestHi int
	seen   bool
	tmp    []refBlockSum
}

func (w *refWindowMax) reset(k int, bias, scale float64) {
	w.k, w.bias, w.scale, w.cur, w.sum, w.seen = k, bias, scale, 0, refBlockSum{}, false
	if cap(w.ring) < k {
		w.ring, w.tmp = make([]refBlockSum, k), make([]refBlockSum, 0, k)
	}
	w.ring = w.ring[:k]
}

// add counts n n-grams of total weight c in block blk (blocks come in
// order).
func (w *refWindowMax) add(blk int, c float64, n int) {
	for w.cur < blk {
		w.close(false)
	}
	w.sum.c += c
	w.sum.n += n
}

// close ends the current block and scores the window ending at it when
// it is a full one, or when final.
func (w *refWindowMax) close(final bool) {
	w.ring[w.cur%w.k] = w.sum
	if w.cur >= w.k-1 || final {
		lo := max(0, w.cur-w.k+1)
		w.tmp = w.tmp[:0]
		for b := lo; b <= w.cur; b++ {
			w.tmp = append(w.tmp, w.ring[b%w.k])
		}
		if s := refWindowScore(w.bias, w.scale, w.tmp); !w.seen || s > w.best {
			w.best, w.bestLo, w.bestHi, w.seen = s, lo, w.cur, true
		}
	}
	w.cur++
	w.sum = refBlockSum{}
}

// finish closes the text's last block (of a text of runes runes) and
// returns the best window's score and its blocks.
func (w *refWindowMax) finish(runes, stride int) (best float64, lo, hi int) {
	last := max(0, (runes-1)/stride)
	for w.cur < last {
		w.close(false)
	}
	w.close(true)
	return w.best, w.bestLo, w.bestHi
}
