package tokenizer

import (
	"fmt"
	"math"
	"unicode/utf8"

	otok "github.com/ollama/ollama/tokenizer"
)

// Limits on a tokenizer definition. A definition comes from outside (a file
// beside a bundle, a GGUF, an Ollama server), and Ollama's encoders trust
// their vocabulary: every cost of loading and encoding must be bounded by
// these values whatever the definition says. Each is several times what
// the largest real vocabularies need.
const (
	// maxTokens bounds the vocabulary. The largest common vocabularies
	// (Gemma 3, 262,144; Gemma 2, 256,000; GPT-oss, about 201,000) are a
	// quarter of it.
	maxTokens = 1 << 20
	// maxMerges bounds the BPE merges. Llama 3 has 280,147, and a BPE
	// vocabulary has about as many merges as tokens, so maxTokens × 2.
	maxMerges = 2 * maxTokens
	// maxPieceBytes bounds one token. Ollama's encoders copy the pieces
	// being merged at each merge step, so an encode costs up to this much
	// per input byte. The longest pieces of Llama 3 are 256 bytes (128
	// byte-level characters), of Gemma 2 93 bytes.
	maxPieceBytes = 1024
	// maxMergeBytes bounds one merge, two pieces and a space.
	maxMergeBytes = 2*maxPieceBytes + 1
	// maxVocabBytes bounds the bytes of all tokens and merges together,
	// for definitions that do not come through a size-capped file (GGUF,
	// Ollama). Llama 3's tokens and merges are about 4 MB.
	maxVocabBytes = 64 << 20
	// maxSpecialTokens bounds the control and user-defined tokens. Each
	// is searched for in every text encoded, so an encode costs up to
	// this many scans of its input. Real vocabularies have hundreds to a
	// few thousand (Gemma 2, 248; Llama 3, 256; Tekken reserves 1,000).
	maxSpecialTokens = 1 << 14
	// maxEndTokens bounds the BOS and EOS lists, which are searched for
	// every generated token; models list a handful.
	maxEndTokens = 256
	// maxGGUFTokenType is the largest GGUF token type (BYTE); 0 is
	// llama.cpp's "undefined".
	maxGGUFTokenType = otok.TOKEN_TYPE_BYTE
	// maxScore bounds a score's magnitude: scores are log probabilities
	// (SentencePiece) and must survive JSON, which has no NaN or Inf.
	maxScore = 1e30
)

// validateLimits checks the definition against the limits above, naming
// the first field and index that breaks one. Errors never quote a piece,
// which may be huge.
func (f *File) validateLimits() error {
	if err := f.validateTokens(); err != nil {
		return err
	}
	if err := f.validateTypes(); err != nil {
		return err
	}
	if err := f.validateScores(); err != nil {
		return err
	}
	if err := f.validateMerges(); err != nil {
		return err
	}
	if len(f.BOS) > maxEndTokens || len(f.EOS) > maxEndTokens {
		return fmt.Errorf("tokenizer lists %d BOS and %d EOS ids, more than %d", len(f.BOS), len(f.EOS), maxEndTokens)
	}
	return nil
}

func (f *File) validateTokens() error {
	if len(f.Tokens) > maxTokens {
		return fmt.Errorf("tokenizer has %d tokens, more than %d", len(f.Tokens), maxTokens)
	}
	total := 0
	for i, t := range f.Tokens {
		if len(t) > maxPieceBytes {
			return fmt.Errorf("token %d is %d bytes, more than %d", i, len(t), maxPieceBytes)
		}
		total += len(t)
	}
	for _, m := range f.Merges {
		total += len(m)
	}
	if total > maxVocabBytes {
		return fmt.Errorf("tokens and merges are %d bytes, more than %d", total, maxVocabBytes)
	}
	return nil
}

// validateTypes checks the token types, and the special (control and
// user-defined) tokens: Ollama splits text at every occurrence of each,
// and an empty one occurs everywhere, so encoding never ends.
func (f *File) validateTypes() error {
	specials := 0
	for i, typ := range f.TokenTypes {
		if typ < 0 || typ > maxGGUFTokenType {
			return fmt.Errorf("token %d has type %d, not a GGUF token type (0 to %d)", i, typ, maxGGUFTokenType)
		}
		if !isSpecialType(typ) {
			continue
		}
		if f.Tokens[i] == "" {
			return fmt.Errorf("token %d is an empty %s token", i, typeName(typ))
		}
		specials++
	}
	if specials > maxSpecialTokens {
		return fmt.Errorf("tokenizer has %d control and user-defined tokens, more than %d", specials, maxSpecialTokens)
	}
	return nil
}

func (f *File) validateScores() error {
	for i, s := range f.Scores {
		if math.IsNaN(float64(s)) || s > maxScore || s < -maxScore {
			return fmt.Errorf("score of token %d is not a finite number within ±%g", i, maxScore)
		}
	}
	return nil
}

func (f *File) validateMerges() error {
	if len(f.Merges) > maxMerges {
		return fmt.Errorf("tokenizer has %d merges, more than %d", len(f.Merges), maxMerges)
	}
	for i, m := range f.Merges {
		if len(m) > maxMergeBytes {
			return fmt.Errorf("merge %d is %d bytes, more than %d", i, len(m), maxMergeBytes)
		}
	}
	return nil
}

// isSpecialType reports whether Ollama splits text at tokens of type typ
// before encoding (Vocabulary.SpecialVocabulary).
func isSpecialType(typ int32) bool {
	return typ == otok.TOKEN_TYPE_CONTROL || typ == otok.TOKEN_TYPE_USER_DEFINED
}

func typeName(typ int32) string {
	if typ == otok.TOKEN_TYPE_CONTROL {
		return "control"
	}
	return "user-defined"
}

// clip quotes s for an error message, cut to a few dozen bytes: names in
// a definition come from outside and may be megabytes long.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return fmt.Sprintf("%q", s)
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:cut], len(s))
}
