package tokenizer

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ollama/ollama/fs/ggml"
)

// ggufBuilder writes GGUF bytes by hand, including what no writer would.
type ggufBuilder struct{ b []byte }

func newGGUF(version uint32, tensors, kvs uint64) *ggufBuilder {
	g := &ggufBuilder{b: []byte("GGUF")}
	return g.u32(version).u64(tensors).u64(kvs)
}

func (g *ggufBuilder) u32(v uint32) *ggufBuilder {
	g.b = binary.LittleEndian.AppendUint32(g.b, v)
	return g
}

func (g *ggufBuilder) u64(v uint64) *ggufBuilder {
	g.b = binary.LittleEndian.AppendUint64(g.b, v)
	return g
}

func (g *ggufBuilder) str(s string) *ggufBuilder {
	g.u64(uint64(len(s)))
	g.b = append(g.b, s...)
	return g
}

// kvString writes a string-valued pair.
func (g *ggufBuilder) kvString(key, val string) *ggufBuilder {
	return g.str(key).u32(ggufString).str(val)
}

// kvStrings writes a pair whose value is an array of strings.
func (g *ggufBuilder) kvStrings(key string, vals ...string) *ggufBuilder {
	g.str(key).u32(ggufArray).u32(ggufString).u64(uint64(len(vals)))
	for _, v := range vals {
		g.str(v)
	}
	return g
}

// tinyGGUF is a valid GGUF with a BPE tokenizer and no tensors, declaring
// tensors tensors (never read).
func tinyGGUF(tensors uint64) []byte {
	return newGGUF(3, tensors, 5).
		kvString("general.architecture", "llama").
		kvString("tokenizer.ggml.model", "gpt2").
		kvString("tokenizer.ggml.pre", "gpt-2").
		kvStrings("tokenizer.ggml.tokens", "a", "b", "ab").
		kvStrings("tokenizer.ggml.merges", "a b").b
}

func TestReadGGUFMetadata(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		// 49 bytes that made Ollama's decoder allocate 34 GB.
		{"2^31 strings", newGGUF(3, 0, 1).str("a").u32(ggufArray).u32(ggufString).u64(1 << 31).b, "entry 0: array element 0: file ends early"},
		{"2^40 bytes", newGGUF(3, 0, 1).str("a").u32(ggufArray).u32(ggufUint8).u64(1 << 40).b, "larger than"},
		{"2^62 floats", newGGUF(3, 0, 1).str("a").u32(ggufArray).u32(ggufFloat64).u64(1 << 62).b, "larger than"},
		{"2^62-byte string", newGGUF(3, 0, 1).str("a").u32(ggufString).u64(1 << 62).b, "larger than"},
		{"2^64-1-byte string", newGGUF(3, 0, 1).str("a").u32(ggufString).u64(1<<64 - 1).b, "larger than"},
		{"2^40-byte key", newGGUF(3, 0, 1).u64(1 << 40).b, "key is 1099511627776 bytes"},
		{"2^62 entries", newGGUF(3, 0, 1<<62).b, "entry 0: file ends early"},
		{"alignment 0", newGGUF(3, 0, 1).str("general.alignment").u32(ggufUint32).u32(0).b, "general.alignment is 0"},
		{"array of arrays", newGGUF(3, 0, 1).str("a").u32(ggufArray).u32(ggufArray).u64(1).b, "array of type 9"},
		{"unknown type", newGGUF(3, 0, 1).str("a").u32(13).b, "value type 13"},
		{"version 1", newGGUF(1, 0, 0).b, "GGUF version 1 is not supported"},
		{"bad magic", []byte("GGML\x03\x00\x00\x00"), "bad magic"},
		{"short", []byte("GGUF\x03"), "GGUF header: file ends early"},
		{"empty", nil, "GGUF header: file ends early"},
		{"2^60 tensors ignored", tinyGGUF(1 << 60), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := allocated(func() {
				var kv ggml.KV
				if kv, err = readGGUFMetadata(bytes.NewReader(tt.data)); err == nil {
					_, err = fromKV(ggufMeta(kv))
				}
			})
			if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("%v, want %q", err, tt.want)
			}
			if n > 1<<20 {
				t.Fatalf("allocated %d bytes reading %d", n, len(tt.data))
			}
		})
	}
}

// FuzzGGUFTokenizer: whatever the GGUF, reading its tokenizer, loading it
// and encoding must not panic and must allocate a bounded amount.
func FuzzGGUFTokenizer(f *testing.F) {
	f.Add(tinyGGUF(0))
	f.Add(tinyGGUF(3))
	f.Add(newGGUF(3, 0, 1).str("a").u32(ggufArray).u32(ggufString).u64(1 << 31).b)
	f.Add(newGGUF(3, 0, 1).str("general.alignment").u32(ggufUint32).u32(0).b)
	path := filepath.Join(f.TempDir(), "m.gguf")
	fh, err := os.Create(path)
	if err != nil {
		f.Fatal(err)
	}
	err = ggml.WriteGGUF(fh, ggml.KV{
		"general.architecture":        "llama",
		"tokenizer.ggml.model":        "llama",
		"tokenizer.ggml.tokens":       []string{"<unk>", "<s>", "</s>", "▁a", "b", "<0x41>"},
		"tokenizer.ggml.scores":       []float32{0, 0, 0, -1, -2, 0},
		"tokenizer.ggml.token_type":   []int32{2, 3, 3, 1, 1, 6},
		"tokenizer.ggml.eos_token_id": uint32(2),
	}, nil)
	fh.Close()
	if err != nil {
		f.Fatal(err)
	}
	spm, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(spm)
	f.Fuzz(func(t *testing.T, data []byte) {
		var err error
		n := allocated(func() {
			var kv ggml.KV
			if kv, err = readGGUFMetadata(bytes.NewReader(data)); err != nil {
				return
			}
			var file *File
			if file, err = fromKV(ggufMeta(kv)); err != nil {
				return
			}
			var tk *Vocab
			if tk, err = New(file); err != nil {
				return
			}
			for _, text := range encodeTexts {
				if _, err := tk.Pieces(text); err != nil {
					t.Fatalf("encode %q: %v", text, err)
				}
			}
		})
		if bound := encodeBound + 256*uint64(len(data)); n > bound {
			t.Fatalf("reading %d bytes and encoding allocated %d bytes, more than %d (error %v)", len(data), n, bound, err)
		}
	})
}
