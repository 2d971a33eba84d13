package reasoning

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// chunkBytes bounds how much of a text is normalised at a time, so
// scoring holds O(chunkBytes + window) memory for any input.
const chunkBytes = 16 << 10

// Params fix what a model reads: its n-gram sizes, hash space and window.
// They are part of a trained model and of its binary form.
type Params struct {
	MinN, MaxN int // n-gram sizes in runes, inclusive
	HashBits   int // the weight vector has 1<<HashBits entries
	// Window is a window's length in runes and Stride how far consecutive
	// windows start apart (Window a multiple of Stride): any span of at
	// most Window-Stride runes lies whole inside some window.
	Window, Stride int
}

// maxN bounds MaxN (the rune ring below).
const maxN = 8

func (p Params) valid() bool {
	return p.MinN >= 1 && p.MinN <= p.MaxN && p.MaxN <= maxN &&
		p.HashBits >= 8 && p.HashBits <= 20 &&
		p.Stride >= 1 && p.Window >= p.Stride && p.Window%p.Stride == 0 && p.Window <= 1<<16
}

// gram is one n-gram occurrence: its hash bucket, its length in runes
// and the position (in runes of the normalised text) of its last rune.
type gram struct {
	bucket uint32
	n      int
	end    int
}

// featurizer turns text into n-gram occurrences, in order of their last
// rune, in one pass: NFKC, lower case, white space runs as one space, and
// a space before the first and after the last rune (word boundaries).
type featurizer struct {
	p      Params
	mask   uint32
	ring   [maxN]rune // the last MaxN runes
	isWord [maxN]bool // whether each is a letter or digit
	pos    int        // runes emitted so far
	space  bool       // the last rune emitted was a space
	buf    []byte     // a normalised chunk
	out    [maxN]gram // push's result
	// onRune, when set, sees every rune of the normalised text.
	onRune func(pos int, r rune)
}

// text is an n-gram's runes; valid only inside emit.
func (f *featurizer) text(g gram) string {
	rs := make([]rune, 0, g.n)
	for i := g.end - g.n + 1; i <= g.end; i++ {
		rs = append(rs, f.ring[uint(i)%maxN])
	}
	return string(rs)
}

func newFeaturizer(p Params) *featurizer {
	return &featurizer{p: p, mask: uint32(1)<<p.HashBits - 1}
}

// run feeds text and calls emit with the n-grams ending at each rune,
// then returns the number of runes of the normalised text.
func (f *featurizer) run(text string, emit func([]gram)) int {
	f.pos, f.space = 0, false
	emit(f.push(' '))
	for len(text) > 0 {
		cut := chunkCut(text)
		f.buf = norm.NFKC.AppendString(f.buf[:0], text[:cut])
		text = text[cut:]
		for b := f.buf; len(b) > 0; {
			r, size := rune(b[0]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRune(b)
			}
			b = b[size:]
			if !invisible(r) {
				emit(f.push(fold(r)))
			}
		}
	}
	emit(f.push(' '))
	return f.pos
}

// fold maps white space to ' ' and letters to lower case.
func fold(r rune) rune {
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

// invisible reports whether r is a format character (zero-width space and
// joiners, soft hyphen, bidi marks): dropped, so that one inside a word
// does not hide the word's n-grams.
func invisible(r rune) bool {
	return r >= utf8.RuneSelf && unicode.Is(unicode.Cf, r)
}

// isWordRune reports whether r is a letter or digit.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// chunkCut is where to cut text's next chunk: at most chunkBytes in, at a
// rune that starts a new normalisation segment (so NFKC of the pieces is
// NFKC of the whole), or at any rune start if none is near.
func chunkCut(text string) int {
	if len(text) <= chunkBytes {
		return len(text)
	}
	for i := chunkBytes; i > chunkBytes-64; i-- {
		if utf8.RuneStart(text[i]) && norm.NFKC.PropertiesString(text[i:]).BoundaryBefore() {
			return i
		}
	}
	i := chunkBytes
	for i > 0 && !utf8.RuneStart(text[i]) {
		i--
	}
	return i
}

// push appends one rune (collapsing spaces) and returns the n-grams that
// end at it (valid until the next push). N-grams of punctuation and
// spaces alone (". ", "? ") are not features: they say more about how a
// data set was written than about what a request asks.
func (f *featurizer) push(r rune) []gram {
	if !f.add(r) {
		return nil
	}
	end := f.pos - 1
	out := f.out[:0]
	h := uint32(2166136261) // FNV-1a over the n-gram's runes, last first
	word := false
	for n := 1; n <= f.p.MaxN && n <= f.pos; n++ {
		i := uint(end-n+1) % maxN
		c := f.ring[i]
		word = word || f.isWord[i]
		h = (h ^ uint32(c)) * 16777619
		if n >= f.p.MinN && word {
			out = append(out, gram{bucket: finalize(h, n) & f.mask, n: n, end: end})
		}
	}
	return out
}

// add appends r to the normalised text, unless it is a space after a
// space, and reports whether it did.
func (f *featurizer) add(r rune) bool {
	if r == ' ' {
		if f.space {
			return false
		}
		f.space = true
	} else {
		f.space = false
	}
	f.ring[uint(f.pos)%maxN] = r
	f.isWord[uint(f.pos)%maxN] = r != ' ' && isWordRune(r)
	if f.onRune != nil {
		f.onRune(f.pos, r)
	}
	f.pos++
	return true
}

// finalize mixes the n-gram's length into its hash and spreads the bits.
func finalize(h uint32, n int) uint32 {
	h ^= uint32(n) * 0x9e3779b9
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	return h
}
