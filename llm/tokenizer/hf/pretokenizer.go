package hf

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// piece is a run of text on its way to the model: first when it starts
// at the very beginning of the input (Metaspace's "first" scheme reads it).
type piece struct {
	text  string
	first bool
}

// A preTokenizer splits each piece into smaller ones and may rewrite them.
type preTokenizer func([]piece) ([]piece, error)

// splitWith cuts every piece with a matcher and a behavior, dropping
// empty pieces as Hugging Face's PreTokenizedString.split does.
func splitWith(m matcher, b behavior, invert bool) preTokenizer {
	return func(in []piece) ([]piece, error) {
		var out []piece
		for _, p := range in {
			sp, err := m.spans(p.text)
			if err != nil {
				return nil, err
			}
			for _, s := range arrange(sp, b, invert) {
				if s.end > s.start {
					out = append(out, piece{p.text[s.start:s.end], p.first && s.start == 0})
				}
			}
		}
		return out, nil
	}
}

// buildPreTokenizer builds a pre-tokenizer component; nil means none.
func buildPreTokenizer(c *component, depth int, count *int) (preTokenizer, error) {
	if c == nil {
		return nil, nil
	}
	if *count++; *count > maxComponents || depth > maxDepth {
		return nil, fmt.Errorf("pre-tokenizers nest deeper than %d or number more than %d", maxDepth, maxComponents)
	}
	switch c.Type {
	case "Sequence":
		var seq []preTokenizer
		for _, sub := range c.PreTokenizers {
			p, err := buildPreTokenizer(sub, depth+1, count)
			if err != nil {
				return nil, err
			}
			if p != nil {
				seq = append(seq, p)
			}
		}
		return func(ps []piece) ([]piece, error) {
			var err error
			for _, p := range seq {
				if ps, err = p(ps); err != nil {
					return nil, err
				}
			}
			return ps, nil
		}, nil
	case "Split":
		return buildSplit(c)
	case "ByteLevel":
		return buildByteLevel(c)
	case "Metaspace":
		return buildMetaspace(c)
	case "Digits":
		b := contiguous
		if c.IndividualDigits != nil && *c.IndividualDigits {
			b = isolated
		}
		// Rust's char::is_numeric: Nd, Nl and No, not only ASCII digits.
		return splitWith(charMatcher(unicode.IsNumber), b, false), nil
	case "WhitespaceSplit":
		return splitWith(charMatcher(unicode.IsSpace), removed, false), nil
	case "Whitespace":
		re, err := compileRegex(`\w+|[^\w\s]+`)
		if err != nil {
			return nil, err
		}
		return splitWith(regexMatcher{re}, removed, true), nil
	case "Punctuation":
		b := isolated
		if c.Behavior != "" {
			var err error
			if b, err = parseBehavior(c.Behavior); err != nil {
				return nil, err
			}
		}
		return splitWith(charMatcher(isPunctuation), b, false), nil
	}
	return nil, fmt.Errorf("pre-tokenizer %s is not supported (supported: Sequence, Split, ByteLevel, Metaspace, Digits, WhitespaceSplit, Whitespace, Punctuation)", clip(c.Type))
}

// isPunctuation is Hugging Face's is_punc: ASCII punctuation or Unicode P*.
func isPunctuation(r rune) bool {
	return unicode.IsPunct(r) || r < utf8.RuneSelf && unicode.IsSymbol(r)
}

// buildSplit builds Split: a string or regex pattern, a behavior, invert.
func buildSplit(c *component) (preTokenizer, error) {
	if c.Pattern == nil {
		return nil, fmt.Errorf("pre-tokenizer Split has no pattern")
	}
	b, err := parseBehavior(c.Behavior)
	if err != nil {
		return nil, fmt.Errorf("pre-tokenizer Split: %w", err)
	}
	invert := c.Invert != nil && *c.Invert
	switch {
	case c.Pattern.String != nil:
		if *c.Pattern.String == "" {
			return nil, fmt.Errorf("pre-tokenizer Split with an empty string pattern is not supported")
		}
		if len(*c.Pattern.String) > maxPatternBytes {
			return nil, fmt.Errorf("pre-tokenizer Split pattern is more than %d bytes", maxPatternBytes)
		}
		return splitWith(stringMatcher(*c.Pattern.String), b, invert), nil
	case c.Pattern.Regex != nil:
		re, err := compileRegex(*c.Pattern.Regex)
		if err != nil {
			return nil, fmt.Errorf("pre-tokenizer Split: %w", err)
		}
		return splitWith(regexMatcher{re}, b, invert), nil
	}
	return nil, fmt.Errorf("pre-tokenizer Split pattern is neither String nor Regex")
}

// gpt2Pattern is the pattern ByteLevel splits with when use_regex is set.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// buildByteLevel builds ByteLevel: an optional leading space, GPT-2's
// split (use_regex, on by default), then every byte written as the
// character GPT-2's table maps it to.
func buildByteLevel(c *component) (preTokenizer, error) {
	prefix := c.AddPrefixSpace == nil || *c.AddPrefixSpace
	var split preTokenizer
	if c.UseRegex == nil || *c.UseRegex {
		re, err := compileRegex(gpt2Pattern)
		if err != nil {
			return nil, err
		}
		split = splitWith(regexMatcher{re}, isolated, false)
	}
	return func(in []piece) ([]piece, error) {
		ps := in
		if prefix {
			ps = make([]piece, len(in))
			for i, p := range in {
				ps[i] = p
				if !strings.HasPrefix(p.text, " ") {
					ps[i].text = " " + p.text
				}
			}
		}
		if split != nil {
			var err error
			if ps, err = split(ps); err != nil {
				return nil, err
			}
		}
		for i := range ps {
			ps[i].text = byteLevelString(ps[i].text)
		}
		return ps, nil
	}, nil
}

// buildMetaspace builds Metaspace: spaces become the replacement
// character, which is prepended by the scheme, and the text is split
// before each replacement character.
func buildMetaspace(c *component) (preTokenizer, error) {
	rep := "▁"
	if c.Replacement != nil {
		rep = *c.Replacement
	}
	if utf8.RuneCountInString(rep) != 1 {
		return nil, fmt.Errorf("pre-tokenizer Metaspace replacement %s is not one character", clip(rep))
	}
	scheme := c.PrependScheme
	if scheme == "" {
		scheme = "always"
		if c.AddPrefixSpace != nil && !*c.AddPrefixSpace {
			scheme = "never"
		}
	}
	if scheme != "always" && scheme != "never" && scheme != "first" {
		return nil, fmt.Errorf("pre-tokenizer Metaspace prepend_scheme %s is not always, never or first", clip(scheme))
	}
	r, _ := utf8.DecodeRuneInString(rep)
	var split preTokenizer
	if c.Split == nil || *c.Split {
		split = splitWith(charMatcher(func(x rune) bool { return x == r }), mergedWithNext, false)
	}
	return func(in []piece) ([]piece, error) {
		ps := make([]piece, len(in))
		for i, p := range in {
			t := strings.ReplaceAll(p.text, " ", rep)
			if (scheme == "always" || scheme == "first" && p.first) && !strings.HasPrefix(t, rep) {
				t = rep + t
			}
			ps[i] = piece{t, p.first}
		}
		if split == nil {
			return ps, nil
		}
		return split(ps)
	}, nil
}
