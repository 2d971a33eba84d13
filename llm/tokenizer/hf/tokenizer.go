package hf

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Tokenizer encodes text as a Hugging Face tokenizer.json says, with
// add_special_tokens=false: the post-processor's tokens (a BOS, say) are
// not added, and special tokens written in the text are encoded as the
// special tokens (the default of Hugging Face's encode). It implements
// forensics' tokenizer.Tokenizer and is safe for concurrent use.
type Tokenizer struct {
	canonical  []byte
	id         string
	normalizer normalizer
	pre        preTokenizer
	model      *bpe
	// raw holds the added tokens found before normalization, normalized
	// those found after.
	raw, normalized *addedSet
	// By id: the token as the file writes it, its piece (the text it
	// stands for), whether it is a special added token, whether the id
	// has a token at all.
	tokens  []string
	pieces  []string
	special []bool
	known   []bool
	// post is what EncodeWithSpecialTokens adds.
	post postProcessor
}

// ID names the tokenizer: "tokenizer.json:sha256:" and the SHA-256 of its canonical
// tokenizer.json.
func (t *Tokenizer) ID() string { return t.id }

// Canonical returns the tokenizer.json this tokenizer was built from, in
// canonical form (what Parse of it builds the same tokenizer from).
func (t *Tokenizer) Canonical() []byte { return t.canonical }

// Size is one more than the largest token id.
func (t *Tokenizer) Size() int { return len(t.tokens) }

// Token returns the vocabulary entry of id as the file writes it ("" for
// an id with no token).
func (t *Tokenizer) Token(id int32) string {
	if id < 0 || int(id) >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// TokenID returns the id of a vocabulary entry or added token.
func (t *Tokenizer) TokenID(token string) (int32, bool) {
	if id, ok := t.model.vocab[token]; ok {
		return id, true
	}
	for i, tok := range t.tokens {
		if tok == token && t.known[i] {
			return int32(i), true
		}
	}
	return 0, false
}

// Piece returns the text id stands for: the bytes of a byte-level token,
// a space for ▁, the byte of a <0xXX> byte-fallback token (alone, not
// valid UTF-8 when it is part of a longer character), an added token's
// content.
func (t *Tokenizer) Piece(id int32) string {
	if id < 0 || int(id) >= len(t.pieces) {
		return ""
	}
	return t.pieces[id]
}

// IsSpecial reports whether id is a special added token.
func (t *Tokenizer) IsSpecial(id int32) bool {
	return id >= 0 && int(id) < len(t.special) && t.special[id]
}

// Decode returns the concatenated pieces of ids: the text as the model
// read it (with a SentencePiece-style leading space kept, and byte-fallback
// bytes joined back into characters).
func (t *Tokenizer) Decode(ids []int32) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(t.Piece(id))
	}
	return b.String()
}

// Pieces implements tokenizer.Tokenizer: the pieces of the ids Encode
// returns. They concatenate to the text as the model reads it, normalized
// (NFC, say) and with any prefix the normalizer or pre-tokenizer adds,
// except where the model reads an unknown token (its piece is the
// token's own text) or an added token strips the whitespace around it.
func (t *Tokenizer) Pieces(text string) ([]string, error) {
	ids, err := t.Encode(text)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = t.pieces[id]
	}
	return out, nil
}

// Encode returns the token ids of text, as Hugging Face's encode with
// add_special_tokens=false. Invalid UTF-8 is read as U+FFFD, one per
// invalid byte, as Go's string-to-rune conversion and JSON encoding do.
func (t *Tokenizer) Encode(text string) ([]int32, error) {
	text = validUTF8(text)
	var ids []int32
	for _, c := range t.raw.split(text) {
		if c.token != nil {
			ids = append(ids, int32(c.token.ID))
			continue
		}
		var err error
		if ids, err = t.encodeRun(ids, c.text, c.start == 0); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// encodeRun encodes a run of text between raw added tokens.
func (t *Tokenizer) encodeRun(ids []int32, s string, first bool) ([]int32, error) {
	if t.normalizer != nil {
		var err error
		if s, err = t.normalizer.normalize(s); err != nil {
			return nil, fmt.Errorf("normalize: %w", err)
		}
	}
	for _, c := range t.normalized.split(s) {
		if c.token != nil {
			ids = append(ids, int32(c.token.ID))
			continue
		}
		if c.text == "" {
			continue
		}
		ps := []piece{{c.text, first && c.start == 0}}
		if t.pre != nil {
			var err error
			if ps, err = t.pre(ps); err != nil {
				return nil, fmt.Errorf("pre-tokenize: %w", err)
			}
		}
		for _, p := range ps {
			ids = t.model.encodeWord(ids, p.text)
		}
	}
	return ids, nil
}

// validUTF8 replaces each invalid byte of s with U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}
