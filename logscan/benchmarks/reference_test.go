package benchmarks

// The reference: Strip and its helpers as they were before they were made
// allocation-free (commit c9605c2), frozen here so that the equality
// tests and FuzzStripMatchesReference compare the two on any text.

import (
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Strip finds every benchmark item the text carries and returns the text
// without them, with a Hit for each item, in the order they appear.
// Whoever treats benchmark traffic apart should score the rest as an
// ordinary prompt: the client reads this repository and can paste a
// benchmark item around a harvesting prompt, so the item excuses itself
// and nothing else. The rest is cut from the NFKC form of the text; an
// item's first and last few words may stay in it.
func refStrip(s *Set, text string) (rest string, hits []Hit) {
	if s == nil || len(s.hashes) == 0 {
		return text, nil
	}
	if !refIsASCII(text) {
		text = norm.NFKC.String(text)
	}
	w := refWordWriter{track: true}
	w.run(text)
	type found struct {
		item, index uint32
		pos         int // the shingle's last word
	}
	var all []found
	refShingles(w.dst, w.ends, func(pos int, h uint64) {
		for i := refFind(s, h); i < len(s.hashes) && s.hashes[i] == h; i++ {
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
		if hit, ok := refHitOf(s, all[i].item, refDistinctIndexes(all[i:j], func(f found) uint32 { return f.index })); ok {
			positions := refOnePositionEach(all[i:j], func(f found) (uint32, int) { return f.index, f.pos })
			refMarkRuns(covered, positions)
			inText = append(inText, placed{hit, positions[0]})
		}
		i = j
	}
	slices.SortFunc(inText, func(a, b placed) int { return a.first - b.first })
	for _, p := range inText {
		hits = append(hits, p.Hit)
	}
	return refCutCovered(text, w.spans, covered), hits
}

// refDistinctIndexes counts the distinct stored shingles among the finds.
func refDistinctIndexes[T any](fs []T, index func(T) uint32) int {
	seen := make(map[uint32]bool, len(fs))
	for _, f := range fs {
		seen[index(f)] = true
	}
	return len(seen)
}

// refOnePositionEach keeps, of the places a stored shingle occurs (finds
// sorted by position), the one nearest the item's middle, and returns
// them sorted: an item holds a shingle once, and another copy is the
// sender's own words repeating a phrase of the item.
func refOnePositionEach[T any](fs []T, key func(T) (index uint32, pos int)) []int {
	_, mid := key(fs[len(fs)/2])
	nearest := map[uint32]int{}
	for _, f := range fs {
		index, pos := key(f)
		if p, ok := nearest[index]; !ok || refAbs(pos-mid) < refAbs(p-mid) {
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

func refAbs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// hitOf is the Hit for an item with shared of its shingles in a text, if
// that is a match.
func refHitOf(s *Set, item uint32, shared int) (Hit, bool) {
	of := int(s.shingle[item])
	if !matches(shared, of) {
		return Hit{}, false
	}
	k := s.suiteOf(item)
	return Hit{Suite: s.suites[k].Name, Item: int(item) - int(s.firsts[k]), Shared: shared, Of: of}, true
}

// refMarkRuns marks the words of each stretch of at least minRunHits hits
// (sorted positions of shingles' last words) no more than maxGap words
// apart.
func refMarkRuns(covered []bool, positions []int) {
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

// refCutCovered returns text without the source spans of covered words, each
// removed stretch replaced by one newline.
func refCutCovered(text string, spans [][2]int, covered []bool) string {
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

// refWordWriter is normalize's state; with spans set it also records where
// each kept word starts and ends in the text it read (for Strip).
type refWordWriter struct {
	dst   []byte
	ends  []int
	spans [][2]int // nil unless recording
	track bool
}

func (w *refWordWriter) run(s string) {
	start, srcStart := len(w.dst), 0
	var prev rune
	for i := 0; i < len(s); {
		if len(w.dst) == start {
			srcStart = i
		}
		if c := s[i]; c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			w.dst = append(w.dst, c) // the common case, without decoding
			prev = rune(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r >= 'A' && r <= 'Z':
			w.dst = append(w.dst, byte(r)+'a'-'A')
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)):
			w.dst = utf8.AppendRune(w.dst, unicode.ToLower(r))
		case r == '\'' || r == '\u2019' || r == '\u02bc':
			// inside a word: "don't" reads as "dont"
		case (r == ',' || r == '.') && isDigit(prev) && i < len(s) && isDigit(rune(s[i])):
			// inside a number: "5,000" reads as "5000"
		default:
			w.refEndWord(start, srcStart, i-size)
			start = len(w.dst)
		}
		prev = r
	}
	w.refEndWord(start, srcStart, len(s))
}

// refEndWord closes the word dst[start:] (s[srcStart:srcEnd] in the text),
// dropping it if it is a single letter.
func (w *refWordWriter) refEndWord(start, srcStart, srcEnd int) {
	if len(w.dst) == start {
		return
	}
	if r, size := utf8.DecodeRune(w.dst[start:]); start+size == len(w.dst) && unicode.IsLetter(r) {
		w.dst = w.dst[:start]
		return
	}
	w.dst = append(w.dst, ' ')
	w.ends = append(w.ends, len(w.dst)-1)
	if w.track {
		w.spans = append(w.spans, [2]int{srcStart, srcEnd})
	}
}

func refFind(s *Set, h uint64) int {
	b := h >> (64 - bucketBits)
	lo, hi := int(s.bucket[b]), int(s.bucket[b+1])
	return lo + sort.Search(hi-lo, func(j int) bool { return s.hashes[lo+j] >= h })
}

func refShingles(words []byte, ends []int, f func(i int, h uint64)) {
	for i := Shingle - 1; i < len(ends); i++ {
		from := 0
		if i >= Shingle {
			from = ends[i-Shingle] + 1
		}
		f(i, refFNV1a(words[from:ends[i]]))
	}
}

func refFNV1a(b []byte) uint64 {
	x := uint64(14695981039346656037)
	for _, c := range b {
		x ^= uint64(c)
		x *= 1099511628211
	}
	return x
}

func refIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
