package hf

import (
	"slices"
	"testing"
)

// TestPreTokenizers checks the simpler pre-tokenizers on the examples of
// Hugging Face's own tests.
func TestPreTokenizers(t *testing.T) {
	yes, no := true, false
	meta := func(scheme string, split *bool) *component {
		return &component{Type: "Metaspace", PrependScheme: scheme, Split: split}
	}
	tests := []struct {
		name  string
		c     *component
		in    string
		first bool
		want  []string
	}{
		{"digits", &component{Type: "Digits", IndividualDigits: &no}, "Hey 123 friend!", true, []string{"Hey ", "123", " friend!"}},
		{"digits individual", &component{Type: "Digits", IndividualDigits: &yes}, "Hey 123 friend!", true, []string{"Hey ", "1", "2", "3", " friend!"}},
		{"digits numeric", &component{Type: "Digits", IndividualDigits: &no}, "x١٢½", true, []string{"x", "١٢½"}},
		{"metaspace", meta("always", nil), "Hey friend!", true, []string{"▁Hey", "▁friend!"}},
		{"metaspace runs", meta("always", nil), "Hey   friend!", true, []string{"▁Hey", "▁", "▁", "▁friend!"}},
		{"metaspace first, not first", meta("first", nil), "Hey friend!", false, []string{"Hey", "▁friend!"}},
		{"metaspace first", meta("first", nil), "Hey friend!", true, []string{"▁Hey", "▁friend!"}},
		{"metaspace never, no split", meta("never", &no), "Hey friend!", true, []string{"Hey▁friend!"}},
		{"whitespace split", &component{Type: "WhitespaceSplit"}, "Hey  friend!\tok", true, []string{"Hey", "friend!", "ok"}},
		{"whitespace", &component{Type: "Whitespace"}, "Hey friend!!? ok", true, []string{"Hey", "friend", "!!?", "ok"}},
		{"punctuation", &component{Type: "Punctuation"}, "Hey friend!     How are you?!?", true,
			[]string{"Hey friend", "!", "     How are you", "?", "!", "?"}},
		{"bytelevel prefix", &component{Type: "ByteLevel", UseRegex: &no}, "hé", true, []string{"ĠhÃ©"}},
		{"bytelevel regex", &component{Type: "ByteLevel", AddPrefixSpace: &no}, "Hello my friend", true, []string{"Hello", "Ġmy", "Ġfriend"}},
	}
	for _, tt := range tests {
		count := 0
		pre, err := buildPreTokenizer(tt.c, 0, &count)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		ps, err := pre([]piece{{tt.in, tt.first}})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.text)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestAddedTokenOptions checks single_word, lstrip and rstrip as Hugging
// Face's AddedVocabulary applies them, and leftmost-longest matching.
func TestAddedTokenOptions(t *testing.T) {
	set := newAddedSet()
	set.add("<t>", &addedToken{ID: 1, Content: "<t>", SingleWord: true})
	set.add("[x]", &addedToken{ID: 2, Content: "[x]", LStrip: true, RStrip: true})
	set.add("[x]y", &addedToken{ID: 3, Content: "[x]y"})
	tests := []struct {
		in   string
		want []string // tokens as "#id:text"
	}{
		{"a<t>b", []string{"a<t>b"}},
		{"a <t> b", []string{"a ", "#1:<t>", " b"}},
		{"<t>", []string{"#1:<t>"}},
		{"a  [x]  b", []string{"a", "#2:  [x]  ", "b"}},
		{"a [x]y b", []string{"a ", "#3:[x]y", " b"}},
		{"[x] [x]", []string{"#2:[x] ", "#2:[x]"}},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range set.split(tt.in) {
			if c.token != nil {
				got = append(got, "#"+string(rune('0'+c.token.ID))+":"+c.text)
			} else {
				got = append(got, c.text)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}
