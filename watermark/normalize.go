package watermark

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize prepares text for detection, undoing the cheap edits that break
// tokenization without changing what a reader sees:
//
//  1. Unicode NFC composition (a decomposed "é" tokenizes differently);
//  2. removal of zero-width and invisible format characters (U+200B–U+200D,
//     U+2060–U+2064, U+FEFF, U+00AD soft hyphen, U+180E, U+034F);
//  3. homoglyph folding: in a word that contains at least one ASCII letter,
//     Cyrillic and Greek letters that look like Latin ones, and full-width
//     ASCII forms, become their ASCII twins ("pаypal" with a Cyrillic "а"
//     becomes "paypal").
//
// Folding is limited to mixed words on purpose: folding every Cyrillic "а"
// would change genuine Russian text, whose pieces the watermark was computed
// on, and destroy the signal it should preserve.
//
// Invalid UTF-8 bytes are kept as they are.
func Normalize(text string) string {
	text = norm.NFC.String(text)
	var b strings.Builder
	b.Grow(len(text))
	word := make([]rune, 0, 32)
	flush := func() {
		if len(word) == 0 {
			return
		}
		mixed := false
		for _, r := range word {
			if r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
				mixed = true
				break
			}
		}
		for _, r := range word {
			if mixed {
				r = foldRune(r)
			}
			b.WriteRune(r)
		}
		word = word[:0]
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size == 1 {
			flush()
			b.WriteByte(text[i])
			i++
			continue
		}
		i += size
		switch {
		case isInvisible(r):
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			word = append(word, r)
		default:
			flush()
			b.WriteRune(r)
		}
	}
	flush()
	return b.String()
}

func isInvisible(r rune) bool {
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064,
		0xFEFF, 0x00AD, 0x180E, 0x034F:
		return true
	}
	return false
}

func foldRune(r rune) rune {
	if 0xFF01 <= r && r <= 0xFF5E { // full-width ASCII forms
		return r - 0xFF01 + '!'
	}
	if f, ok := homoglyphs[r]; ok {
		return f
	}
	return r
}

// homoglyphs maps Cyrillic and Greek letters to the Latin letters they are
// drawn like in common fonts (a subset of Unicode's confusables.txt, chosen
// for letters an attacker can type into English text unnoticed).
var homoglyphs = map[rune]rune{
	// Cyrillic small
	'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x',
	'і': 'i', 'ј': 'j', 'ѕ': 's', 'ԁ': 'd', 'һ': 'h', 'ӏ': 'l', 'ԛ': 'q', 'ԝ': 'w',
	// Cyrillic capital
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O',
	'Р': 'P', 'С': 'C', 'Т': 'T', 'Х': 'X', 'Ѕ': 'S', 'І': 'I', 'Ј': 'J',
	'Ү': 'Y', 'Ԁ': 'D', 'Ԛ': 'Q', 'Ԝ': 'W',
	// Greek small
	'ο': 'o', 'ν': 'v', 'ρ': 'p', 'ι': 'i', 'κ': 'k', 'α': 'a', 'τ': 't', 'υ': 'u',
	// Greek capital
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K',
	'Μ': 'M', 'Ν': 'N', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
}
