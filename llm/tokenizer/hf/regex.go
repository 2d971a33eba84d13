package hf

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/dlclark/regexp2"
)

// Hugging Face compiles the patterns of tokenizer.json with Oniguruma
// (Ruby syntax, UTF-8); this package runs them with regexp2 (.NET
// syntax), which has the look-ahead the patterns use. Where the two
// differ on what real files write, translate rewrites the pattern into the
// regexp2 form that matches what Oniguruma matches:
//
//   - (?i:...) folds case with Unicode's case folding in Oniguruma ('s
//     matches 'ſ, U+017F) but with per-character lower-casing in regexp2
//     (it does not): each letter in such a group becomes the class of
//     its whole simple case-folding orbit ([sSſ]).
//   - \s is Unicode's White_Space in Oniguruma; regexp2's \s is .NET's
//     (it adds no character but follows Go's tables): it is spelt out.
//   - \w is Letter, Mark, Decimal_Number and Connector_Punctuation in
//     Oniguruma; .NET leaves out the spacing and enclosing marks.
//   - ^ and $ are line anchors in Ruby syntax, string anchors in .NET.
//   - \h is a hexadecimal digit in Oniguruma and \x{...} a code point;
//     both are spelt out.
//
// Constructs that differ and are not translated are refused: (?i) on the
// whole pattern, a character class inside (?i:...), \S, \W or \H inside a
// class, and \G.

// whiteSpace is Unicode's White_Space property, Oniguruma's \s.
const whiteSpace = `\t\n\v\f\r\x20\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000`

// wordChars is Oniguruma's \w.
const wordChars = `\p{L}\p{M}\p{Nd}\p{Pc}`

// hexDigits is Oniguruma's \h.
const hexDigits = `0-9a-fA-F`

// compileRegex translates an Oniguruma pattern and compiles it, with the
// match timeout that bounds a backtracking pattern's time.
func compileRegex(pat string) (*regexp2.Regexp, error) {
	if len(pat) > maxPatternBytes {
		return nil, fmt.Errorf("regex is %d bytes, more than %d", len(pat), maxPatternBytes)
	}
	tr, err := translate(pat)
	if err != nil {
		return nil, fmt.Errorf("regex %s: %w", clip(pat), err)
	}
	re, err := regexp2.Compile(tr, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("regex %s: %w", clip(pat), err)
	}
	re.MatchTimeout = matchTimeout
	return re, nil
}

// translator rewrites a pattern rune by rune, tracking whether it is in a
// character class and how deep in case-insensitive groups.
type translator struct {
	in      []rune
	i       int
	out     strings.Builder
	inClass bool
	// groups is a stack of open groups, true for (?i:...).
	groups []bool
	fold   int
}

func translate(pat string) (string, error) {
	t := &translator{in: []rune(pat)}
	for t.i < len(t.in) {
		if err := t.step(); err != nil {
			return "", err
		}
	}
	if t.inClass {
		return "", fmt.Errorf("unterminated character class")
	}
	return t.out.String(), nil
}

func (t *translator) step() error {
	c := t.in[t.i]
	t.i++
	switch {
	case c == '\\':
		return t.escape()
	case t.inClass:
		if c == ']' {
			t.inClass = false
		}
		if c == '[' {
			return fmt.Errorf("nested character classes are not supported")
		}
		t.out.WriteRune(c)
	case c == '[':
		if t.fold > 0 {
			return fmt.Errorf("a character class inside (?i:...) is not supported")
		}
		t.openClass()
	case c == '(':
		return t.group()
	case c == ')':
		if n := len(t.groups); n > 0 {
			if t.groups[n-1] {
				t.fold--
			}
			t.groups = t.groups[:n-1]
		}
		t.out.WriteRune(c)
	case c == '^':
		t.out.WriteString(`(?m:^)`)
	case c == '$':
		t.out.WriteString(`(?m:$)`)
	case t.fold > 0 && unicode.IsLetter(c):
		t.out.WriteString(foldClass(c))
	default:
		t.out.WriteRune(c)
	}
	return nil
}

// openClass copies a class opening, with a leading ] taken literally as
// both engines do.
func (t *translator) openClass() {
	t.inClass = true
	t.out.WriteRune('[')
	if t.i < len(t.in) && t.in[t.i] == '^' {
		t.out.WriteRune('^')
		t.i++
	}
	if t.i < len(t.in) && t.in[t.i] == ']' {
		t.out.WriteString(`\]`)
		t.i++
	}
}

// group handles "(": a (?i:...) group is opened as a plain group whose
// letters are folded here; other flags are refused.
func (t *translator) group() error {
	rest := string(t.in[t.i:min(t.i+3, len(t.in))])
	switch {
	case strings.HasPrefix(rest, "?i:"):
		t.i += 3
		t.groups = append(t.groups, true)
		t.fold++
		t.out.WriteString("(?:")
		return nil
	case strings.HasPrefix(rest, "?") && len(rest) > 1 && strings.ContainsRune("imx-", []rune(rest)[1]):
		return fmt.Errorf("inline flags other than (?i:...) are not supported")
	}
	t.groups = append(t.groups, false)
	t.out.WriteRune('(')
	return nil
}

// escape handles a backslash and what follows.
func (t *translator) escape() error {
	if t.i >= len(t.in) {
		return fmt.Errorf("trailing backslash")
	}
	c := t.in[t.i]
	t.i++
	set := func(body string, negated bool) error {
		switch {
		case !t.inClass && negated:
			t.out.WriteString("[^" + body + "]")
		case !t.inClass:
			t.out.WriteString("[" + body + "]")
		case negated:
			return fmt.Errorf(`\%c inside a character class is not supported`, c)
		default:
			t.out.WriteString(body)
		}
		return nil
	}
	switch c {
	case 's', 'S':
		return set(whiteSpace, c == 'S')
	case 'w', 'W':
		return set(wordChars, c == 'W')
	case 'h', 'H':
		return set(hexDigits, c == 'H')
	case 'G':
		return fmt.Errorf(`\G is not supported`)
	case 'x':
		if t.i < len(t.in) && t.in[t.i] == '{' {
			return t.codePoint()
		}
	}
	if t.fold > 0 && !t.inClass && unicode.IsLetter(c) && !isEscapeLetter(c) {
		t.out.WriteString(foldClass(c))
		return nil
	}
	t.out.WriteRune('\\')
	t.out.WriteRune(c)
	if c == 'p' || c == 'P' {
		return t.property()
	}
	return nil
}

// property copies the {Name} of \p or \P.
func (t *translator) property() error {
	if t.i >= len(t.in) || t.in[t.i] != '{' {
		return nil
	}
	end := t.i
	for end < len(t.in) && t.in[end] != '}' {
		end++
	}
	if end == len(t.in) {
		return fmt.Errorf("unterminated \\p{...}")
	}
	t.out.WriteString(string(t.in[t.i : end+1]))
	t.i = end + 1
	return nil
}

// codePoint rewrites \x{HHHH} as the code point itself, escaped.
func (t *translator) codePoint() error {
	end := t.i + 1
	var r rune
	for end < len(t.in) && t.in[end] != '}' {
		d := t.in[end]
		v := strings.IndexRune("0123456789abcdef", unicode.ToLower(d))
		if v < 0 || r > unicode.MaxRune>>4 {
			return fmt.Errorf(`malformed \x{...}`)
		}
		r = r<<4 | rune(v)
		end++
	}
	if end == len(t.in) || end == t.i+1 || r > unicode.MaxRune {
		return fmt.Errorf(`malformed \x{...}`)
	}
	t.i = end + 1
	t.out.WriteString(regexp2.Escape(string(r)))
	return nil
}

// isEscapeLetter reports whether \c means something other than the letter.
func isEscapeLetter(c rune) bool {
	return strings.ContainsRune("abefnrtvdDpPkAzZbBuxc0123456789", c)
}

// foldClass is the class of the letters that case-fold to the same as c.
func foldClass(c rune) string {
	orbit := []rune{c}
	for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
		orbit = append(orbit, f)
	}
	if len(orbit) == 1 {
		return regexp2.Escape(string(c))
	}
	var b strings.Builder
	b.WriteRune('[')
	for _, r := range orbit {
		b.WriteString(regexp2.Escape(string(r)))
	}
	b.WriteRune(']')
	return b.String()
}
