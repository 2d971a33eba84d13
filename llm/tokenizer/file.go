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

	"forensics/llm/tokenizer/hf"
)

// FileFormat names the layout of a tokenizer file.
const FileFormat = "forensics-tokenizer-v1"

// File is a self-contained tokenizer definition: what `forensics tokenizer
// export` writes and `--tokenizer FILE` reads, so that detection never needs
// the teacher's Ollama server or GGUF at hand. The fields mirror the GGUF
// keys tokenizer.ggml.*, except for the "hf" kind, which carries a Hugging
// Face tokenizer.json (HF) and, of the other fields, only BOS, EOS and
// Source.
type File struct {
	Format string `json:"format"`
	// Model is tokenizer.ggml.model: "gpt2" (byte-level BPE) or "llama"
	// (SentencePiece); or "hf" for a Hugging Face tokenizer.json.
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
	// HF is the tokenizer.json of the "hf" kind, in the canonical form
	// hf.Tokenizer.Canonical writes (so that a tokenizer has one id).
	HF json.RawMessage `json:"hf,omitempty"`
	// Source says where the definition came from (a GGUF file's SHA-256,
	// an Ollama model's digest); it is not part of the id.
	Source string `json:"source,omitempty"`

	// hf caches the tokenizer HF builds, once Validate has built it.
	hf *hf.Tokenizer
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

// Validate checks the definition is complete, consistent and within the
// limits (limits.go) that keep loading and encoding it bounded in memory
// and time.
func (f *File) Validate() error {
	if f.Format != FileFormat {
		return fmt.Errorf("tokenizer format %s is not %s", clip(f.Format), FileFormat)
	}
	if f.Model == ModelHF || len(f.HF) != 0 {
		return f.validateHF()
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
	if err := f.validateLimits(); err != nil {
		return err
	}
	if err := f.validateEnds(); err != nil {
		return err
	}
	return f.validateModel()
}

// validateEnds checks the BOS and EOS ids are in the vocabulary.
func (f *File) validateEnds() error {
	for _, end := range []struct {
		name string
		ids  []int32
	}{{"BOS", f.BOS}, {"EOS", f.EOS}} {
		for i, id := range end.ids {
			if id < 0 || int(id) >= len(f.Tokens) {
				return fmt.Errorf("%s id %d (entry %d) outside the vocabulary of %d", end.name, id, i, len(f.Tokens))
			}
		}
	}
	return nil
}

// validateModel checks what the model kind needs.
func (f *File) validateModel() error {
	switch f.Model {
	case "gpt2":
		if len(f.Merges) == 0 {
			return errors.New("BPE tokenizer has no merges")
		}
		if _, err := PreTokenizer(f.Pre); err != nil {
			return err
		}
	case "llama":
		if len(f.Scores) != len(f.Tokens) {
			return errors.New("SentencePiece tokenizer needs one score per token")
		}
		if len(f.Tokens) < 5 {
			// Ollama's SentencePiece reads the first five entries.
			return errors.New("SentencePiece tokenizer needs at least 5 tokens")
		}
	default:
		return fmt.Errorf("tokenizer model %s is not supported (gpt2 or llama)", clip(f.Model))
	}
	return nil
}

// maxTokenizerFile bounds what ReadFile reads. Llama 3's tokenizer with
// its merges is about 10 MB of JSON, Gemma 2's with its scores about 7 MB.
// Decoding holds the file and what it decodes to, a few times its size.
const maxTokenizerFile = 64 << 20

// LoadFile reads a tokenizer file written by WriteFile.
func LoadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer %s: %w", path, err)
	}
	defer fh.Close()
	f, err := ReadFile(fh)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer %s: %w", path, err)
	}
	return f, nil
}

// errFileTooLarge is what ReadFile returns for more than maxTokenizerFile
// bytes.
var errFileTooLarge = fmt.Errorf("tokenizer file larger than %d bytes", maxTokenizerFile)

// ReadFile decodes and validates a tokenizer file: one JSON object, at
// most maxTokenizerFile bytes.
func ReadFile(r io.Reader) (*File, error) {
	var f File
	dec := json.NewDecoder(&cappedReader{r: r, left: maxTokenizerFile, err: errFileTooLarge})
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, errFileTooLarge) {
			return nil, err
		}
		return nil, fmt.Errorf("malformed tokenizer file: %w", err)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// cappedReader reads from r and fails with err once more than left bytes
// would be read.
type cappedReader struct {
	r    io.Reader
	left int64
	err  error
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more tells a file of exactly the cap from a larger one.
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, c.err
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
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
