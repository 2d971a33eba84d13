package hf

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/dlclark/regexp2"
	"golang.org/x/text/unicode/norm"
)

// A normalizer rewrites a run of text before it is pre-tokenized, as the
// normalizers of Hugging Face's tokenizers do (without the alignment
// tracking: only the normalized text decides the ids).
type normalizer interface {
	normalize(s string) (string, error)
}

type normalizerFunc func(string) (string, error)

func (f normalizerFunc) normalize(s string) (string, error) { return f(s) }

// buildNormalizer builds a normalizer component; nil means none.
func buildNormalizer(c *component, depth int, count *int) (normalizer, error) {
	if c == nil {
		return nil, nil
	}
	if *count++; *count > maxComponents || depth > maxDepth {
		return nil, fmt.Errorf("normalizers nest deeper than %d or number more than %d", maxDepth, maxComponents)
	}
	plain := func(f func(string) string) normalizer {
		return normalizerFunc(func(s string) (string, error) { return f(s), nil })
	}
	switch c.Type {
	case "Sequence":
		var seq []normalizer
		for _, sub := range c.Normalizers {
			n, err := buildNormalizer(sub, depth+1, count)
			if err != nil {
				return nil, err
			}
			if n != nil {
				seq = append(seq, n)
			}
		}
		return normalizerFunc(func(s string) (string, error) {
			var err error
			for _, n := range seq {
				if s, err = n.normalize(s); err != nil {
					return "", err
				}
			}
			return s, nil
		}), nil
	case "NFC":
		return plain(norm.NFC.String), nil
	case "NFD":
		return plain(norm.NFD.String), nil
	case "NFKC":
		return plain(norm.NFKC.String), nil
	case "NFKD":
		return plain(norm.NFKD.String), nil
	case "Lowercase":
		return plain(lowercase), nil
	case "StripAccents":
		return plain(stripAccents), nil
	case "Strip":
		left, right := c.StripLeft == nil || *c.StripLeft, c.StripRight == nil || *c.StripRight
		return plain(func(s string) string { return strip(s, left, right) }), nil
	case "Prepend":
		if c.Prepend == nil {
			return nil, fmt.Errorf("normalizer Prepend has no prepend")
		}
		p := *c.Prepend
		return plain(func(s string) string {
			if s == "" {
				return s
			}
			return p + s
		}), nil
	case "Replace":
		return buildReplace(c)
	}
	return nil, fmt.Errorf("normalizer %s is not supported (supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, Strip, Prepend, Replace)", clip(c.Type))
}

// buildReplace builds Replace, which replaces every non-overlapping
// occurrence of a string or regex match, left to right.
func buildReplace(c *component) (normalizer, error) {
	if c.Pattern == nil || c.Content == nil {
		return nil, fmt.Errorf("normalizer Replace needs a pattern and a content")
	}
	content := *c.Content
	switch {
	case c.Pattern.String != nil:
		old := *c.Pattern.String
		if old == "" {
			return nil, fmt.Errorf("normalizer Replace with an empty pattern is not supported")
		}
		return normalizerFunc(func(s string) (string, error) { return strings.ReplaceAll(s, old, content), nil }), nil
	case c.Pattern.Regex != nil:
		re, err := compileRegex(*c.Pattern.Regex)
		if err != nil {
			return nil, fmt.Errorf("normalizer Replace: %w", err)
		}
		return normalizerFunc(func(s string) (string, error) { return replaceRegex(re, s, content) }), nil
	}
	return nil, fmt.Errorf("normalizer Replace pattern is neither String nor Regex")
}

// replaceRegex replaces each match of re with content, literally (no
// group references, as in Hugging Face).
func replaceRegex(re *regexp2.Regexp, s, content string) (string, error) {
	rs := []rune(s)
	var b strings.Builder
	prev := 0
	err := eachMatch(re, rs, func(start, end int) {
		b.WriteString(string(rs[prev:start]))
		b.WriteString(content)
		prev = end
	})
	if err != nil {
		return "", err
	}
	b.WriteString(string(rs[prev:]))
	return b.String(), nil
}

// eachMatch calls f with the rune offsets of each non-empty match of re
// in rs, left to right, non-overlapping.
func eachMatch(re *regexp2.Regexp, rs []rune, f func(start, end int)) error {
	m, err := retrySpurious(func() (*regexp2.Match, error) { return re.FindRunesMatch(rs) })
	for ; m != nil && err == nil; m, err = retrySpurious(func() (*regexp2.Match, error) { return re.FindNextMatch(m) }) {
		if m.Length > 0 {
			f(m.Index, m.Index+m.Length)
		}
	}
	if err != nil {
		return fmt.Errorf("regex: %w", err)
	}
	return nil
}

// retrySpurious runs a match again when it timed out long before its
// time: regexp2's timeout clock is a goroutine that, idle or starved on a
// busy machine, jumps forward in one step and fails a match that has just
// started (seen here on a 700-byte paragraph with a 5 s timeout). A real
// timeout takes at least half the budget and is returned.
func retrySpurious(match func() (*regexp2.Match, error)) (*regexp2.Match, error) {
	for try := 0; ; try++ {
		start := time.Now()
		m, err := match()
		if err == nil || try == 3 || time.Since(start) >= matchTimeout/2 {
			return m, err
		}
	}
}

// lowercase is Hugging Face's Lowercase: each character lower-cased on
// its own with Rust's char::to_lowercase, which differs from Go's
// unicode.ToLower only for İ (it becomes i and a combining dot above).
// There is no context rule: a final Σ becomes σ, not ς.
func lowercase(s string) string {
	if !strings.ContainsRune(s, 'İ') {
		return strings.ToLower(s)
	}
	var b strings.Builder
	for _, r := range s {
		if r == 'İ' {
			b.WriteString("i\u0307")
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// stripAccents drops the non-spacing marks (used after NFD).
func stripAccents(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, s)
}

// strip trims White_Space on the chosen sides.
func strip(s string, left, right bool) string {
	if left {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if right {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}
