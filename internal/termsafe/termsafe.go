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
package termsafe

import (
	"strings"
	"unicode/utf8"
)

// Text returns s safe to print as (possibly multi-line) text: newline and
// tab are kept, every other unsafe character is escaped.
func Text(s string) string { return clean(s, false) }

// Line returns s safe to print as one line or one table cell: newline, tab
// and carriage return are escaped too, so s cannot break a line or a column.
func Line(s string) string { return clean(s, true) }

// Unsafe reports whether r is a character Text escapes (newline and tab
// are unsafe only in a line).
func Unsafe(r rune, line bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return line
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

func clean(s string, line bool) string {
	i := firstUnsafe(s, line)
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
		case Unsafe(r, line):
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
func firstUnsafe(s string, line bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || Unsafe(r, line) {
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
		if r < 0x80 {
			writeHex(b, `\x`, uint32(r), 2)
		} else {
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
			out = append(out, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			out = append(out, data[i:i+size]...)
		}
		i += size
	}
	return out
}
