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
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].item == all[i].item {
			j++
		}
		if hit, ok := s.hitOf(all[i].item, distinctIndexes(all[i:j], func(f found) uint32 { return f.index })); ok {
			positions := make([]int, 0, j-i)
			for _, f := range all[i:j] {
				positions = append(positions, f.pos)
			}
			markRuns(covered, positions)
			hit.first = positions[0]
			hits = append(hits, hit)
		}
		i = j
	}
	slices.SortFunc(hits, func(a, b Hit) int { return a.first - b.first })
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

// markRuns marks the words of each stretch of hits (sorted positions of
// shingles' last words) no more than maxGap words apart.
func markRuns(covered []bool, positions []int) {
	from := positions[0] - (Shingle - 1)
	for k := 1; k <= len(positions); k++ {
		if k < len(positions) && positions[k]-positions[k-1] <= maxGap {
			continue
		}
		for w := max(from, 0); w <= positions[k-1]; w++ {
			covered[w] = true
		}
		if k < len(positions) {
			from = positions[k] - (Shingle - 1)
		}
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
