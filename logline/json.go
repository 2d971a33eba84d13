package logline

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// parser is a one-pass JSON reader over a line's bytes: it validates what
// it skips and gives up (returns false) on anything encoding/json would
// read differently, rather than guess.
type parser struct {
	b            []byte
	i            int
	in           Interner
	seenMessages bool
}

// Interner keeps one copy of each string that repeats from line to line
// (account, address, client, endpoint, model, role), up to maxInterned.
type Interner map[string]string

const maxInterned = 1 << 16

func (in Interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	if len(in) < maxInterned {
		in[s] = s
	}
	return s
}

// idField is strField for a value that repeats across lines.
func (p *parser) idField(dst *string) bool {
	if p.in == nil || p.peek() != '"' {
		return p.strField(dst)
	}
	save := p.i
	if raw, ok := p.rawString(); ok {
		*dst = p.in.get(raw)
		return true
	}
	p.i = save
	return p.strField(dst)
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// object parses {"k": v, ...}, calling field with each key positioned at
// its value; field must consume the value.
func (p *parser) object(field func(key []byte) bool) bool {
	if p.peek() != '{' {
		return false
	}
	p.i++
	p.ws()
	if p.peek() == '}' {
		p.i++
		return true
	}
	for {
		p.ws()
		key, ok := p.rawString()
		if !ok {
			return false
		}
		p.ws()
		if p.peek() != ':' {
			return false
		}
		p.i++
		p.ws()
		if !field(key) {
			return false
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return true
		default:
			return false
		}
	}
}

// rawString returns a string's bytes when it has no escapes and is valid
// UTF-8; otherwise false (keys with escapes are left to encoding/json).
func (p *parser) rawString() ([]byte, bool) {
	if p.peek() != '"' {
		return nil, false
	}
	start := p.i + 1
	ascii := true
	for j := start; j < len(p.b); j++ {
		c := p.b[j]
		switch {
		case c == '"':
			s := p.b[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			p.i = j + 1
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, false
}

// str parses a JSON string value, decoding escapes.
func (p *parser) str() (string, bool) {
	if p.peek() != '"' {
		return "", false
	}
	if s, ok := p.rawString(); ok {
		return string(s), true
	}
	// With escapes: decode by hand.
	j := p.i + 1
	out := make([]byte, 0, 64)
	for j < len(p.b) {
		c := p.b[j]
		switch {
		case c == '"':
			if !utf8.Valid(out) {
				return "", false
			}
			p.i = j + 1
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(p.b) {
			return "", false
		}
		switch e := p.b[j+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
			j += 2
		case 'b':
			out, j = append(out, '\b'), j+2
		case 'f':
			out, j = append(out, '\f'), j+2
		case 'n':
			out, j = append(out, '\n'), j+2
		case 'r':
			out, j = append(out, '\r'), j+2
		case 't':
			out, j = append(out, '\t'), j+2
		case 'u':
			r, n, ok := hex4(p.b, j+2)
			if !ok {
				return "", false
			}
			j = n
			if utf16.IsSurrogate(r) {
				// A pair, or encoding/json's replacement character.
				r2, n2, ok2 := rune(0), 0, false
				if j+1 < len(p.b) && p.b[j] == '\\' && p.b[j+1] == 'u' {
					r2, n2, ok2 = hex4(p.b, j+2)
				}
				if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
					r, j = dec, n2
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return "", false
}

func hex4(b []byte, at int) (rune, int, bool) {
	if at+4 > len(b) {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	if err != nil {
		return 0, 0, false
	}
	return rune(v), at + 4, true
}

// number parses a JSON number.
func (p *parser) number() (float64, bool) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	intStart := p.i
	if digits() == 0 || (p.b[intStart] == '0' && p.i-intStart > 1) {
		return 0, false
	}
	if p.peek() == '.' {
		p.i++
		if digits() == 0 {
			return 0, false
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	return v, err == nil
}

// literal consumes true, false or null.
func (p *parser) literal(word string) bool {
	if p.i+len(word) <= len(p.b) && string(p.b[p.i:p.i+len(word)]) == word {
		p.i += len(word)
		return true
	}
	return false
}

// skip validates and passes over any value.
func (p *parser) skip(depth int) bool {
	if depth > 64 {
		return false
	}
	switch c := p.peek(); {
	case c == '"':
		_, ok := p.str()
		return ok
	case c == '{':
		return p.object(func([]byte) bool { return p.skip(depth + 1) })
	case c == '[':
		return p.array(func() bool { return p.skip(depth + 1) })
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, ok := p.number()
		return ok
	}
	return false
}

func (p *parser) array(elem func() bool) bool {
	if p.peek() != '[' {
		return false
	}
	p.i++
	p.ws()
	if p.peek() == ']' {
		p.i++
		return true
	}
	for {
		p.ws()
		if !elem() {
			return false
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return true
		default:
			return false
		}
	}
}

// strField reads a string field the way encoding/json does into a string
// (null leaves it unchanged); anything else gives up.
func (p *parser) strField(dst *string) bool {
	if p.literal("null") {
		return true
	}
	s, ok := p.str()
	*dst = s
	return ok
}

func (p *parser) numField(dst *float64) bool {
	if p.literal("null") {
		return true
	}
	v, ok := p.number()
	*dst = v
	return ok
}
