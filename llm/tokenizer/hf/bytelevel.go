package hf

import "strings"

// GPT-2's byte-level alphabet: every byte is written as a printable
// character, the printable Latin-1 bytes as themselves and the others as
// the characters from U+0100 on, in byte order.
var (
	byteToRune [256]rune
	runeToByte = map[rune]byte{}
)

func init() {
	n := 0
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !(b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE) {
			r = rune(256 + n)
			n++
		}
		byteToRune[b] = r
		runeToByte[r] = byte(b)
	}
}

// byteLevelString writes each byte of s as its byte-level character.
func byteLevelString(s string) string {
	var b strings.Builder
	b.Grow(2 * len(s))
	for i := 0; i < len(s); i++ {
		b.WriteRune(byteToRune[s[i]])
	}
	return b.String()
}

// fromByteLevel maps byte-level characters back to bytes; ok is false when
// a character is not in the alphabet (Hugging Face then keeps the token's
// own bytes).
func fromByteLevel(s string) (string, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := runeToByte[r]
		if !ok {
			return s, false
		}
		out = append(out, b)
	}
	return string(out), true
}
