package reasoning

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// scorer is Score's pass over a text: the featurizer's normalisation and
// n-grams, with each rune's n-grams' quantised weights summed straight
// into the current block of wm (nothing materialised; the hot path).
type scorer struct {
	p      Params
	mask   uint32
	q      []int8
	ring   [maxN]rune // the last MaxN runes
	isWord [maxN]bool
	pos    int  // runes added so far
	space  bool // the last rune added was a space
	toNext int  // runes until the current block ends
	buf    []byte
	wm     windowMax
}

// asciiFold and asciiWord are fold and isWordRune for ASCII.
var asciiFold, asciiWord = func() (f [utf8.RuneSelf]byte, w [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		f[c], w[c] = byte(fold(rune(c))), isWordRune(rune(c))
	}
	return f, w
}()

// run scores text and returns its best window's logit and blocks. An
// ASCII text is its own NFKC form and is read as it is; any other is
// normalised chunk by chunk, as featurizer.run does.
func (s *scorer) run(m *Model, text string) (logit float64, lo, hi int) {
	s.p, s.mask, s.q = m.p, uint32(1)<<m.p.HashBits-1, m.q
	s.wm.reset(s.p.Window/s.p.Stride, m.bias, m.scale)
	s.pos, s.space, s.toNext = 0, false, s.p.Stride
	s.add(' ', false)
	if isASCII(text) {
		for i := 0; i < len(text); i++ {
			c := asciiFold[text[i]]
			s.add(rune(c), asciiWord[c])
		}
	} else {
		s.runNFKC(text)
	}
	s.add(' ', false)
	s.wm.close(true)
	return s.wm.best, s.wm.bestLo, s.wm.bestHi
}

func (s *scorer) runNFKC(text string) {
	for len(text) > 0 {
		cut := chunkCut(text)
		s.buf = norm.NFKC.AppendString(s.buf[:0], text[:cut])
		text = text[cut:]
		for b := s.buf; len(b) > 0; {
			if c := b[0]; c < utf8.RuneSelf {
				f := asciiFold[c]
				s.add(rune(f), asciiWord[f])
				b = b[1:]
				continue
			}
			r, size := utf8.DecodeRune(b)
			b = b[size:]
			if !invisible(r) {
				r = fold(r)
				s.add(r, r != ' ' && isWordRune(r))
			}
		}
	}
}

// add appends rune r (unless it is a space after a space) and adds the
// weights of the n-grams ending at it to the current block. N-grams of
// punctuation and spaces alone are not features (featurizer.push).
func (s *scorer) add(r rune, word bool) {
	if r == ' ' {
		if s.space {
			return
		}
		s.space = true
	} else {
		s.space = false
	}
	if s.toNext == 0 { // r starts a new block
		s.wm.close(false)
		s.toNext = s.p.Stride
	}
	s.toNext--
	end := s.pos
	s.ring[uint(end)%maxN], s.isWord[uint(end)%maxN] = r, word
	s.pos++
	h := uint32(2166136261) // FNV-1a over the n-gram's runes, last first
	word = false
	c, k := 0, 0
	for n := 1; n <= s.p.MaxN && n <= s.pos; n++ {
		i := uint(end-n+1) % maxN
		h = (h ^ uint32(s.ring[i])) * 16777619
		word = word || s.isWord[i]
		if n >= s.p.MinN && word {
			c += int(s.q[finalize(h, n)&s.mask])
			k++
		}
	}
	s.wm.block.c += c
	s.wm.block.n += k
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
