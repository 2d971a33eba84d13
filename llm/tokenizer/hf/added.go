package hf

import (
	"unicode"
	"unicode/utf8"
)

// Added tokens (special or not) are cut out of the text before it is
// normalized, as Hugging Face's AddedVocabulary does: the tokens with
// normalized=false are found in the raw text; the runs between them are
// normalized; the tokens with normalized=true are then found, in their
// normalized form, in each normalized run. Matching is leftmost-longest
// and non-overlapping; single_word, lstrip and rstrip apply as there.

// addedSet is one of the two sets of added tokens, in a byte trie.
type addedSet struct {
	// next maps (node, byte) to the child node; node 0 is the root.
	next map[uint64]int32
	// ends[node] is the added token ending at node, or -1.
	ends   []int32
	tokens []*addedToken
}

func newAddedSet() *addedSet {
	return &addedSet{next: map[uint64]int32{}, ends: []int32{-1}}
}

// add puts a token (its matched form s) in the trie; the first of equal
// forms wins, like Aho-Corasick's lowest pattern index.
func (a *addedSet) add(s string, t *addedToken) {
	node := int32(0)
	for i := 0; i < len(s); i++ {
		k := uint64(node)<<8 | uint64(s[i])
		child, ok := a.next[k]
		if !ok {
			child = int32(len(a.ends))
			a.ends = append(a.ends, -1)
			a.next[k] = child
		}
		node = child
	}
	if a.ends[node] < 0 {
		a.ends[node] = int32(len(a.tokens))
		a.tokens = append(a.tokens, t)
	}
}

// longestAt returns the longest token starting at byte i of s and its
// length, or nil.
func (a *addedSet) longestAt(s string, i int) (*addedToken, int) {
	var best *addedToken
	n := 0
	node := int32(0)
	for j := i; j < len(s); j++ {
		child, ok := a.next[uint64(node)<<8|uint64(s[j])]
		if !ok {
			break
		}
		node = child
		if e := a.ends[node]; e >= 0 {
			best, n = a.tokens[e], j+1-i
		}
	}
	return best, n
}

// cut is a run of text (token nil) or an added token found in it.
type cut struct {
	text  string
	token *addedToken
	// start is the run's byte offset in what was searched.
	start int
}

// split finds the added tokens of s as Hugging Face's
// AddedVocabulary::find_matches does. It costs at most maxAddedBytes
// trie steps per byte of s.
func (a *addedSet) split(s string) []cut {
	if len(a.tokens) == 0 || s == "" {
		return []cut{{text: s}}
	}
	var out []cut
	startOffset := 0
	for i := 0; i < len(s); {
		t, n := a.longestAt(s, i)
		if t == nil {
			i++
			continue
		}
		start, stop := i, i+n
		i = stop
		if t.SingleWord && !(start == 0 || !endsWithWord(s[:start])) || t.SingleWord && !(stop == len(s) || !startsWithWord(s[stop:])) {
			continue
		}
		if t.LStrip {
			start = max(leftmostSpaceAtEnd(s[:start]), startOffset)
		}
		if t.RStrip {
			stop += rightmostSpaceAtStart(s[stop:])
		}
		if startOffset < start {
			out = append(out, cut{text: s[startOffset:start], start: startOffset})
		}
		out = append(out, cut{text: s[start:stop], token: t, start: start})
		startOffset = stop
	}
	if startOffset != len(s) {
		out = append(out, cut{text: s[startOffset:], start: startOffset})
	}
	return out
}

// isWordChar is the \w of Rust's regex crate (Unicode word characters).
func isWordChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.M, r) || unicode.Is(unicode.Nd, r) ||
		unicode.Is(unicode.Pc, r) || unicode.Is(unicode.Join_Control, r) || unicode.Is(unicode.Other_Alphabetic, r)
}

func endsWithWord(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return s != "" && isWordChar(r)
}

func startsWithWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s != "" && isWordChar(r)
}

// leftmostSpaceAtEnd is where the run of White_Space ending s starts.
func leftmostSpaceAtEnd(s string) int {
	i := len(s)
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		if !unicode.Is(unicode.White_Space, r) {
			break
		}
		i -= n
	}
	return i
}

// rightmostSpaceAtStart is the length of the run of White_Space starting s.
func rightmostSpaceAtStart(s string) int {
	for i, r := range s {
		if !unicode.Is(unicode.White_Space, r) {
			return i
		}
	}
	return len(s)
}
