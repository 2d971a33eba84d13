package benchmarks

import (
	"slices"
	"strings"

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
func (s *Set) Strip(text string) (rest string, hits []Hit) {
	if s == nil || len(s.hashes) == 0 {
		return text, nil
	}
	if !isASCII(text) {
		text = norm.NFKC.String(text)
	}
	w := wordWriter{track: true}
	w.run(text)
	type found struct {
		item, index uint32
		pos         int // the shingle's last word
	}
	var all []found
	shingles(w.dst, w.ends, func(pos int, h uint64) {
		for i := s.find(h); i < len(s.hashes) && s.hashes[i] == h; i++ {
			all = append(all, found{s.items[i], uint32(i), pos})
		}
	})
	slices.SortFunc(all, func(a, b found) int {
		if a.item != b.item {
			return int(a.item) - int(b.item)
		}
		return a.pos - b.pos
	})
	covered := make([]bool, len(w.ends))
	type placed struct {
		Hit
		first int
	}
	var inText []placed
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].item == all[i].item {
			j++
		}
		if hit, ok := s.hitOf(all[i].item, distinctIndexes(all[i:j], func(f found) uint32 { return f.index })); ok {
			positions := onePositionEach(all[i:j], func(f found) (uint32, int) { return f.index, f.pos })
			markRuns(covered, positions)
			inText = append(inText, placed{hit, positions[0]})
		}
		i = j
	}
	slices.SortFunc(inText, func(a, b placed) int { return a.first - b.first })
	for _, p := range inText {
		hits = append(hits, p.Hit)
	}
	return cutCovered(text, w.spans, covered), hits
}

// distinctIndexes counts the distinct stored shingles among the finds.
func distinctIndexes[T any](fs []T, index func(T) uint32) int {
	seen := make(map[uint32]bool, len(fs))
	for _, f := range fs {
		seen[index(f)] = true
	}
	return len(seen)
}

// onePositionEach keeps, of the places a stored shingle occurs (finds
// sorted by position), the one nearest the item's middle, and returns
// them sorted: an item holds a shingle once, and another copy is the
// sender's own words repeating a phrase of the item.
func onePositionEach[T any](fs []T, key func(T) (index uint32, pos int)) []int {
	_, mid := key(fs[len(fs)/2])
	nearest := map[uint32]int{}
	for _, f := range fs {
		index, pos := key(f)
		if p, ok := nearest[index]; !ok || abs(pos-mid) < abs(p-mid) {
			nearest[index] = pos
		}
	}
	out := make([]int, 0, len(nearest))
	for _, pos := range nearest {
		out = append(out, pos)
	}
	slices.Sort(out)
	return out
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
