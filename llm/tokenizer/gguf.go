package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ollama/ollama/fs/ggml"
)

// A GGUF file starts with its metadata (key-value pairs), then tensor
// descriptions, then tensor data. Ollama's decoder (fs/ggml) allocates what
// the file declares before reading it, so a 49-byte file declaring an
// array of 2³¹ strings makes it allocate 34 GB; it also divides by
// general.alignment, which may be 0. readGGUFMetadata walks the metadata
// first, without allocating, checking that every declared length fits in
// maxGGUFMetadata, then hands Ollama's decoder only those bytes, with the
// tensor count set to 0 (the tokenizer needs no tensors).

// maxGGUFMetadata bounds the metadata read from a GGUF file. A tokenizer
// is most of it: Llama 3's tokens and merges are about 7 MB as GGUF
// strings, Gemma 2's tokens, scores and types about 6 MB.
const maxGGUFMetadata = 64 << 20

// GGUF value types, as fs/ggml numbers them.
const (
	ggufUint8 uint32 = iota
	ggufInt8
	ggufUint16
	ggufInt16
	ggufUint32
	ggufInt32
	ggufFloat32
	ggufBool
	ggufString
	ggufArray
	ggufUint64
	ggufInt64
	ggufFloat64
)

// ggufScalarSize is the size in bytes of each scalar type.
var ggufScalarSize = map[uint32]uint64{
	ggufUint8: 1, ggufInt8: 1, ggufBool: 1,
	ggufUint16: 2, ggufInt16: 2,
	ggufUint32: 4, ggufInt32: 4, ggufFloat32: 4,
	ggufUint64: 8, ggufInt64: 8, ggufFloat64: 8,
}

var errGGUFTooLarge = fmt.Errorf("GGUF metadata larger than %d bytes", maxGGUFMetadata)

// readGGUFMetadata decodes the metadata of the GGUF file r with Ollama's
// decoder, after checking it is well formed and at most maxGGUFMetadata
// bytes.
func readGGUFMetadata(r io.Reader) (ggml.KV, error) {
	var meta bytes.Buffer
	w := &ggufWalker{r: io.TeeReader(bufio.NewReader(r), &meta)}
	if err := w.walk(); err != nil {
		return nil, err
	}
	b := meta.Bytes()
	// The tensor count is bytes 8 to 16 in either byte order; 0 keeps
	// Ollama's decoder from reading past the metadata.
	clear(b[8:16])
	g, err := ggml.Decode(bytes.NewReader(b), -1)
	if err != nil {
		return nil, err
	}
	return g.KV(), nil
}

// ggufWalker reads the header and key-value pairs of a GGUF file, GGUF
// versions 2 and 3, without keeping them.
type ggufWalker struct {
	r     io.Reader
	order binary.ByteOrder
	read  uint64 // bytes read so far
	buf   [8]byte
}

func (w *ggufWalker) walk() error {
	var magic [4]byte
	if err := w.full(magic[:]); err != nil {
		return fmt.Errorf("GGUF header: %w", err)
	}
	switch string(magic[:]) {
	case "GGUF":
		w.order = binary.LittleEndian
	case "FUGG":
		w.order = binary.BigEndian
	default:
		return errors.New("not a GGUF file (bad magic)")
	}
	version, err := w.uint(4)
	if err != nil {
		return fmt.Errorf("GGUF header: %w", err)
	}
	if version != 2 && version != 3 {
		return fmt.Errorf("GGUF version %d is not supported (2 or 3)", version)
	}
	if _, err := w.uint(8); err != nil { // tensor count
		return fmt.Errorf("GGUF header: %w", err)
	}
	n, err := w.uint(8)
	if err != nil {
		return fmt.Errorf("GGUF header: %w", err)
	}
	// Each pair takes at least 12 bytes, so the budget ends this loop.
	for i := uint64(0); i < n; i++ {
		if err := w.pair(); err != nil {
			return fmt.Errorf("GGUF metadata entry %d: %w", i, err)
		}
	}
	return nil
}

// pair reads one key and its value.
func (w *ggufWalker) pair() error {
	key, err := w.key()
	if err != nil {
		return err
	}
	typ, err := w.uint(4)
	if err != nil {
		return err
	}
	if key == "general.alignment" && typ == uint64(ggufUint32) {
		// Ollama's decoder pads to a multiple of it.
		a, err := w.uint(4)
		if err == nil && a == 0 {
			err = errors.New("general.alignment is 0")
		}
		return err
	}
	return w.value(uint32(typ))
}

// maxGGUFKey bounds a key; real keys are a few dozen bytes.
const maxGGUFKey = 1 << 10

// key reads a key, which is short.
func (w *ggufWalker) key() (string, error) {
	n, err := w.uint(8)
	if err != nil {
		return "", err
	}
	if n > maxGGUFKey {
		return "", fmt.Errorf("key is %d bytes, more than %d", n, maxGGUFKey)
	}
	b := make([]byte, n)
	if err := w.full(b); err != nil {
		return "", err
	}
	return string(b), nil
}

// value skips a value of type typ.
func (w *ggufWalker) value(typ uint32) error {
	if size, ok := ggufScalarSize[typ]; ok {
		return w.skip(size)
	}
	switch typ {
	case ggufString:
		return w.skipString()
	case ggufArray:
		return w.skipArray()
	}
	return fmt.Errorf("value type %d is not a GGUF type", typ)
}

func (w *ggufWalker) skipString() error {
	n, err := w.uint(8)
	if err != nil {
		return err
	}
	return w.skip(n)
}

// skipArray skips an array of scalars or strings (Ollama's decoder reads
// no arrays of arrays).
func (w *ggufWalker) skipArray() error {
	typ, err := w.uint(4)
	if err != nil {
		return err
	}
	n, err := w.uint(8)
	if err != nil {
		return err
	}
	if size, ok := ggufScalarSize[uint32(typ)]; ok {
		if n > maxGGUFMetadata/size {
			return errGGUFTooLarge
		}
		return w.skip(n * size)
	}
	if typ != uint64(ggufString) {
		return fmt.Errorf("array of type %d is not supported", typ)
	}
	// Each string takes at least 8 bytes, so the budget ends this loop.
	for i := uint64(0); i < n; i++ {
		if err := w.skipString(); err != nil {
			return fmt.Errorf("array element %d: %w", i, err)
		}
	}
	return nil
}

// uint reads an unsigned integer of size 4 or 8 bytes.
func (w *ggufWalker) uint(size int) (uint64, error) {
	b := w.buf[:size]
	if err := w.full(b); err != nil {
		return 0, err
	}
	if size == 4 {
		return uint64(w.order.Uint32(b)), nil
	}
	return w.order.Uint64(b), nil
}

// claim counts n more bytes against the budget.
func (w *ggufWalker) claim(n uint64) error {
	if n > maxGGUFMetadata || w.read+n > maxGGUFMetadata {
		return errGGUFTooLarge
	}
	w.read += n
	return nil
}

func (w *ggufWalker) full(b []byte) error {
	if err := w.claim(uint64(len(b))); err != nil {
		return err
	}
	if _, err := io.ReadFull(w.r, b); err != nil {
		return truncated(err)
	}
	return nil
}

func (w *ggufWalker) skip(n uint64) error {
	if err := w.claim(n); err != nil {
		return err
	}
	if _, err := io.CopyN(io.Discard, w.r, int64(n)); err != nil {
		return truncated(err)
	}
	return nil
}

// truncated names an early end of file.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("file ends early")
	}
	return err
}
