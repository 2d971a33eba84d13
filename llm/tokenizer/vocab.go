package tokenizer

import (
	"fmt"
	"slices"

	otok "github.com/ollama/ollama/tokenizer"

	"forensics/llm/tokenizer/hf"
)

// Vocab is a served model's tokenizer, built from a File with Ollama's own
// implementation (github.com/ollama/ollama/tokenizer), so that it splits
// text exactly as the Ollama runner does. Special tokens are cut out of the
// text here, the same way but in linear time (special.go), and Ollama's
// encoder encodes the text between them.
//
// Encoding is bounded for any definition that passes Validate: memory
// linear in the text (130 to 220 bytes allocated per input byte with
// Llama 3 and Gemma 2), time linear in the text times at most
// maxSpecialTokens scans for special tokens and maxPieceBytes per merge.
type Vocab struct {
	file     *File
	id       string
	hf       *hf.Tokenizer  // the "hf" kind; tk and specials are then unused
	tk       otok.Tokenizer // built with no special tokens
	specials specialSplitter
	pieces   []string // token id → its bytes
}

// New builds the tokenizer a File describes.
func New(f *File) (*Vocab, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return build(f)
}

// build builds the tokenizer of a valid File. Its encoding stays bounded
// even for the definitions Validate rejects for making Ollama's loop
// forever (empty special tokens), which tests use.
func build(f *File) (*Vocab, error) {
	if f.Model == ModelHF {
		return buildHF(f)
	}
	v := &otok.Vocabulary{
		Values: f.Tokens,
		Types:  plainTypes(f.TokenTypes, len(f.Tokens)),
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
	default:
		return nil, fmt.Errorf("tokenizer model %s is not supported (gpt2 or llama)", clip(f.Model))
	}
	t := &Vocab{file: f, id: f.Model + ":" + f.ID(), tk: tk, specials: newSpecialSplitter(f.TokenTypes, v), pieces: make([]string, len(f.Tokens))}
	for i := range f.Tokens {
		s, err := tk.Decode([]int32{int32(i)})
		if err != nil {
			return nil, fmt.Errorf("decode token %d: %w", i, err)
		}
		t.pieces[i] = s
	}
	return t, nil
}

// plainTypes returns the token types with control and user-defined tokens
// made normal, so that Ollama's encoder has no special tokens to cut at
// (Vocab cuts them itself). Ollama's encoders and decoders read the types
// for nothing else. No types means all normal.
func plainTypes(types []int32, n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = otok.TOKEN_TYPE_NORMAL
		if i < len(types) && !isSpecialType(types[i]) {
			out[i] = types[i]
		}
	}
	return out
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
func (t *Vocab) IsEOS(id int32) bool {
	if t.hf != nil {
		return slices.Contains(t.file.EOS, id)
	}
	return t.tk.Is(id, otok.SpecialEOS)
}

// Encode returns the token ids of text, without BOS or EOS, as Ollama's
// encoder does (as Hugging Face's does with add_special_tokens=false, for
// the "hf" kind).
func (t *Vocab) Encode(text string) ([]int32, error) {
	if t.hf != nil {
		return t.hf.Encode(text)
	}
	var ids []int32
	for _, f := range t.specials.split(text) {
		if f.id >= 0 {
			ids = append(ids, f.id)
			continue
		}
		got, err := t.tk.Encode(f.text, false)
		if err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
		ids = append(ids, got...)
	}
	return ids, nil
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

// buildHF builds the tokenizer of a valid "hf" File with package hf.
func buildHF(f *File) (*Vocab, error) {
	tk, err := f.hfTokenizer()
	if err != nil {
		return nil, err
	}
	t := &Vocab{file: f, id: f.Model + ":" + f.ID(), hf: tk, pieces: make([]string, tk.Size())}
	for i := range t.pieces {
		t.pieces[i] = tk.Piece(int32(i))
	}
	return t, nil
}
