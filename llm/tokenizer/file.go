package tokenizer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// FileFormat names the layout of a tokenizer file.
const FileFormat = "forensics-tokenizer-v1"

// File is a self-contained tokenizer definition: what `forensics tokenizer
// export` writes and `--tokenizer FILE` reads, so that detection never needs
// the teacher's Ollama server or GGUF at hand. The fields mirror the GGUF
// keys tokenizer.ggml.*.
type File struct {
	Format string `json:"format"`
	// Model is tokenizer.ggml.model: "gpt2" (byte-level BPE) or "llama"
	// (SentencePiece).
	Model string `json:"model"`
	// Pre is tokenizer.ggml.pre, which selects the pre-tokenizer (BPE only).
	Pre        string    `json:"pre,omitempty"`
	Tokens     []string  `json:"tokens"`
	TokenTypes []int32   `json:"token_types,omitempty"`
	Scores     []float32 `json:"scores,omitempty"`
	Merges     []string  `json:"merges,omitempty"`
	BOS        []int32   `json:"bos,omitempty"`
	EOS        []int32   `json:"eos,omitempty"`
	AddBOS     bool      `json:"add_bos,omitempty"`
	AddEOS     bool      `json:"add_eos,omitempty"`
	// Source says where the definition came from (a GGUF file's SHA-256,
	// an Ollama model's digest); it is not part of the id.
	Source string `json:"source,omitempty"`
}

// ID is "sha256:" and the hex SHA-256 of the file's JSON encoding with
// Source emptied: two files that tokenize alike have the same id wherever
// they came from.
func (f *File) ID() string {
	c := *f
	c.Source = ""
	b, err := json.Marshal(&c)
	if err != nil {
		// Only NaN or Inf scores fail to marshal; Validate rejects them.
		return "sha256:invalid"
	}
	d := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(d[:])
}

// Validate checks the definition is complete and consistent.
func (f *File) Validate() error {
	if f.Format != FileFormat {
		return fmt.Errorf("tokenizer format %q is not %s", f.Format, FileFormat)
	}
	n := len(f.Tokens)
	switch {
	case n == 0:
		return errors.New("tokenizer has no tokens")
	case len(f.TokenTypes) != 0 && len(f.TokenTypes) != n:
		return fmt.Errorf("tokenizer has %d tokens but %d token types", n, len(f.TokenTypes))
	case len(f.Scores) != 0 && len(f.Scores) != n:
		return fmt.Errorf("tokenizer has %d tokens but %d scores", n, len(f.Scores))
	}
	for _, s := range f.Scores {
		if s != s || s > 1e30 || s < -1e30 {
			return errors.New("tokenizer has a non-finite score")
		}
	}
	for _, id := range append(append([]int32{}, f.BOS...), f.EOS...) {
		if id < 0 || int(id) >= n {
			return fmt.Errorf("special token id %d outside the vocabulary of %d", id, n)
		}
	}
	switch f.Model {
	case "gpt2":
		if len(f.Merges) == 0 {
			return errors.New("BPE tokenizer has no merges")
		}
		if _, err := PreTokenizer(f.Pre); err != nil {
			return err
		}
	case "llama":
		if len(f.Scores) != n {
			return errors.New("SentencePiece tokenizer needs one score per token")
		}
		if n < 5 {
			// Ollama's SentencePiece reads the first five entries.
			return errors.New("SentencePiece tokenizer needs at least 5 tokens")
		}
	default:
		return fmt.Errorf("tokenizer model %q is not supported (gpt2 or llama)", f.Model)
	}
	return nil
}

// maxTokenizerFile bounds what LoadFile reads (large vocabularies with
// merges are tens of MB).
const maxTokenizerFile = 256 << 20

// LoadFile reads a tokenizer file written by WriteFile.
func LoadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer %s: %w", path, err)
	}
	defer fh.Close()
	f, err := ReadFile(io.LimitReader(fh, maxTokenizerFile+1))
	if err != nil {
		return nil, fmt.Errorf("load tokenizer %s: %w", path, err)
	}
	return f, nil
}

// ReadFile decodes and validates a tokenizer file.
func ReadFile(r io.Reader) (*File, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(data) > maxTokenizerFile {
		return nil, fmt.Errorf("larger than %d bytes", maxTokenizerFile)
	}
	var f File
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("malformed tokenizer file: %w", err)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// Encode writes the definition as one line of JSON, the layout WriteFile
// uses and ReadFile reads.
func Encode(w io.Writer, f *File) error {
	if err := f.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode tokenizer: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteFile writes the definition as JSON, atomically (a temporary file
// renamed into place), so an interrupted export leaves no half file.
func (f *File) WriteFile(path string) error {
	var b strings.Builder
	if err := Encode(&b, f); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write tokenizer %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write tokenizer %s: %w", path, err)
	}
	return nil
}
