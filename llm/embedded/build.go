package embedded

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"forensics/corpora"
	"forensics/llm/tokenizer"
)

// VocabSize is the size of the embedded model's BPE vocabulary.
const VocabSize = 4096

// Artifacts are what training produces and the package ships: the tokenizer
// definition and the training corpus as token ids (each paragraph preceded
// by end-of-text), from which Load counts the n-grams.
type Artifacts struct {
	Tokenizer []byte // tokenizer.File as JSON
	IDs       []byte // gzip of little-endian uint16 token ids
}

// Build trains the tokenizer on the training split of the corpus and
// encodes that split. It is deterministic: the same corpus gives the same
// bytes, which a test checks against the shipped artifacts.
func Build(ctx context.Context) (*Artifacts, error) {
	paras, err := corpora.Paragraphs()
	if err != nil {
		return nil, err
	}
	train, _ := corpora.Split(paras)
	f, err := tokenizer.TrainBPE(ctx, train, VocabSize)
	if err != nil {
		return nil, fmt.Errorf("train tokenizer: %w", err)
	}
	f.Source = "forensics embedded model: BPE trained on the corpora/ training split"
	tk, err := tokenizer.New(f)
	if err != nil {
		return nil, err
	}
	eos := f.EOS[0]
	raw := make([]byte, 0, 2_000_000)
	for _, p := range train {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ids, err := tk.Encode(p)
		if err != nil {
			return nil, fmt.Errorf("encode corpus: %w", err)
		}
		raw = binary.LittleEndian.AppendUint16(raw, uint16(eos))
		for _, id := range ids {
			raw = binary.LittleEndian.AppendUint16(raw, uint16(id))
		}
	}
	raw = binary.LittleEndian.AppendUint16(raw, uint16(eos))
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(raw)
	zw.Close()
	var tj bytes.Buffer
	if err := tokenizer.Encode(&tj, f); err != nil {
		return nil, err
	}
	return &Artifacts{Tokenizer: tj.Bytes(), IDs: gz.Bytes()}, nil
}

// decodeIDs reverses the IDs encoding.
func decodeIDs(gz []byte) ([]uint16, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	if len(raw)%2 != 0 {
		return nil, fmt.Errorf("odd length %d", len(raw))
	}
	ids := make([]uint16, len(raw)/2)
	for i := range ids {
		ids[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	return ids, nil
}
