// Package termsafe makes text from untrusted sources safe to show: on an
// operator's terminal, and in documents read on screen.
//
// A suspect model's error bodies, the account names and prompts of a
// request log and the fields of an evidence bundle may be written by an
// adversary. Printed raw, an escape sequence can retitle the terminal,
// clear the screen, hide lines or (on some terminals) inject input, and a
// bidirectional override can reorder what the reader sees. The functions
// here replace every such character with a visible escape in Go syntax
// (`\x1b`, `\r`, `\u202e`), so the text stays readable and nothing in it
// acts on the display. They are meant for the output edge: apply them where
// text is printed, not to data that is stored or compared.
//
// Escaped are: the C0 controls (U+0000–U+001F) other than newline and tab,
// DEL (U+007F), the C1 controls (U+0080–U+009F), the bidirectional
// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), and
// bytes that are not UTF-8 (as `\xNN`). An escape sequence loses its ESC
// and so prints as plain text.
//
// Text and Line also escape every invisible character: Unicode's format
// characters (category Cf: the zero-width space and joiners, the
// left-to-right and right-to-left marks, the Arabic letter mark, the word
// joiner, the byte-order mark, the soft hyphen, the tag characters), the
// line and paragraph separators, and the other default-ignorable code
// points (the Hangul fillers, the combining grapheme joiner, the
// variation selectors). Otherwise "user-0001" followed by a zero-width
// space shows as "user-0001", another account's name, and a mark can
// reorder what follows it. Document keeps to the first set: it is for
// documents whose text is a model's prose (where joiners and variation
// selectors are ordinary, in emoji and in Persian), and that verify renders
// again byte for byte, as they were first rendered.
package termsafe

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Text returns s safe to print as (possibly multi-line) text: newline and
// tab are kept, every other unsafe or invisible character is escaped.
func Text(s string) string { return clean(s, false, true) }

// Line returns s safe to print as one line or one table cell: newline, tab
// and carriage return are escaped too, so s cannot break a line or a column.
func Line(s string) string { return clean(s, true, true) }

// Document returns s safe to show in a rendered document (the report):
// like Text, but invisible characters other than the bidirectional
// controls are kept (see the package comment).
func Document(s string) string { return clean(s, false, false) }

// Unsafe reports whether r is a character Text escapes (newline and tab
// are unsafe only in a line).
func Unsafe(r rune, line bool) bool { return unsafe(r, line, true) }

func unsafe(r rune, line, invisible bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return line
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r < 0xa0:
		return false
	}
	return invisible && Invisible(r)
}

// Invisible reports whether r is drawn as nothing (or as blank) yet is
// part of the text: a format character (Cf), a line or paragraph
// separator, or another default-ignorable code point (Unicode's
// DerivedCoreProperties, as of Unicode 15).
func Invisible(r rune) bool {
	switch {
	case unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
		return true
	case r == 0x034f, r == 0x115f, r == 0x1160, r == 0x17b4, r == 0x17b5, r == 0x3164, r == 0xffa0:
		return true
	case r >= 0x180b && r <= 0x180f, r >= 0xfe00 && r <= 0xfe0f, r >= 0xfff0 && r <= 0xfff8:
		return true
	case r >= 0x2060 && r <= 0x206f, r >= 0xe0000 && r <= 0xe0fff:
		return true
	}
	return false
}

func clean(s string, line, invisible bool) string {
	i := firstUnsafe(s, line, invisible)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			writeHex(&b, `\x`, uint32(s[i]), 2)
		case unsafe(r, line, invisible):
			writeEscape(&b, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe is the byte offset of the first character clean changes, or
// -1 when there is none (the common case, which then allocates nothing).
func firstUnsafe(s string, line, invisible bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafe(r, line, invisible) {
			return i
		}
		i += size
	}
	return -1
}

func writeEscape(b *strings.Builder, r rune) {
	switch r {
	case '\n':
		b.WriteString(`\n`)
	case '\r':
		b.WriteString(`\r`)
	case '\t':
		b.WriteString(`\t`)
	default:
		switch {
		case r < 0x80:
			writeHex(b, `\x`, uint32(r), 2)
		case r > 0xffff:
			writeHex(b, `\U`, uint32(r), 8)
		default:
			writeHex(b, `\u`, uint32(r), 4)
		}
	}
}

const hexDigits = "0123456789abcdef"

func writeHex(b *strings.Builder, prefix string, v uint32, digits int) {
	b.WriteString(prefix)
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(v>>shift)&0xf])
	}
}

// JSON returns encoded JSON (as written by encoding/json) with the unsafe
// characters that encoding/json leaves raw — DEL, the C1 controls and the
// bidirectional overrides and isolates — written as \u escapes, and bytes
// that are not UTF-8 as \ufffd. encoding/json already escapes the C0
// controls. The decoded values are unchanged: outside strings, valid JSON
// holds none of these characters.
func JSON(data []byte) []byte {
	i := 0
	for i < len(data) && data[i] < 0x7f {
		i++
	}
	if i == len(data) {
		return data
	}
	out := make([]byte, 0, len(data)+16)
	out = append(out, data[:i]...)
	for i < len(data) {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case r >= 0x7f && Unsafe(r, false):
			out = appendJSONEscape(out, r)
		default:
			out = append(out, data[i:i+size]...)
		}
		i += size
	}
	return out
}

// appendJSONEscape writes r as a JSON \u escape: a surrogate pair beyond
// the Basic Multilingual Plane (the tag characters).
func appendJSONEscape(out []byte, r rune) []byte {
	if r > 0xffff {
		hi, lo := utf16.EncodeRune(r)
		return appendJSONEscape(appendJSONEscape(out, hi), lo)
	}
	return append(out, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
