package benchmarks

import (
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"
)

// maxGap is the most words between two of an item's hits that Strip still
// reads as one stretch of the item. The 16 sampled shingles of a 100-word
// item lie about 6 words apart; a wider gap is text the sender put inside
// the item, and stays in the rest.
const maxGap = 12

// minRunHits is the fewest hits a stretch needs to be cut: a lone shingle
// of a matched item elsewhere in the text ("how many cars") is the
// sender's words that happen to recur in the item.
const minRunHits = 2

// Strip finds every benchmark item the text carries and returns the text
// without them, with a Hit for each item, in the order they appear.
// Whoever treats benchmark traffic apart should score the rest as an
// ordinary prompt: the client reads this repository and can paste a
// benchmark item around a harvesting prompt, so the item excuses itself
// and nothing else. The rest is cut from the NFKC form of the text; an
// item's first and last few words may stay in it.
//
// A text with no item costs one pass and allocates nothing beyond its
// NFKC form (none for ASCII): Strip runs on every part of every request.
func (s *Set) Strip(text string) (rest string, hits []Hit) {
	if s == nil || len(s.hashes) == 0 {
		return text, nil
	}
	if !isASCII(text) {
		text = norm.NFKC.String(text)
	}
	sc := stripPool.Get().(*stripScratch)
	defer sc.release()
	sc.w.reset(true)
	sc.w.run(text)
	sc.finds = s.findAll(sc.finds[:0], sc.w.dst, sc.w.ends)
	if len(sc.finds) < MinShared {
		return text, nil // no item can match: the common case
	}
	slices.SortFunc(sc.finds, func(a, b found) int {
		if a.item != b.item {
			return int(a.item) - int(b.item)
		}
		return a.pos - b.pos
	})
	sc.covered = slices.Grow(sc.covered[:0], len(sc.w.ends))[:len(sc.w.ends)]
	clear(sc.covered)
	sc.placed = sc.placed[:0]
	for i := 0; i < len(sc.finds); {
		j := i
		for j < len(sc.finds) && sc.finds[j].item == sc.finds[i].item {
			j++
		}
		sc.place(s, sc.finds[i:j])
		i = j
	}
	if len(sc.placed) == 0 {
		return text, nil
	}
	slices.SortFunc(sc.placed, func(a, b placed) int { return a.first - b.first })
	hits = make([]Hit, len(sc.placed))
	for i, p := range sc.placed {
		hits[i] = p.Hit
	}
	return cutCovered(text, sc.w.spans, sc.covered), hits
}

// found is a stored shingle of an item present in a text.
type found struct {
	item, index uint32
	pos         int // the shingle's last word
}

// placed is a matched item and the first word of its stretch.
type placed struct {
	Hit
	first int
}

// stripScratch is one Strip's reusable buffers.
type stripScratch struct {
	w         wordWriter
	finds     []found
	byIndex   []found
	positions []int
	covered   []bool
	placed    []placed
}

var stripPool = sync.Pool{New: func() any { return new(stripScratch) }}

// maxPooledWords bounds the buffers a scratch keeps for the next text, so
// that one huge text does not pin its memory.
const maxPooledWords = 1 << 16

func (sc *stripScratch) release() {
	if cap(sc.w.ends) > maxPooledWords || cap(sc.finds) > maxPooledWords {
		return
	}
	stripPool.Put(sc)
}

// findAll appends the stored shingles present in the normalised words,
// in order of position.
func (s *Set) findAll(dst []found, words []byte, ends []int) []found {
	for pos := Shingle - 1; pos < len(ends); pos++ {
		from := 0
		if pos >= Shingle {
			from = ends[pos-Shingle] + 1
		}
		h := fnv1a(words[from:ends[pos]])
		if !s.has(h) {
			continue
		}
		for i := s.find(h); i < len(s.hashes) && s.hashes[i] == h; i++ {
			dst = append(dst, found{s.items[i], uint32(i), pos})
		}
	}
	return dst
}

// place records the item of finds (one item's, sorted by position) if the
// text matches it, marking the words it covers.
func (sc *stripScratch) place(s *Set, finds []found) {
	sc.byIndex = append(sc.byIndex[:0], finds...)
	slices.SortStableFunc(sc.byIndex, func(a, b found) int { return int(a.index) - int(b.index) })
	shared := 0
	for i := range sc.byIndex {
		if i == 0 || sc.byIndex[i].index != sc.byIndex[i-1].index {
			shared++
		}
	}
	hit, ok := s.hitOf(finds[0].item, shared)
	if !ok {
		return
	}
	sc.positions = onePositionEach(sc.positions[:0], sc.byIndex, finds[len(finds)/2].pos)
	markRuns(sc.covered, sc.positions)
	sc.placed = append(sc.placed, placed{hit, sc.positions[0]})
}

// onePositionEach appends, of the places a stored shingle occurs (finds
// sorted by index, then position), the one nearest the item's middle mid
// (the earliest of equally near ones), and sorts them: an item holds a
// shingle once, and another copy is the sender's own words repeating a
// phrase of the item.
func onePositionEach(dst []int, byIndex []found, mid int) []int {
	for i := 0; i < len(byIndex); {
		best := byIndex[i].pos
		j := i + 1
		for ; j < len(byIndex) && byIndex[j].index == byIndex[i].index; j++ {
			if p := byIndex[j].pos; abs(p-mid) < abs(best-mid) {
				best = p
			}
		}
		dst = append(dst, best)
		i = j
	}
	slices.Sort(dst)
	return dst
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// hitOf is the Hit for an item with shared of its shingles in a text, if
// that is a match.
func (s *Set) hitOf(item uint32, shared int) (Hit, bool) {
	of := int(s.shingle[item])
	if !matches(shared, of) {
		return Hit{}, false
	}
	k := s.suiteOf(item)
	return Hit{Suite: s.suites[k].Name, Item: int(item) - int(s.firsts[k]), Shared: shared, Of: of}, true
}

// markRuns marks the words of each stretch of at least minRunHits hits
// (sorted positions of shingles' last words) no more than maxGap words
// apart.
func markRuns(covered []bool, positions []int) {
	first := 0
	for k := 1; k <= len(positions); k++ {
		if k < len(positions) && positions[k]-positions[k-1] <= maxGap {
			continue
		}
		if k-first >= minRunHits {
			for w := max(positions[first]-(Shingle-1), 0); w <= positions[k-1]; w++ {
				covered[w] = true
			}
		}
		first = k
	}
}

// cutCovered returns text without the source spans of covered words, each
// removed stretch replaced by one newline.
func cutCovered(text string, spans [][2]int, covered []bool) string {
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for i := 0; i < len(covered); {
		if !covered[i] {
			i++
			continue
		}
		j := i
		for j < len(covered) && covered[j] {
			j++
		}
		b.WriteString(text[last:spans[i][0]])
		b.WriteByte('\n')
		last = spans[j-1][1]
		i = j
	}
	b.WriteString(text[last:])
	return b.String()
}
