package hf

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ReadPath reads a tokenizer.json, given its path or the directory that
// holds it (a model repository).
func ReadPath(path string) (*Tokenizer, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "tokenizer.json")
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read tokenizer.json: %w", err)
	}
	defer fh.Close()
	t, err := Read(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// errTooLarge is what Read returns for more than MaxFileBytes.
var errTooLarge = fmt.Errorf("tokenizer.json larger than %d bytes", MaxFileBytes)

// Read reads a tokenizer.json of at most MaxFileBytes and builds it.
func Read(r io.Reader) (*Tokenizer, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read tokenizer.json: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, errTooLarge
	}
	return Parse(data)
}

// Parse builds the tokenizer a tokenizer.json describes. Anything in it
// this package does not implement exactly is an error that names it.
func Parse(data []byte) (*Tokenizer, error) {
	if len(data) > MaxFileBytes {
		return nil, errTooLarge
	}
	d, err := decodeDefinition(data)
	if err != nil {
		return nil, err
	}
	return build(d)
}

// canonical is the definition's JSON encoding: sorted vocabulary, merges
// as pairs, post-processor with sorted keys, Go's escaping (the form it
// keeps when embedded in other JSON).
func canonical(d *definition) ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode tokenizer.json: %w", err)
	}
	return b, nil
}

// build assembles a tokenizer from its decoded definition.
func build(d *definition) (*Tokenizer, error) {
	count := 0
	norm, err := buildNormalizer(d.Normalizer, 0, &count)
	if err != nil {
		return nil, err
	}
	count = 0
	pre, err := buildPreTokenizer(d.PreTokenizer, 0, &count)
	if err != nil {
		return nil, err
	}
	count = 0
	dec, err := buildDecoder(d.Decoder, 0, &count)
	if err != nil {
		return nil, err
	}
	m, err := newBPE(&d.Model)
	if err != nil {
		return nil, err
	}
	canon, err := canonical(d)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(canon)
	t := &Tokenizer{
		canonical:  canon,
		id:         "tokenizer.json:sha256:" + hex.EncodeToString(sum[:]),
		normalizer: norm,
		pre:        pre,
		model:      m,
		raw:        newAddedSet(),
		normalized: newAddedSet(),
	}
	if err := t.buildTables(d, dec); err != nil {
		return nil, err
	}
	t.post = buildPostProcessor(d.PostProcessor, t.Size())
	return t, nil
}

// buildTables fills the id tables and the added-token sets.
func (t *Tokenizer) buildTables(d *definition, dec tokenDecoder) error {
	if len(d.AddedTokens) > maxAddedTokens {
		return fmt.Errorf("%d added tokens, more than %d", len(d.AddedTokens), maxAddedTokens)
	}
	size := 0
	for _, id := range t.model.vocab {
		size = max(size, int(id)+1)
	}
	for i, a := range d.AddedTokens {
		if a.ID < 0 || a.ID >= maxTokens {
			return fmt.Errorf("added token %d has id %d, outside 0 to %d", i, a.ID, maxTokens-1)
		}
		size = max(size, a.ID+1)
	}
	t.tokens = make([]string, size)
	t.pieces = make([]string, size)
	t.special = make([]bool, size)
	t.known = make([]bool, size)
	for tok, id := range t.model.vocab {
		if t.known[id] {
			return fmt.Errorf("tokens %s and %s share id %d", clip(t.tokens[id]), clip(tok), id)
		}
		t.tokens[id], t.pieces[id], t.known[id] = tok, dec(tok), true
	}
	return t.addTokens(d)
}

// addTokens registers the added tokens: special ones first, then the
// others, each in file order, as Hugging Face builds its matchers.
func (t *Tokenizer) addTokens(d *definition) error {
	added := make(map[int]string)
	for _, special := range []bool{true, false} {
		for i := range d.AddedTokens {
			a := &d.AddedTokens[i]
			if a.Special != special || a.Content == "" {
				continue
			}
			if err := t.addToken(a, added); err != nil {
				return fmt.Errorf("added token %d: %w", i, err)
			}
		}
	}
	return nil
}

func (t *Tokenizer) addToken(a *addedToken, added map[int]string) error {
	if len(a.Content) > maxAddedBytes {
		return fmt.Errorf("%d bytes, more than %d", len(a.Content), maxAddedBytes)
	}
	if id, ok := t.model.vocab[a.Content]; ok && int(id) != a.ID {
		return fmt.Errorf("%s has id %d but the vocabulary gives it %d", clip(a.Content), a.ID, id)
	}
	if c, ok := added[a.ID]; ok && c != a.Content {
		return fmt.Errorf("id %d is both %s and %s", a.ID, clip(c), clip(a.Content))
	}
	if t.known[a.ID] && t.tokens[a.ID] != a.Content {
		return fmt.Errorf("id %d of %s is the vocabulary's %s", a.ID, clip(a.Content), clip(t.tokens[a.ID]))
	}
	added[a.ID] = a.Content
	t.tokens[a.ID], t.pieces[a.ID], t.known[a.ID] = a.Content, a.Content, true
	t.special[a.ID] = t.special[a.ID] || a.Special
	if !a.Normalized {
		t.raw.add(a.Content, a)
		return nil
	}
	form := a.Content
	if t.normalizer != nil {
		var err error
		if form, err = t.normalizer.normalize(form); err != nil {
			return err
		}
	}
	if form == "" {
		return errors.New("normalizes to nothing")
	}
	t.normalized.add(form, a)
	return nil
}
