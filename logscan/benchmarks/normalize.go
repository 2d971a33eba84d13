package benchmarks

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Shingle is the number of words in a shingle. Three words is the middle
// between two failures: a pair of words ("how many", "the sum") recurs in
// any text on the topic, and at five words one edited word breaks five of
// an item's shingles, so three edits in a 20-word item would leave less
// than half. At three, each edit breaks at most three shingles and a
// 3-word run of content words is rare outside its item.
const Shingle = 3

// normalize appends the words of s to dst, each followed by one space:
// NFKC, lower case, letters and digits kept, apostrophes and the
// separators inside numbers ("5,000", "2.5") dropped, any other
// punctuation or space a word break, and words of one letter dropped
// (option labels "A." or "(b)" change when a harness re-letters them, and
// the article "a" carries nothing). ends receives the end offset of each
// word in dst.
func normalize(dst []byte, ends []int, s string) ([]byte, []int) {
	if !isASCII(s) {
		s = norm.NFKC.String(s)
	}
	w := wordWriter{dst: dst, ends: ends}
	w.run(s)
	return w.dst, w.ends
}

// wordWriter is normalize's state; with spans set it also records where
// each kept word starts and ends in the text it read (for Strip).
type wordWriter struct {
	dst   []byte
	ends  []int
	spans [][2]int // nil unless recording
	track bool
}

// reset empties w for another text, keeping its buffers.
func (w *wordWriter) reset(track bool) {
	w.dst, w.ends, w.spans, w.track = w.dst[:0], w.ends[:0], w.spans[:0], track
}

func (w *wordWriter) run(s string) {
	start, srcStart := len(w.dst), 0
	var prev rune
	for i := 0; i < len(s); {
		if len(w.dst) == start {
			srcStart = i
		}
		if lowerOrDigit[s[i]] { // the common case: a run copied as it is
			j := i + 1
			for j < len(s) && lowerOrDigit[s[j]] {
				j++
			}
			w.dst = append(w.dst, s[i:j]...)
			prev = rune(s[j-1])
			i = j
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
			w.endWord(start, srcStart, i-size)
			start = len(w.dst)
		}
		prev = r
	}
	w.endWord(start, srcStart, len(s))
}

// endWord closes the word dst[start:] (s[srcStart:srcEnd] in the text),
// dropping it if it is a single letter.
func (w *wordWriter) endWord(start, srcStart, srcEnd int) {
	if len(w.dst) == start {
		return
	}
	if c := w.dst[start]; start+1 == len(w.dst) && c < utf8.RuneSelf {
		if c >= 'a' && c <= 'z' { // the common case, without decoding
			w.dst = w.dst[:start]
			return
		}
	} else if r, size := utf8.DecodeRune(w.dst[start:]); start+size == len(w.dst) && unicode.IsLetter(r) {
		w.dst = w.dst[:start]
		return
	}
	w.dst = append(w.dst, ' ')
	w.ends = append(w.ends, len(w.dst)-1)
	if w.track {
		w.spans = append(w.spans, [2]int{srcStart, srcEnd})
	}
}

// lowerOrDigit marks the bytes a–z and 0–9.
var lowerOrDigit = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
	}
	return t
}()

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// shingles calls f with the hash of every run of Shingle consecutive words
// of the normalised text (words joined by single spaces); a text of fewer
// words has none.
func shingles(words []byte, ends []int, f func(i int, h uint64)) {
	for i := Shingle - 1; i < len(ends); i++ {
		from := 0
		if i >= Shingle {
			from = ends[i-Shingle] + 1
		}
		f(i, fnv1a(words[from:ends[i]]))
	}
}

// hasContentWord reports whether any of words first..last is not a
// function word.
func hasContentWord(words []byte, ends []int, first, last int) bool {
	for j := first; j <= last; j++ {
		from := 0
		if j > 0 {
			from = ends[j-1] + 1
		}
		if !functionWords[string(words[from:ends[j]])] {
			return true
		}
	}
	return false
}

// fnv1a is the 64-bit FNV-1a hash: fixed by the file format (version 1).
func fnv1a(b []byte) uint64 {
	x := uint64(14695981039346656037)
	for _, c := range b {
		x ^= uint64(c)
		x *= 1099511628211
	}
	return x
}

// functionWords are English words that carry no topic: a shingle of them
// alone ("and it is", "of the") occurs in any text.
var functionWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{
		"the", "an", "and", "or", "but", "if", "then", "than", "so", "as", "of", "to", "in", "on", "at", "by",
		"for", "with", "from", "into", "onto", "about", "over", "under", "after", "before", "up", "down", "out",
		"off", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "done", "has", "have",
		"had", "having", "will", "would", "shall", "should", "can", "could", "may", "might", "must", "it", "its",
		"this", "that", "these", "those", "there", "here", "he", "she", "they", "we", "you", "me", "him", "her",
		"them", "us", "his", "hers", "their", "our", "your", "my", "mine", "who", "whom", "whose", "which",
		"what", "when", "where", "why", "how", "not", "no", "yes", "all", "any", "each", "every", "some",
		"such", "only", "also", "very", "too", "just", "more", "most", "many", "much", "one", "other", "same",
		"own", "again", "further", "once", "both", "few", "nor", "now", "while", "because", "until", "between",
		"through", "during", "above", "below", "against", "per", "via", "get", "got", "let", "lets", "dont",
	} {
		m[w] = true
	}
	return m
}()
