package tokenizer

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	otok "github.com/ollama/ollama/tokenizer"
)

// allocated returns the bytes fn allocates (all goroutines, so tests that
// use it do not run in parallel).
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// encodeBound is what loading a small definition and encoding
// encodeTexts may allocate; before the fixes the hostile files in
// testdata allocated until the process died.
const encodeBound = 64 << 20

// encodeTexts are encoded with every definition a test or fuzz target
// loads.
var encodeTexts = []string{
	"hello world 123 🙂",
	"<s>a</s><unk> ab ba <0x41>\n\n  \t",
	strings.Repeat("ab a", 64),
}

// readHostile decodes a definition from testdata without validating it.
func readHostile(t *testing.T, name string) (*File, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return &f, data
}

// TestHostileFilesBounded: definitions with an empty special token made
// Ollama's encoders loop for ever, appending fragments (detect --tokenizer
// and verify died out of memory). They are refused at load, and the
// encoder stays bounded even when handed one.
func TestHostileFilesBounded(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"hostile-empty-control-spm.json", "token 0 is an empty control token"},
		{"hostile-empty-special-bpe.json", "token 3 is an empty user-defined token"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, data := readHostile(t, tt.file)
			if _, err := ReadFile(bytes.NewReader(data)); err == nil || err.Error() != tt.want {
				t.Fatalf("ReadFile: %v, want %q", err, tt.want)
			}
			var err error
			n := allocated(func() {
				var tk *Vocab
				if tk, err = build(f); err != nil {
					return
				}
				for _, text := range encodeTexts {
					if _, err = tk.Pieces(text); err != nil {
						return
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if n > encodeBound {
				t.Fatalf("encoding allocated %d bytes, more than %d", n, encodeBound)
			}
			t.Logf("build and encode allocated %d bytes", n)
		})
	}
}

// TestSpecialCutsLinear: Ollama cuts text at special tokens by splicing
// its fragment list at each occurrence, allocating the square of the
// number of occurrences (49 s and 32 GB for 240 KB of Gemma's "<bos>" and
// "<eos>"). The cutting here allocates linearly.
func TestSpecialCutsLinear(t *testing.T) {
	f := &File{Format: FileFormat, Model: "llama",
		Tokens:     []string{"<unk>", "<eos>", "<bos>", "▁x", "x", "y"},
		TokenTypes: []int32{2, 3, 3, 1, 1, 1},
		Scores:     []float32{0, 0, 0, -1, -2, -2}}
	tk, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("x<bos>y<eos>", 20000)
	var ids []int32
	n := allocated(func() { ids, err = tk.Encode(text) })
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 80000 {
		t.Fatalf("%d ids, want 80000", len(ids))
	}
	if n > encodeBound {
		t.Fatalf("encoding allocated %d bytes, more than %d", n, encodeBound)
	}
	t.Logf("encoding %d bytes allocated %d bytes", len(text), n)
}

// ollamaOwn builds Ollama's tokenizer for f exactly as Ollama does, with
// its own cutting at special tokens.
func ollamaOwn(t testing.TB, f *File) otok.Tokenizer {
	t.Helper()
	types := f.TokenTypes
	if len(types) == 0 {
		types = plainTypes(nil, len(f.Tokens))
	}
	v := &otok.Vocabulary{Values: f.Tokens, Types: types, Scores: f.Scores, Merges: f.Merges}
	if f.Model == "llama" {
		spm := otok.NewSentencePiece(v)
		return &spm
	}
	pre, err := PreTokenizer(f.Pre)
	if err != nil {
		t.Fatal(err)
	}
	bpe := otok.NewBytePairEncoding(v, pre...)
	return &bpe
}

// assertSameAsOllama checks tk encodes each text to Ollama's ids.
func assertSameAsOllama(t *testing.T, f *File, texts []string) {
	t.Helper()
	tk, err := New(f)
	if err != nil {
		t.Fatal(err)
	}
	own := ollamaOwn(t, f)
	for _, text := range texts {
		want, _ := own.Encode(text, false)
		got, err := tk.Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%.40q: ids %v, Ollama %v", text, got, want)
		}
	}
}

var specialTexts = []string{
	"",
	"<start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n",
	"<bos><bos>x<eos><pad>",
	"<table><tr><td>1</td></tr></table> <h1>title</h1>",
	"<start_of_turn<end_of_turn>>\n\n\n\n   \t\t",
	"[multimodal]<mask><unused3><2mass>",
}

func TestSpecialCutsMatchOllamaGemma2(t *testing.T) {
	texts := append(append([]string{}, roundTripTexts...), specialTexts...)
	assertSameAsOllama(t, gemma2FileTypes(t, true), texts)
}

func TestSpecialCutsMatchOllamaLlama32(t *testing.T) {
	f := llama32File(t)
	f.Tokens = append(f.Tokens, "<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>", "eot", "<|")
	f.TokenTypes = plainTypes(nil, len(f.Tokens))
	for i := len(f.TokenTypes) - 6; i < len(f.TokenTypes); i++ {
		f.TokenTypes[i] = otok.TOKEN_TYPE_CONTROL
	}
	texts := append(append([]string{}, roundTripTexts...),
		"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
		"<|<|eot_id|>|> eot<|eot",
	)
	assertSameAsOllama(t, f, texts)
}

// TestSpecialCutsOverlap: the cuts follow vocabulary order, then leftmost
// non-overlapping occurrences, and duplicates take the last id, as
// Ollama's do.
func TestSpecialCutsOverlap(t *testing.T) {
	f := &File{Format: FileFormat, Model: "llama",
		Tokens:     []string{"<unk>", "a>", "<a", "<a>", "aa", "a>", "▁a", "a", "<", ">"},
		TokenTypes: []int32{2, 3, 4, 3, 4, 4, 1, 1, 1, 1},
		Scores:     []float32{0, 0, 0, 0, 0, 0, -1, -2, -3, -3}}
	assertSameAsOllama(t, f, []string{"<a>", "<a>a>aaa<<a>>", "aaaa<a<a a> <a>a", "a"})
}

func TestValidateLimits(t *testing.T) {
	long := strings.Repeat("x", maxPieceBytes+1)
	base := func() *File {
		return &File{Format: FileFormat, Model: "llama",
			Tokens: []string{"<unk>", "<s>", "</s>", "a", "b"}, TokenTypes: []int32{2, 3, 3, 1, 1}, Scores: make([]float32, 5)}
	}
	tests := []struct {
		name   string
		mutate func(*File)
		want   string
	}{
		{"ok", func(*File) {}, ""},
		{"tokens", func(f *File) {
			f.Tokens = make([]string, maxTokens+1)
			f.TokenTypes, f.Scores = nil, make([]float32, maxTokens+1)
		}, "1048577 tokens, more than 1048576"},
		{"piece", func(f *File) { f.Tokens[4] = long }, "token 4 is 1025 bytes, more than 1024"},
		{"total", func(f *File) {
			f.Model, f.Merges = "gpt2", make([]string, maxVocabBytes/maxMergeBytes+1)
			m := strings.Repeat("m", maxMergeBytes)
			for i := range f.Merges {
				f.Merges[i] = m
			}
		}, "more than 67108864"},
		{"merges", func(f *File) { f.Model, f.Merges = "gpt2", make([]string, maxMerges+1) }, "2097153 merges, more than 2097152"},
		{"merge", func(f *File) { f.Model, f.Merges = "gpt2", []string{"a b", long + " " + long} }, "merge 1 is 2051 bytes"},
		{"type", func(f *File) { f.TokenTypes[3] = 7 }, "token 3 has type 7"},
		{"negative type", func(f *File) { f.TokenTypes[3] = -1 }, "token 3 has type -1"},
		{"empty control", func(f *File) { f.Tokens[1] = "" }, "token 1 is an empty control token"},
		{"empty user-defined", func(f *File) { f.Tokens[3], f.TokenTypes[3] = "", 4 }, "token 3 is an empty user-defined token"},
		{"empty normal", func(f *File) { f.Tokens[3] = "" }, ""},
		{"duplicate", func(f *File) { f.Tokens[4] = f.Tokens[3] }, ""},
		{"specials", func(f *File) {
			n := maxSpecialTokens + 1
			f.Tokens, f.TokenTypes, f.Scores = make([]string, n), make([]int32, n), make([]float32, n)
			for i := range f.Tokens {
				f.Tokens[i], f.TokenTypes[i] = "<"+strings.Repeat("s", i%100+1)+">", 4
			}
		}, "16385 control and user-defined tokens, more than 16384"},
		{"nan", func(f *File) { f.Scores[2] = float32(math.NaN()) }, "score of token 2 is not a finite number"},
		{"inf", func(f *File) { f.Scores[3] = float32(math.Inf(1)) }, "score of token 3"},
		{"huge score", func(f *File) { f.Scores[4] = -1e31 }, "score of token 4"},
		{"bos", func(f *File) { f.BOS = []int32{5} }, "BOS id 5 (entry 0) outside"},
		{"eos", func(f *File) { f.EOS = []int32{1, -1} }, "EOS id -1 (entry 1) outside"},
		{"ends", func(f *File) { f.EOS = make([]int32, maxEndTokens+1) }, "257 EOS ids, more than 256"},
		{"model echo", func(f *File) { f.Model = long }, `"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"… (1025 bytes) is not supported`},
		{"pre echo", func(f *File) { f.Model, f.Merges, f.Pre = "gpt2", []string{"a b"}, long }, "unknown pre-tokenizer"},
		{"format echo", func(f *File) { f.Format = long }, "(1025 bytes) is not"},
	}
	for _, tt := range tests {
		f := base()
		tt.mutate(f)
		err := f.Validate()
		if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
		if err != nil && len(err.Error()) > 400 {
			t.Errorf("%s: error of %d bytes echoes the input", tt.name, len(err.Error()))
		}
	}
}

func TestReadFileTooLarge(t *testing.T) {
	// A valid file padded with white space past the cap.
	valid := `{"format":"forensics-tokenizer-v1","model":"gpt2","tokens":["a","b","ab"],"merges":["a b"]`
	data := valid + strings.Repeat(" ", maxTokenizerFile) + "}"
	_, err := ReadFile(strings.NewReader(data))
	if err == nil || err.Error() != errFileTooLarge.Error() {
		t.Fatalf("ReadFile of %d bytes: %v", len(data), err)
	}
	if _, err := ReadFile(strings.NewReader(valid + "}")); err != nil {
		t.Fatal(err)
	}
}

// FuzzSpecialCuts checks the cutting at special tokens against Ollama's:
// specials holds special tokens separated by "|".
func FuzzSpecialCuts(f *testing.F) {
	f.Add("<s>|</s>|<a>", "x<s>y</s><a><s>")
	f.Add("ab|b|a|ab", "aabbab ba")
	f.Add("<|eot|>|eot|<|", "<|<|eot|>|> eot")
	f.Fuzz(func(t *testing.T, specials, text string) {
		if len(specials) > 200 || len(text) > 2000 {
			return // Ollama's own cutting is quadratic
		}
		file := &File{Format: FileFormat, Model: "llama",
			Tokens: []string{"<unk>", "▁", "a", "b", "x"}, TokenTypes: []int32{2, 1, 1, 1, 1}}
		for _, s := range strings.Split(specials, "|") {
			if s != "" {
				file.Tokens = append(file.Tokens, s)
				file.TokenTypes = append(file.TokenTypes, otok.TOKEN_TYPE_CONTROL)
			}
		}
		file.Scores = make([]float32, len(file.Tokens))
		tk, err := New(file)
		if err != nil {
			t.Skip(err)
		}
		want, _ := ollamaOwn(t, file).Encode(text, false)
		got, err := tk.Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("ids %v, Ollama %v", got, want)
		}
	})
}

// TestCappedClient: Ollama's client reads an answer whole, so FromOllama
// caps the body it is given.
func TestCappedClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 5000))
	}))
	defer srv.Close()
	for _, tt := range []struct {
		max  int64
		want string
	}{{5000, ""}, {4999, "answer larger than 4999 bytes"}} {
		resp, err := cappedClient(srv.Client(), tt.max).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if (tt.want == "") != (err == nil) || err != nil && err.Error() != tt.want {
			t.Errorf("max %d: %d bytes, %v, want %q", tt.max, len(body), err, tt.want)
		}
	}
}
