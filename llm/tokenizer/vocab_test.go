package tokenizer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/ollama/ollama/convert/sentencepiece"
	"github.com/ollama/ollama/fs/ggml"
	"google.golang.org/protobuf/proto"
)

// ollamaTestdata is the tokenizer/testdata folder of the Ollama module in
// the module cache: real vocabularies, read in place, not copied.
var ollamaTestdata = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/ollama/ollama").Output()
	if err != nil {
		return "", err
	}
	return filepath.Join(strings.TrimSpace(string(out)), "tokenizer", "testdata"), nil
})

// llama32File builds the Llama 3.2 BPE tokenizer from encoder.json and
// vocab.bpe, as Ollama's own tests do.
func llama32File(t testing.TB) *File {
	t.Helper()
	dir, err := ollamaTestdata()
	if err != nil {
		t.Skipf("ollama module not in the module cache: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "llama3.2", "encoder.json"))
	if err != nil {
		t.Fatal(err)
	}
	var enc map[string]int32
	if err := json.Unmarshal(data, &enc); err != nil {
		t.Fatal(err)
	}
	f := &File{Format: FileFormat, Model: "gpt2", Pre: "llama-bpe", Tokens: make([]string, len(enc))}
	for tok, id := range enc {
		f.Tokens[id] = tok
	}
	mf, err := os.Open(filepath.Join(dir, "llama3.2", "vocab.bpe"))
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	sc := bufio.NewScanner(mf)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "#") {
			f.Merges = append(f.Merges, sc.Text())
		}
	}
	return f
}

// gemma2File builds Gemma 2's SentencePiece tokenizer with its
// user-defined tokens made normal.
func gemma2File(t testing.TB) *File {
	t.Helper()
	return gemma2FileTypes(t, false)
}

// gemma2FileTypes builds Gemma 2's SentencePiece tokenizer from its
// tokenizer.model, keeping the 245 user-defined tokens if userDefined.
func gemma2FileTypes(t testing.TB, userDefined bool) *File {
	t.Helper()
	dir, err := ollamaTestdata()
	if err != nil {
		t.Skipf("ollama module not in the module cache: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "gemma2", "tokenizer.model"))
	if err != nil {
		t.Fatal(err)
	}
	var spm sentencepiece.ModelProto
	if err := proto.Unmarshal(data, &spm); err != nil {
		t.Fatal(err)
	}
	f := &File{Format: FileFormat, Model: "llama"}
	for _, p := range spm.GetPieces() {
		f.Tokens = append(f.Tokens, p.GetPiece())
		f.Scores = append(f.Scores, p.GetScore())
		typ := int32(p.GetType())
		if !userDefined && typ == int32(sentencepiece.ModelProto_SentencePiece_USER_DEFINED) {
			typ = int32(sentencepiece.ModelProto_SentencePiece_NORMAL)
		}
		f.TokenTypes = append(f.TokenTypes, typ)
	}
	return f
}

var roundTripTexts = []string{
	"hello world",
	"Hello, World! How's it going?",
	"naïve café, Ελληνικά, русский, 日本語のテキスト, עברית",
	"emoji: 🙂👍🏽 🇫🇷 family 👨‍👩‍👧",
	"func main() {\n\tfmt.Println(\"hi\")\n}\n",
	"    four spaces\n\n\n\t\ttabs   and   runs          of  blanks   ",
	"numbers 1234567890 3.14159 -42 1e-300",
	"zero\u200bwidth and soft\u00adhyphen",
}

func TestLlama32BPE(t *testing.T) {
	tk, err := New(llama32File(t))
	if err != nil {
		t.Fatal(err)
	}
	// Token ids of "hello world" in Llama 3, as in Ollama's
	// tokenizer/bytepairencoding_test.go (TestLlama/simple).
	ids, err := tk.Encode("hello world")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, []int32{15339, 1917}) {
		t.Fatalf("ids %v, want [15339 1917]", ids)
	}
	if got, _ := tk.Pieces("hello world"); !reflect.DeepEqual(got, []string{"hello", " world"}) {
		t.Fatalf("pieces %q", got)
	}
	for _, text := range roundTripTexts {
		pieces, err := tk.Pieces(text)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(pieces, "") != text {
			t.Errorf("byte-level BPE must round-trip %q, got %q", text, strings.Join(pieces, ""))
		}
	}
	// An emoji is several byte-level tokens, some of them partial UTF-8.
	pieces, _ := tk.Pieces("🙂")
	if strings.Join(pieces, "") != "🙂" {
		t.Fatalf("emoji pieces %q", pieces)
	}
	if !strings.HasPrefix(tk.ID(), "gpt2:sha256:") {
		t.Fatalf("id %q", tk.ID())
	}
}

func TestGemma2SentencePiece(t *testing.T) {
	tk, err := New(gemma2File(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range roundTripTexts {
		pieces, err := tk.Pieces(text)
		if err != nil {
			t.Fatal(err)
		}
		joined := strings.Join(pieces, "")
		if joined != text && joined != " "+text {
			t.Errorf("round trip of %q gave %q", text, joined)
		}
	}
}

func TestPreTokenizers(t *testing.T) {
	for _, name := range KnownPreTokenizers() {
		pre, err := PreTokenizer(name)
		if err != nil || len(pre) == 0 {
			t.Fatalf("%s: %v", name, err)
		}
		for _, p := range pre {
			if _, err := regexp2.Compile(p, regexp2.RE2); err != nil {
				t.Errorf("%s: pattern does not compile: %v", name, err)
			}
		}
	}
	if _, err := PreTokenizer("no-such-pre"); err == nil || !strings.Contains(err.Error(), "known:") {
		t.Fatalf("unknown pre-tokenizer: %v", err)
	}
	if p, _ := PreTokenizer(""); !reflect.DeepEqual(p, preLlamaCppDefault) {
		t.Fatal("empty pre must mean default")
	}
}

func TestFileRoundTripAndGGUF(t *testing.T) {
	f := llama32File(t)
	f.BOS, f.EOS = []int32{0}, []int32{1, 2}
	dir := t.TempDir()
	path := filepath.Join(dir, "tok.json")
	if err := f.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	g, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if g.ID() != f.ID() {
		t.Fatal("id changed across write and load")
	}
	// The same tokenizer through a GGUF file.
	gguf := filepath.Join(dir, "m.gguf")
	fh, err := os.Create(gguf)
	if err != nil {
		t.Fatal(err)
	}
	kv := ggml.KV{
		"general.architecture":         "llama",
		"tokenizer.ggml.model":         "gpt2",
		"tokenizer.ggml.pre":           "llama-bpe",
		"tokenizer.ggml.tokens":        f.Tokens,
		"tokenizer.ggml.merges":        f.Merges,
		"tokenizer.ggml.bos_token_id":  uint32(0),
		"tokenizer.ggml.eos_token_id":  uint32(1),
		"tokenizer.ggml.eos_token_ids": []int32{2},
	}
	if err := ggml.WriteGGUF(fh, kv, nil); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	fromGGUF, err := FromGGUF(gguf)
	if err != nil {
		t.Fatal(err)
	}
	if fromGGUF.ID() != f.ID() || !strings.HasPrefix(fromGGUF.Source, "gguf sha256:") {
		t.Fatalf("GGUF tokenizer differs: %s vs %s", fromGGUF.ID(), f.ID())
	}
}

func TestFromOllamaShow(t *testing.T) {
	f := llama32File(t)
	f.EOS = []int32{128001}
	if len(f.Tokens) <= 128001 {
		f.Tokens = append(f.Tokens, make([]string, 128002-len(f.Tokens))...)
		for i := range f.Tokens {
			if f.Tokens[i] == "" {
				f.Tokens[i] = "<|reserved_" + string(rune('a'+i%26)) + "|>"
			}
		}
	}
	var gotReq map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/show" {
			http.NotFound(w, r)
			return
		}
		json.NewDecoder(r.Body).Decode(&gotReq)
		json.NewEncoder(w).Encode(map[string]any{"model_info": map[string]any{
			"general.architecture":        "llama",
			"tokenizer.ggml.model":        f.Model,
			"tokenizer.ggml.pre":          f.Pre,
			"tokenizer.ggml.tokens":       f.Tokens,
			"tokenizer.ggml.merges":       f.Merges,
			"tokenizer.ggml.eos_token_id": 128001,
		}})
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	got, err := FromOllama(context.Background(), u, "llama3.2", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if gotReq["verbose"] != true || gotReq["model"] != "llama3.2" {
		t.Fatalf("request %v", gotReq)
	}
	if got.ID() != f.ID() {
		t.Fatal("tokenizer from /api/show differs from the source vocabulary")
	}
}

func TestFileValidate(t *testing.T) {
	base := func() *File {
		return &File{Format: FileFormat, Model: "gpt2", Tokens: []string{"a", "b", "ab"}, Merges: []string{"a b"}}
	}
	tests := []struct {
		name   string
		mutate func(*File)
		want   string
	}{
		{"ok", func(*File) {}, ""},
		{"format", func(f *File) { f.Format = "x" }, "format"},
		{"no tokens", func(f *File) { f.Tokens = nil }, "no tokens"},
		{"types", func(f *File) { f.TokenTypes = []int32{1} }, "token types"},
		{"no merges", func(f *File) { f.Merges = nil }, "no merges"},
		{"pre", func(f *File) { f.Pre = "mystery" }, "unknown pre-tokenizer"},
		{"eos range", func(f *File) { f.EOS = []int32{3} }, "outside"},
		{"spm scores", func(f *File) { f.Model = "llama" }, "score"},
		{"model", func(f *File) { f.Model = "bert" }, "not supported"},
	}
	for _, tt := range tests {
		f := base()
		tt.mutate(f)
		err := f.Validate()
		if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// FuzzReadFile: whatever the file, loading it and encoding encodeTexts
// must not panic and must allocate a bounded amount (a fuzzed file with an
// empty special token made encoding allocate until the process died).
func FuzzReadFile(f *testing.F) {
	f.Add([]byte(`{"format":"forensics-tokenizer-v1","model":"gpt2","tokens":["a","b","ab"],"merges":["a b"]}`))
	f.Add([]byte(`{"format":"forensics-tokenizer-v1","model":"llama","tokens":["▁a"],"scores":[0]}`))
	f.Add([]byte(`{"format":"forensics-tokenizer-v1","model":"llama","tokens":["<unk>","<s>","</s>","▁a","b","<0x41>"],"scores":[0,0,0,-1,-2,0],"token_types":[2,3,3,1,1,6]}`))
	f.Add([]byte(`{"format":"forensics-tokenizer-v1","model":"gpt2","tokens":["a","b","ab","<s>","<0x41>"],"token_types":[1,1,1,3,6],"merges":["a b"],"bos":[3],"eos":[3]}`))
	f.Add([]byte(`{"tokens":[1]}`))
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range seeds {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var err error
		n := allocated(func() {
			var file *File
			if file, err = ReadFile(bytes.NewReader(data)); err != nil {
				return
			}
			var tk *Vocab
			if tk, err = New(file); err != nil {
				return
			}
			for _, text := range encodeTexts {
				if _, err = tk.Pieces(text); err != nil {
					t.Fatalf("encode %q: %v", text, err)
				}
			}
		})
		if bound := encodeBound + 256*uint64(len(data)); n > bound {
			t.Fatalf("loading %d bytes and encoding allocated %d bytes, more than %d (error %v)", len(data), n, bound, err)
		}
	})
}

func BenchmarkLlama32Pieces(b *testing.B) {
	tk, err := New(llama32File(b))
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("The quick brown fox jumps over the lazy dog, 42 times.\n", 200)
	b.SetBytes(int64(len(text)))
	for i := 0; i < b.N; i++ {
		tk.Pieces(text)
	}
}
