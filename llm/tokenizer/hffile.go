package tokenizer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"forensics/llm/tokenizer/hf"
)

// ModelHF is the File kind that carries a Hugging Face tokenizer.json.
const ModelHF = "hf"

// FromHF reads a Hugging Face tokenizer.json, given its path or its
// model directory, into a File. The EOS and BOS ids are taken from the
// tokenizer_config.json beside it when there is one (eos_token,
// bos_token); the ids Encode returns never include them.
func FromHF(path string) (*File, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "tokenizer.json")
	}
	data, err := readCapped(path, hf.MaxFileBytes)
	if err != nil {
		return nil, err
	}
	tk, err := hf.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	f := &File{Format: FileFormat, Model: ModelHF, HF: tk.Canonical(), Source: "hf tokenizer.json sha256:" + hex.EncodeToString(sum[:]), hf: tk}
	if err := f.readHFConfig(filepath.Join(filepath.Dir(path), "tokenizer_config.json"), tk); err != nil {
		return nil, err
	}
	return f, f.Validate()
}

// readCapped reads a file of at most max bytes.
func readCapped(path string, max int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read tokenizer: %w", err)
	}
	defer fh.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(&cappedReader{r: fh, left: max, err: fmt.Errorf("%s is larger than %d bytes", path, max)}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// hfConfig is what FromHF reads of tokenizer_config.json: the BOS and
// EOS tokens, each a string or an object with a content.
type hfConfig struct {
	BOS json.RawMessage `json:"bos_token"`
	EOS json.RawMessage `json:"eos_token"`
}

// maxConfigBytes bounds tokenizer_config.json (Gemma 3's, with its added
// tokens, is 1.2 MB).
const maxConfigBytes = 16 << 20

// readHFConfig sets BOS and EOS from tokenizer_config.json, if it exists.
func (f *File) readHFConfig(path string, tk *hf.Tokenizer) error {
	data, err := readCapped(path, maxConfigBytes)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var c hfConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, end := range []struct {
		raw json.RawMessage
		ids *[]int32
	}{{c.BOS, &f.BOS}, {c.EOS, &f.EOS}} {
		name := configToken(end.raw)
		if name == "" {
			continue
		}
		id, ok := tk.TokenID(name)
		if !ok {
			return fmt.Errorf("%s names %s, which is not in the tokenizer", path, clip(name))
		}
		*end.ids = []int32{id}
	}
	return nil
}

// configToken reads a token of tokenizer_config.json: a string, or an
// object whose content is one ("" for null or anything else).
func configToken(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Content string `json:"content"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Content
	}
	return ""
}

// validateHF checks a File of the "hf" kind: only HF, BOS, EOS and
// Source set, HF a supported tokenizer.json in canonical form.
func (f *File) validateHF() error {
	if f.Model != ModelHF {
		return fmt.Errorf("tokenizer model %s carries a tokenizer.json", clip(f.Model))
	}
	if len(f.Tokens)+len(f.TokenTypes)+len(f.Scores)+len(f.Merges) != 0 || f.Pre != "" || f.AddBOS || f.AddEOS {
		return errors.New("hf tokenizer sets fields of a GGUF tokenizer (only hf, bos, eos and source)")
	}
	tk, err := f.hfTokenizer()
	if err != nil {
		return err
	}
	if len(f.BOS) > maxEndTokens || len(f.EOS) > maxEndTokens {
		return fmt.Errorf("tokenizer lists %d BOS and %d EOS ids, more than %d", len(f.BOS), len(f.EOS), maxEndTokens)
	}
	for _, ids := range [][]int32{f.BOS, f.EOS} {
		for _, id := range ids {
			if id < 0 || int(id) >= tk.Size() {
				return fmt.Errorf("BOS or EOS id %d outside the vocabulary of %d", id, tk.Size())
			}
		}
	}
	return nil
}

// hfTokenizer builds (once) the tokenizer of an "hf" File, which must be
// in canonical form.
func (f *File) hfTokenizer() (*hf.Tokenizer, error) {
	if f.hf != nil && bytes.Equal(f.hf.Canonical(), f.HF) {
		return f.hf, nil
	}
	tk, err := hf.Parse(f.HF)
	if err != nil {
		return nil, fmt.Errorf("hf tokenizer: %w", err)
	}
	if !bytes.Equal(tk.Canonical(), f.HF) {
		return nil, errors.New("hf tokenizer.json is not in canonical form (write it with `forensics tokenizer export`)")
	}
	f.hf = tk
	return tk, nil
}
