package hf

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// span is a piece of a string found by a pattern: [start, end) in bytes,
// and whether the pattern matched it.
type span struct {
	start, end int
	match      bool
}

// behavior is what Split does with the matches (Hugging Face's
// SplitDelimiterBehavior).
type behavior int

const (
	removed behavior = iota
	isolated
	mergedWithPrevious
	mergedWithNext
	contiguous
)

func parseBehavior(s string) (behavior, error) {
	switch s {
	case "Removed":
		return removed, nil
	case "Isolated":
		return isolated, nil
	case "MergedWithPrevious":
		return mergedWithPrevious, nil
	case "MergedWithNext":
		return mergedWithNext, nil
	case "Contiguous":
		return contiguous, nil
	}
	return 0, fmt.Errorf("split behavior %s is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous", clip(s))
}

// matcher finds the spans of a string: matches and the runs between
// them, covering it.
type matcher interface {
	spans(s string) ([]span, error)
}

// stringMatcher matches a literal string, non-overlapping left to right.
type stringMatcher string

func (m stringMatcher) spans(s string) ([]span, error) {
	var out []span
	prev := 0
	for prev < len(s) {
		at := strings.Index(s[prev:], string(m))
		if at < 0 {
			break
		}
		at += prev
		if at > prev {
			out = append(out, span{prev, at, false})
		}
		out = append(out, span{at, at + len(m), true})
		prev = at + len(m)
	}
	if prev < len(s) {
		out = append(out, span{prev, len(s), false})
	}
	return out, nil
}

// charMatcher matches each character for which the predicate holds, one
// match per character, as Hugging Face's character patterns do.
type charMatcher func(rune) bool

func (m charMatcher) spans(s string) ([]span, error) {
	var out []span
	prev := 0
	for i, r := range s {
		if !m(r) {
			continue
		}
		if i > prev {
			out = append(out, span{prev, i, false})
		}
		n := utf8.RuneLen(r)
		if r == utf8.RuneError {
			_, n = utf8.DecodeRuneInString(s[i:])
		}
		out = append(out, span{i, i + n, true})
		prev = i + n
	}
	if prev < len(s) {
		out = append(out, span{prev, len(s), false})
	}
	return out, nil
}

// regexMatcher matches a compiled pattern.
type regexMatcher struct{ re *regexp2.Regexp }

func (m regexMatcher) spans(s string) ([]span, error) {
	rs := []rune(s)
	// offs[i] is the byte offset of rune i (the text is valid UTF-8).
	offs := make([]int, len(rs)+1)
	o := 0
	for i, r := range rs {
		offs[i] = o
		o += utf8.RuneLen(r)
	}
	offs[len(rs)] = o
	var out []span
	prev := 0
	err := eachMatch(m.re, rs, func(start, end int) {
		if offs[start] > prev {
			out = append(out, span{prev, offs[start], false})
		}
		out = append(out, span{offs[start], offs[end], true})
		prev = offs[end]
	})
	if err != nil {
		return nil, err
	}
	if prev < len(s) {
		out = append(out, span{prev, len(s), false})
	}
	return out, nil
}

// arrange applies a behavior to spans (inverted first if asked) and
// returns the pieces to keep, as Hugging Face's NormalizedString.split.
func arrange(sp []span, b behavior, invert bool) []span {
	if invert {
		for i := range sp {
			sp[i].match = !sp[i].match
		}
	}
	var out []span
	switch b {
	case removed:
		for _, s := range sp {
			if !s.match {
				out = append(out, s)
			}
		}
	case isolated:
		out = sp
	case mergedWithPrevious:
		prevMatch := false
		for _, s := range sp {
			if s.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].end = s.end
			} else {
				out = append(out, s)
			}
			prevMatch = s.match
		}
	case mergedWithNext:
		prevMatch := false
		for i := len(sp) - 1; i >= 0; i-- {
			s := sp[i]
			if s.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].start = s.start
			} else {
				out = append(out, s)
			}
			prevMatch = s.match
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	case contiguous:
		prevMatch := false
		for _, s := range sp {
			if s.match == prevMatch && len(out) > 0 {
				out[len(out)-1].end = s.end
			} else {
				out = append(out, s)
			}
			prevMatch = s.match
		}
	}
	return out
}
