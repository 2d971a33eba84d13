package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Words is a deterministic splitter in the spirit of GPT-2's pre-tokenizer:
// a piece is a run of letters, of up to three digits, or of other symbols,
// each taking one leading space with it, or a run of white space. It stands
// in for a served model's tokenizer when none is given; a watermark embedded
// over a real model's pieces must be detected with that model's tokenizer.
type Words struct{}

// ID implements Tokenizer.
func (Words) ID() string { return "words-v1" }

type class uint8

const (
	classSpace class = iota
	classLetter
	classDigit
	classOther
)

func classify(r rune) class {
	switch {
	case r == ' ' || r == '\t' || r == '\n' || r == '\r' || unicode.IsSpace(r):
		return classSpace
	case r < utf8.RuneSelf:
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
			return classLetter
		case '0' <= r && r <= '9':
			return classDigit
		}
		return classOther
	case unicode.IsLetter(r) || unicode.IsMark(r):
		return classLetter
	case unicode.IsDigit(r):
		return classDigit
	}
	return classOther
}

// maxDigits caps a digit run, as Llama-3 style tokenizers do, so long numbers
// become several pieces.
const maxDigits = 3

// Pieces implements Tokenizer. Invalid UTF-8 bytes form pieces of their own
// class "other", so every byte of the input appears in exactly one piece.
func (Words) Pieces(text string) ([]string, error) {
	if text == "" {
		return nil, nil
	}
	out := make([]string, 0, len(text)/4+1)
	i := 0
	for i < len(text) {
		start := i
		r, size := utf8.DecodeRuneInString(text[i:])
		c := classify(r)
		if c == classSpace {
			// A single space directly before a non-space joins the next piece.
			j := i
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if classify(r2) != classSpace {
					break
				}
				j += s2
			}
			if j < len(text) && text[j-1] == ' ' && j-1 > i {
				out = append(out, text[i:j-1])
				i = j - 1
				continue
			}
			if j < len(text) && text[j-1] == ' ' && j-1 == i {
				// Lone space: fall through and attach it to the next run.
				i = j
				r, size = utf8.DecodeRuneInString(text[i:])
				c = classify(r)
			} else {
				out = append(out, text[i:j])
				i = j
				continue
			}
		}
		i += size
		digits := 1
		for i < len(text) {
			r2, s2 := utf8.DecodeRuneInString(text[i:])
			if classify(r2) != c {
				break
			}
			if c == classDigit {
				if digits == maxDigits {
					break
				}
				digits++
			}
			if c == classOther && (r == utf8.RuneError || r2 == utf8.RuneError) {
				break // keep invalid bytes apart
			}
			i += s2
		}
		out = append(out, text[start:i])
	}
	return out, nil
}
