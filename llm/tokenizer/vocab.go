package tokenizer

import (
	"fmt"

	otok "github.com/ollama/ollama/tokenizer"
)

// Vocab is a served model's tokenizer, built from a File with Ollama's own
// implementation (github.com/ollama/ollama/tokenizer), so that it splits
// text exactly as the Ollama runner does.
type Vocab struct {
	file   *File
	id     string
	tk     otok.Tokenizer
	pieces []string // token id → its bytes
}

// New builds the tokenizer a File describes.
func New(f *File) (*Vocab, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	types := f.TokenTypes
	if len(types) == 0 {
		types = make([]int32, len(f.Tokens))
		for i := range types {
			types[i] = otok.TOKEN_TYPE_NORMAL
		}
	}
	v := &otok.Vocabulary{
		Values: f.Tokens,
		Types:  types,
		Scores: f.Scores,
		Merges: f.Merges,
		BOS:    f.BOS,
		EOS:    f.EOS,
		AddBOS: f.AddBOS,
		AddEOS: f.AddEOS,
	}
	var tk otok.Tokenizer
	switch f.Model {
	case "gpt2":
		pre, err := PreTokenizer(f.Pre)
		if err != nil {
			return nil, err
		}
		bpe := otok.NewBytePairEncoding(v, pre...)
		tk = &bpe
	case "llama":
		spm := otok.NewSentencePiece(v)
		tk = &spm
	}
	t := &Vocab{file: f, id: f.Model + ":" + f.ID(), tk: tk, pieces: make([]string, len(f.Tokens))}
	for i := range f.Tokens {
		s, err := tk.Decode([]int32{int32(i)})
		if err != nil {
			return nil, fmt.Errorf("decode token %d: %w", i, err)
		}
		t.pieces[i] = s
	}
	return t, nil
}

// ID implements Tokenizer: the model kind and the File's id.
func (t *Vocab) ID() string { return t.id }

// File returns the definition the tokenizer was built from.
func (t *Vocab) File() *File { return t.file }

// Size is the number of tokens in the vocabulary.
func (t *Vocab) Size() int { return len(t.pieces) }

// Piece returns the bytes of a token id ("" outside the vocabulary).
func (t *Vocab) Piece(id int32) string {
	if id < 0 || int(id) >= len(t.pieces) {
		return ""
	}
	return t.pieces[id]
}

// IsEOS reports whether id ends a sequence.
func (t *Vocab) IsEOS(id int32) bool { return t.tk.Is(id, otok.SpecialEOS) }

// Encode returns the token ids of text, without BOS or EOS.
func (t *Vocab) Encode(text string) ([]int32, error) {
	return t.tk.Encode(text, false)
}

// Pieces implements Tokenizer.
func (t *Vocab) Pieces(text string) ([]string, error) {
	if text == "" {
		return nil, nil
	}
	ids, err := t.Encode(text)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = t.Piece(id)
	}
	return out, nil
}
