package embedded

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"forensics/llm/tokenizer"
)

// ModelFileFormat names the on-disk form of an n-gram model.
const ModelFileFormat = "forensics-ngram-v1"

// modelFile is an n-gram model on disk: the tokenizer, the order and the
// training token ids, from which New counts the n-grams.
type modelFile struct {
	Format    string          `json:"format"`
	Order     int             `json:"order"`
	Tokenizer json.RawMessage `json:"tokenizer"`
	IDs       []byte          `json:"ids"` // gzip of little-endian uint16 ids
	// Note says what the model was trained on (free text).
	Note string `json:"note,omitempty"`
}

// Train builds the artifacts of an n-gram model over the shipped tokenizer
// from texts, each one a paragraph (end-of-text between them). It is how a
// "student" is distilled from harvested answers: an n-gram model learns
// exactly the token statistics of its training text, watermark included.
func Train(ctx context.Context, texts []string) (*Artifacts, error) {
	m, err := Load()
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 0, 1<<20)
	eos := m.eos
	for _, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ids, err := m.tk.Encode(t)
		if err != nil {
			return nil, fmt.Errorf("encode training text: %w", err)
		}
		raw = binary.LittleEndian.AppendUint16(raw, eos)
		for _, id := range ids {
			raw = binary.LittleEndian.AppendUint16(raw, uint16(id))
		}
	}
	raw = binary.LittleEndian.AppendUint16(raw, eos)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	return &Artifacts{Tokenizer: shippedTokenizer, IDs: gz.Bytes()}, nil
}

// WriteModelFile stores artifacts and an order as a model file.
func WriteModelFile(path string, a *Artifacts, order int, note string) error {
	b, err := json.Marshal(modelFile{Format: ModelFileFormat, Order: order, Tokenizer: a.Tokenizer, IDs: a.IDs, Note: note})
	if err != nil {
		return fmt.Errorf("write model %s: %w", path, err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write model %s: %w", path, err)
	}
	return nil
}

// LoadModelFile reads a model file written by WriteModelFile.
func LoadModelFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	defer f.Close()
	var mf modelFile
	if err := json.NewDecoder(io.LimitReader(f, 1<<30)).Decode(&mf); err != nil {
		return nil, fmt.Errorf("load model %s: not a model file: %w", path, err)
	}
	if mf.Format != ModelFileFormat {
		return nil, fmt.Errorf("load model %s: format %q is not %s", path, mf.Format, ModelFileFormat)
	}
	if mf.Order < 1 || mf.Order > 8 {
		return nil, fmt.Errorf("load model %s: order %d outside 1..8", path, mf.Order)
	}
	if len(mf.IDs) == 0 {
		return nil, errors.New("load model " + path + ": no training ids")
	}
	if _, err := tokenizer.ReadFile(bytes.NewReader(mf.Tokenizer)); err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	m, err := New(&Artifacts{Tokenizer: mf.Tokenizer, IDs: mf.IDs}, mf.Order)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	return m, nil
}

// TrainFile trains an n-gram model of the default order on texts and
// writes it to path.
func TrainFile(ctx context.Context, texts []string, path, note string) error {
	a, err := Train(ctx, texts)
	if err != nil {
		return err
	}
	return WriteModelFile(path, a, DefaultOrder, note)
}
