package hf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// definition is what this package reads of a tokenizer.json, in the file's
// own layout. Every component is decoded with its fields checked (an
// unknown field is an error, not something silently ignored), so the
// definition holds everything that decides the token ids, and its JSON
// encoding (Canonical) is itself a tokenizer.json that Hugging Face loads.
type definition struct {
	Version       string          `json:"version,omitempty"`
	Truncation    json.RawMessage `json:"truncation,omitempty"`
	Padding       json.RawMessage `json:"padding,omitempty"`
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    *component      `json:"normalizer"`
	PreTokenizer  *component      `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       *component      `json:"decoder"`
	Model         model           `json:"model"`
}

// addedToken is an entry of added_tokens.
type addedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// component is a normalizer, pre-tokenizer or decoder: the union of the
// fields of the kinds this package implements, told apart by Type.
type component struct {
	Type string `json:"type"`
	// Sequence.
	Normalizers   []*component `json:"normalizers,omitempty"`
	PreTokenizers []*component `json:"pretokenizers,omitempty"`
	Decoders      []*component `json:"decoders,omitempty"`
	// Replace, Split.
	Pattern  *pattern `json:"pattern,omitempty"`
	Content  *string  `json:"content,omitempty"`
	Behavior string   `json:"behavior,omitempty"`
	Invert   *bool    `json:"invert,omitempty"`
	// Prepend.
	Prepend *string `json:"prepend,omitempty"`
	// Strip (normalizer).
	StripLeft  *bool `json:"strip_left,omitempty"`
	StripRight *bool `json:"strip_right,omitempty"`
	// Strip (decoder).
	Start *int `json:"start,omitempty"`
	Stop  *int `json:"stop,omitempty"`
	// ByteLevel.
	AddPrefixSpace *bool `json:"add_prefix_space,omitempty"`
	TrimOffsets    *bool `json:"trim_offsets,omitempty"`
	UseRegex       *bool `json:"use_regex,omitempty"`
	// Metaspace.
	Replacement   *string `json:"replacement,omitempty"`
	PrependScheme string  `json:"prepend_scheme,omitempty"`
	Split         *bool   `json:"split,omitempty"`
	StrRep        *string `json:"str_rep,omitempty"`
	// Digits.
	IndividualDigits *bool `json:"individual_digits,omitempty"`
}

// pattern is a Split or Replace pattern: a literal string or a regular
// expression (Oniguruma syntax).
type pattern struct {
	String *string `json:"String,omitempty"`
	Regex  *string `json:"Regex,omitempty"`
}

// model is the BPE model.
type model struct {
	Type                    string         `json:"type"`
	Dropout                 *float64       `json:"dropout"`
	UnkToken                *string        `json:"unk_token"`
	ContinuingSubwordPrefix *string        `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string        `json:"end_of_word_suffix"`
	FuseUnk                 bool           `json:"fuse_unk"`
	ByteFallback            bool           `json:"byte_fallback"`
	IgnoreMerges            bool           `json:"ignore_merges"`
	Vocab                   map[string]int `json:"vocab"`
	Merges                  mergeList      `json:"merges"`
}

// mergeList reads merges in both layouts of tokenizer.json, "a b" strings
// (older files) and ["a", "b"] pairs (newer ones, which allow spaces in
// tokens), and writes pairs.
type mergeList [][2]string

func (m *mergeList) UnmarshalJSON(b []byte) error {
	var pairs [][2]string
	if err := json.Unmarshal(b, &pairs); err == nil {
		*m = pairs
		return nil
	}
	var lines []string
	if err := json.Unmarshal(b, &lines); err != nil {
		return errors.New("merges are neither \"a b\" strings nor [a, b] pairs")
	}
	out := make([][2]string, len(lines))
	for i, l := range lines {
		a, b, ok := cutSpace(l)
		if !ok {
			return fmt.Errorf("merge %d (%s) is not two tokens separated by a space", i, clip(l))
		}
		out[i] = [2]string{a, b}
	}
	*m = out
	return nil
}

// cutSpace splits a merge line at its only space, as Hugging Face does
// (a line with more than one space is an error there too).
func cutSpace(l string) (string, string, bool) {
	a, b, ok := bytes.Cut([]byte(l), []byte{' '})
	if !ok || bytes.IndexByte(b, ' ') >= 0 {
		return "", "", false
	}
	return string(a), string(b), true
}

// decodeDefinition decodes a tokenizer.json strictly: unknown fields are
// errors at every level, so that a setting this package does not
// implement is refused rather than ignored.
func decodeDefinition(data []byte) (*definition, error) {
	var d definition
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		if strings.Contains(err.Error(), "unknown field") {
			return nil, unknownFieldError(data, err)
		}
		return nil, fmt.Errorf("malformed tokenizer.json: %w", err)
	}
	if dec.More() {
		return nil, errors.New("malformed tokenizer.json: data after the object")
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"truncation", d.Truncation}, {"padding", d.Padding}} {
		if len(f.raw) != 0 && string(f.raw) != "null" {
			return nil, fmt.Errorf("tokenizer.json sets %s, which changes the ids encode returns: not supported", f.name)
		}
	}
	d.Truncation, d.Padding = nil, nil
	pp, err := canonicalJSON(d.PostProcessor)
	if err != nil {
		return nil, fmt.Errorf("post_processor: %w", err)
	}
	d.PostProcessor = pp
	return &d, nil
}

// unknownFieldError explains an unknown field: when it belongs to a
// component kind this package does not implement (a Precompiled
// normalizer has a precompiled_charsmap), the kind is named.
func unknownFieldError(data []byte, err error) error {
	var d definition
	if json.Unmarshal(data, &d) == nil {
		count := 0
		if _, kerr := buildNormalizer(d.Normalizer, 0, &count); kerr != nil {
			return kerr
		}
		count = 0
		if _, kerr := buildPreTokenizer(d.PreTokenizer, 0, &count); kerr != nil {
			return kerr
		}
		count = 0
		if _, kerr := buildDecoder(d.Decoder, 0, &count); kerr != nil {
			return kerr
		}
		if d.Model.Type != "BPE" {
			return fmt.Errorf("model %s is not supported (only BPE)", clip(d.Model.Type))
		}
	}
	return fmt.Errorf("tokenizer.json has a setting this package does not implement: %w", err)
}

// canonicalJSON re-encodes a JSON value with its object keys sorted, so
// that the same content always has the same bytes.
func canonicalJSON(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return json.RawMessage("null"), nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
