package chattemplate

import (
	"fmt"
	"strings"
	"unicode"
)

// tokKind is the kind of one lexical token.
type tokKind int

const (
	tokEOF tokKind = iota
	tokText
	tokExprOpen  // {{
	tokExprClose // }}
	tokStmtOpen  // {%
	tokStmtClose // %}
	tokName
	tokString
	tokInt
	tokFloat
	tokOp
)

type token struct {
	kind tokKind
	val  string
	pos  int // byte offset in the template source, for errors
}

// segment is raw template text or one tag, before whitespace control.
type segment struct {
	kind       byte // 't' text, '{' expression, '%' statement, '#' comment
	text       string
	pos        int
	trimLeft   bool // "{%-": strip whitespace before the tag
	trimRight, // "-%}": strip whitespace after the tag
	plus bool // "{%+": lstrip_blocks does not apply
	toks []token
}

// lex splits src into tokens with Jinja2's whitespace control as
// transformers configures it: trim_blocks and lstrip_blocks on, the single
// trailing newline of the source dropped (keep_trailing_newline off), and
// "\r\n" and "\r" read as "\n", in text and string literals alike.
func lex(src string) ([]token, error) {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	src = strings.TrimSuffix(src, "\n")
	segs, err := split(src)
	if err != nil {
		return nil, err
	}
	applyWhitespace(segs)
	var out []token
	for _, s := range segs {
		switch s.kind {
		case 't':
			if s.text != "" {
				out = append(out, token{kind: tokText, val: s.text, pos: s.pos})
			}
		case '{':
			out = append(out, token{kind: tokExprOpen, pos: s.pos})
			out = append(out, s.toks...)
			out = append(out, token{kind: tokExprClose, pos: s.pos})
		case '%':
			out = append(out, token{kind: tokStmtOpen, pos: s.pos})
			out = append(out, s.toks...)
			out = append(out, token{kind: tokStmtClose, pos: s.pos})
		}
	}
	return append(out, token{kind: tokEOF, pos: len(src)}), nil
}

// split cuts src into text and tag segments, tokenising inside tags (so a
// "}}" inside a string literal does not end the tag).
func split(src string) ([]segment, error) {
	var segs []segment
	i := 0
	for i < len(src) {
		j := nextTagStart(src, i)
		if j < 0 {
			segs = append(segs, segment{kind: 't', text: src[i:], pos: i})
			break
		}
		if j > i {
			segs = append(segs, segment{kind: 't', text: src[i:j], pos: i})
		}
		seg, end, err := lexTag(src, j)
		if err != nil {
			return nil, err
		}
		segs = append(segs, seg)
		i = end
	}
	return segs, nil
}

func nextTagStart(src string, from int) int {
	for i := from; i+1 < len(src); i++ {
		if src[i] == '{' && (src[i+1] == '{' || src[i+1] == '%' || src[i+1] == '#') {
			return i
		}
	}
	return -1
}

// lexTag reads the tag starting at src[at] and returns it with the offset
// just past its end.
func lexTag(src string, at int) (segment, int, error) {
	seg := segment{kind: src[at+1], pos: at}
	i := at + 2
	if i < len(src) && src[i] == '-' {
		seg.trimLeft = true
		i++
	} else if i < len(src) && src[i] == '+' {
		seg.plus = true
		i++
	}
	if seg.kind == '#' {
		end := strings.Index(src[i:], "#}")
		if end < 0 {
			return seg, 0, fmt.Errorf("offset %d: unclosed comment", at)
		}
		seg.trimRight = end > 0 && src[i+end-1] == '-'
		return seg, i + end + 2, nil
	}
	closer := "}}"
	if seg.kind == '%' {
		closer = "%}"
	}
	depth := 0 // open brackets: "{}}" inside a tag closes a dict first
	for {
		i = skipSpace(src, i)
		if i >= len(src) {
			return seg, 0, fmt.Errorf("offset %d: unclosed tag", at)
		}
		if depth == 0 && src[i] == '-' && strings.HasPrefix(src[i+1:], closer) {
			seg.trimRight = true
			return seg, i + 1 + len(closer), nil
		}
		if depth == 0 && strings.HasPrefix(src[i:], closer) {
			return seg, i + len(closer), nil
		}
		tok, next, err := lexToken(src, i)
		if err != nil {
			return seg, 0, err
		}
		if tok.kind == tokOp {
			switch tok.val {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth = max(depth-1, 0)
			}
		}
		seg.toks = append(seg.toks, tok)
		i = next
	}
}

func skipSpace(src string, i int) int {
	for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
		i++
	}
	return i
}

// operators, longest first so that "//" wins over "/".
var operators = []string{"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~",
	"<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "="}

func lexToken(src string, i int) (token, int, error) {
	c := src[i]
	switch {
	case c == '\'' || c == '"':
		s, next, err := lexString(src, i)
		return token{kind: tokString, val: s, pos: i}, next, err
	case c >= '0' && c <= '9':
		return lexNumber(src, i)
	case c == '_' || isLetter(c):
		j := i
		for j < len(src) && (src[j] == '_' || isLetter(src[j]) || (src[j] >= '0' && src[j] <= '9')) {
			j++
		}
		return token{kind: tokName, val: src[i:j], pos: i}, j, nil
	}
	for _, op := range operators {
		if strings.HasPrefix(src[i:], op) {
			return token{kind: tokOp, val: op, pos: i}, i + len(op), nil
		}
	}
	return token{}, 0, fmt.Errorf("offset %d: unexpected character %q", i, c)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func lexNumber(src string, i int) (token, int, error) {
	j := i
	for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '_') {
		j++
	}
	kind := tokInt
	if j+1 < len(src) && src[j] == '.' && src[j+1] >= '0' && src[j+1] <= '9' {
		kind = tokFloat
		j++
		for j < len(src) && src[j] >= '0' && src[j] <= '9' {
			j++
		}
	}
	return token{kind: kind, val: strings.ReplaceAll(src[i:j], "_", ""), pos: i}, j, nil
}

// lexString decodes a quoted literal with Python's escapes.
func lexString(src string, i int) (string, int, error) {
	quote := src[i]
	var b strings.Builder
	for j := i + 1; j < len(src); j++ {
		c := src[j]
		if c == quote {
			return b.String(), j + 1, nil
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		j++
		if j >= len(src) {
			break
		}
		n, err := writeEscape(&b, src, j)
		if err != nil {
			return "", 0, fmt.Errorf("offset %d: %w", j, err)
		}
		j += n
	}
	return "", 0, fmt.Errorf("offset %d: unclosed string", i)
}

// writeEscape writes the escape at src[j] (the byte after the backslash)
// and returns how many further bytes it consumed.
func writeEscape(b *strings.Builder, src string, j int) (int, error) {
	simple := map[byte]string{'n': "\n", 't': "\t", 'r': "\r", '\\': "\\", '\'': "'", '"': "\"",
		'a': "\a", 'b': "\b", 'f': "\f", 'v': "\v", '\n': ""}
	if s, ok := simple[src[j]]; ok {
		b.WriteString(s)
		return 0, nil
	}
	if src[j] >= '0' && src[j] <= '7' { // up to three octal digits
		n, r := 0, rune(0)
		for n < 3 && j+n < len(src) && src[j+n] >= '0' && src[j+n] <= '7' {
			r = r<<3 | rune(src[j+n]-'0')
			n++
		}
		b.WriteRune(r)
		return n - 1, nil
	}
	if src[j] == 'N' {
		return 0, fmt.Errorf("\\N{name} escapes are not supported")
	}
	width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[src[j]]
	if width == 0 {
		b.WriteByte('\\')
		b.WriteByte(src[j])
		return 0, nil
	}
	if j+width >= len(src) {
		return 0, fmt.Errorf("short \\%c escape", src[j])
	}
	var r rune
	for _, h := range src[j+1 : j+1+width] {
		d := unhex(h)
		if d < 0 {
			return 0, fmt.Errorf("bad \\%c escape", src[j])
		}
		r = r<<4 | rune(d)
	}
	if r > unicode.MaxRune {
		return 0, fmt.Errorf("escape beyond Unicode")
	}
	b.WriteRune(r)
	return width, nil
}

func unhex(c rune) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// applyWhitespace applies "-" modifiers, trim_blocks and lstrip_blocks to
// the text segments around tags, as Jinja2's lexer does: both ends are
// decided on the original text, so "%}\n    {%" loses the newline and the
// indentation.
func applyWhitespace(segs []segment) {
	for k := range segs {
		if segs[k].kind != 't' {
			continue
		}
		text := segs[k].text
		lo, hi := 0, len(text)
		if k > 0 {
			prev := segs[k-1]
			switch {
			case prev.trimRight:
				lo = len(text) - len(strings.TrimLeftFunc(text, unicode.IsSpace))
			case prev.kind == '%' || prev.kind == '#':
				lo = len(text) - len(trimOneNewline(text))
			}
		}
		if k+1 < len(segs) {
			next := segs[k+1]
			switch {
			case next.trimLeft:
				hi = len(strings.TrimRightFunc(text, unicode.IsSpace))
			case (next.kind == '%' || next.kind == '#') && !next.plus:
				hi = len(lstripBlock(text, k == 0))
			}
		}
		if lo >= hi {
			segs[k].text = ""
		} else {
			segs[k].text = text[lo:hi]
		}
	}
}

func trimOneNewline(s string) string {
	if strings.HasPrefix(s, "\r\n") {
		return s[2:]
	}
	return strings.TrimPrefix(s, "\n")
}

// lstripBlock removes the spaces and tabs between the last line start and
// a block tag, when nothing else stands there.
func lstripBlock(s string, atStart bool) string {
	nl := strings.LastIndexByte(s, '\n')
	if nl < 0 && !atStart {
		return s
	}
	if strings.Trim(s[nl+1:], " \t") != "" {
		return s
	}
	return s[:nl+1]
}
