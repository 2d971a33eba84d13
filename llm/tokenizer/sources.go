package tokenizer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/fs/ggml"
)

// FromGGUF reads the tokenizer of a GGUF model file, whose metadata may be
// at most maxGGUFMetadata bytes.
func FromGGUF(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open gguf %s: %w", path, err)
	}
	defer fh.Close()
	kv, err := readGGUFMetadata(fh)
	if err != nil {
		return nil, fmt.Errorf("decode gguf %s: %w", path, err)
	}
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("hash gguf %s: %w", path, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return nil, fmt.Errorf("hash gguf %s: %w", path, err)
	}
	f, err := fromKV(ggufMeta(kv))
	if err != nil {
		return nil, fmt.Errorf("gguf %s: %w", path, err)
	}
	f.Source = "gguf sha256:" + hex.EncodeToString(h.Sum(nil))
	return f, nil
}

// maxShowResponse bounds the /api/show answer FromOllama reads; Ollama's
// client reads it whole, then decodes it into maps and slices of
// interfaces, about 12 bytes per byte of a JSON array of numbers. A
// verbose answer for Llama 3 or Gemma 2 is about 10 MB.
const maxShowResponse = 64 << 20

// FromOllama asks an Ollama server for a model's tokenizer (/api/show with
// verbose set returns the tokenizer.ggml.* keys). An answer longer than
// maxShowResponse is an error.
func FromOllama(ctx context.Context, base *url.URL, model string, hc *http.Client) (*File, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	c := api.NewClient(base, cappedClient(hc, maxShowResponse))
	resp, err := c.Show(ctx, &api.ShowRequest{Model: model, Verbose: true})
	if err != nil {
		return nil, fmt.Errorf("ollama %s show %s: %w", base.Redacted(), model, err)
	}
	f, err := fromKV(jsonMeta(resp.ModelInfo))
	if err != nil {
		return nil, fmt.Errorf("ollama %s model %s: %w", base.Redacted(), model, err)
	}
	f.Source = "ollama " + base.Redacted() + " model " + model
	return f, nil
}

// cappedClient returns a copy of hc whose response bodies fail after max
// bytes.
func cappedClient(hc *http.Client, max int64) *http.Client {
	c := *hc
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = cappedTransport{base: base, max: max}
	return &c
}

type cappedTransport struct {
	base http.RoundTripper
	max  int64
}

func (t cappedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	tooLarge := fmt.Errorf("answer larger than %d bytes", t.max)
	resp.Body = cappedBody{&cappedReader{r: resp.Body, left: t.max, err: tooLarge}, resp.Body}
	return resp, nil
}

// cappedBody is a response body read through a cappedReader.
type cappedBody struct {
	*cappedReader
	io.Closer
}

// metadata is the read access to tokenizer.ggml.* keys that both sources
// give: a decoded GGUF (ggml.KV) and the JSON model_info of /api/show.
type metadata interface {
	String(key string) string
	Strings(key string) []string
	Ints(key string) []int32
	Floats(key string) []float32
	Uint(key string) (uint32, bool)
	Bool(key string) bool
}

type ggufMeta ggml.KV

func (m ggufMeta) String(k string) string    { return ggml.KV(m).String(k) }
func (m ggufMeta) Strings(k string) []string { return ggml.KV(m).Strings(k) }
func (m ggufMeta) Ints(k string) []int32     { return ggml.KV(m).Ints(k) }
func (m ggufMeta) Floats(k string) []float32 { return ggml.KV(m).Floats(k) }
func (m ggufMeta) Bool(k string) bool        { return ggml.KV(m).Bool(k, false) }
func (m ggufMeta) Uint(k string) (uint32, bool) {
	if _, ok := m[k]; !ok {
		return 0, false
	}
	return ggml.KV(m).Uint(k), true
}

// jsonMeta reads model_info as encoding/json decodes it: numbers are
// float64 and arrays []any.
type jsonMeta map[string]any

func (m jsonMeta) String(k string) string { s, _ := m[k].(string); return s }
func (m jsonMeta) Bool(k string) bool     { b, _ := m[k].(bool); return b }
func (m jsonMeta) Uint(k string) (uint32, bool) {
	x, ok := m[k].(float64)
	if !ok || x < 0 || x > math.MaxUint32 || x != math.Trunc(x) {
		return 0, false
	}
	return uint32(x), true
}
func (m jsonMeta) Strings(k string) []string {
	xs, _ := m[k].([]any)
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
func (m jsonMeta) Ints(k string) []int32 {
	xs, _ := m[k].([]any)
	out := make([]int32, 0, len(xs))
	for _, x := range xs {
		v, _ := x.(float64)
		out = append(out, int32(v))
	}
	return out
}
func (m jsonMeta) Floats(k string) []float32 {
	xs, _ := m[k].([]any)
	out := make([]float32, 0, len(xs))
	for _, x := range xs {
		v, _ := x.(float64)
		out = append(out, float32(v))
	}
	return out
}

// fromKV reads the tokenizer.ggml.* keys.
func fromKV(kv metadata) (*File, error) {
	f := &File{
		Format:     FileFormat,
		Model:      kv.String("tokenizer.ggml.model"),
		Pre:        kv.String("tokenizer.ggml.pre"),
		Tokens:     kv.Strings("tokenizer.ggml.tokens"),
		TokenTypes: kv.Ints("tokenizer.ggml.token_type"),
		Scores:     kv.Floats("tokenizer.ggml.scores"),
		Merges:     kv.Strings("tokenizer.ggml.merges"),
		AddBOS:     kv.Bool("tokenizer.ggml.add_bos_token"),
		AddEOS:     kv.Bool("tokenizer.ggml.add_eos_token"),
	}
	if f.Model == "" || len(f.Tokens) == 0 {
		return nil, fmt.Errorf("no tokenizer in the model metadata (tokenizer.ggml.model %q, %d tokens)", f.Model, len(f.Tokens))
	}
	if id, ok := kv.Uint("tokenizer.ggml.bos_token_id"); ok {
		f.BOS = []int32{int32(id)}
	}
	if id, ok := kv.Uint("tokenizer.ggml.eos_token_id"); ok {
		f.EOS = []int32{int32(id)}
	}
	f.EOS = append(f.EOS, kv.Ints("tokenizer.ggml.eos_token_ids")...)
	// End-of-turn and end-of-message tokens also end a generation (they
	// are end-of-generation tokens to llama.cpp), so they count as ends.
	for _, k := range []string{"tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"} {
		if id, ok := kv.Uint(k); ok && !slices.Contains(f.EOS, int32(id)) {
			f.EOS = append(f.EOS, int32(id))
		}
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// FromSource reads a tokenizer definition from "gguf:PATH" or
// "ollama://HOST:PORT/MODEL" (the model name may carry a tag, as in
// ollama://127.0.0.1:11434/llama3.2:1b).
func FromSource(ctx context.Context, src string) (*File, error) {
	switch {
	case strings.HasPrefix(src, "gguf:"):
		return FromGGUF(strings.TrimPrefix(src, "gguf:"))
	case strings.HasPrefix(src, "hf:"):
		return FromHF(strings.TrimPrefix(src, "hf:"))
	case strings.HasPrefix(src, "ollama://"):
		base, model, err := ParseOllamaSource(src)
		if err != nil {
			return nil, err
		}
		return FromOllama(ctx, base, model, nil)
	}
	return nil, fmt.Errorf("tokenizer source %q: want gguf:PATH, hf:DIR, hf:PATH/tokenizer.json or ollama://HOST:PORT/MODEL", src)
}

// ProbeTexts exercise the parts of a pre-tokenizer where families differ:
// digit runs, punctuation runs, contractions, white space, non-Latin text.
var ProbeTexts = []string{
	"The letter said that Prince Andrew would come.",
	"In 1805 there were 12,000 roubles, 3.14159 and 2024-11-26.",
	"I'm sure he'd say: \"No!!\" -- (really?) [yes] {maybe} <ok> $5 + 10% ~ a|b ^c",
	"  leading spaces,\ttabs\n\nnewlines   and    runs  ",
	"naïve café — Ελληνικά, русский, 日本語のテキスト 🙂",
}

// VerifyOllama checks that tk splits text into the token ids the Ollama
// server itself uses for model, on ProbeTexts: for each, the server renders
// its prompt template (/api/generate with _debug_render_only) and
// generates one token, returning the ids of the rendered prompt (context);
// they must start with tk's ids for the rendered text. It loads the model,
// so it costs a few seconds. It returns an error naming the first
// difference.
func VerifyOllama(ctx context.Context, base *url.URL, model string, tk *Vocab, hc *http.Client) error {
	if hc == nil {
		hc = http.DefaultClient
	}
	c := api.NewClient(base, hc)
	stream := false
	for _, text := range ProbeTexts {
		var rendered string
		err := c.Generate(ctx, &api.GenerateRequest{Model: model, Prompt: text, Stream: &stream, DebugRenderOnly: true}, func(r api.GenerateResponse) error {
			if r.DebugInfo != nil {
				rendered = r.DebugInfo.RenderedTemplate
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("verify tokenizer: render: %w", err)
		}
		var got []int
		err = c.Generate(ctx, &api.GenerateRequest{Model: model, Prompt: text, Stream: &stream,
			Options: map[string]any{"num_predict": 1, "temperature": 0}}, func(r api.GenerateResponse) error {
			if r.Done {
				got = r.Context
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("verify tokenizer: generate: %w", err)
		}
		want, err := tk.Encode(rendered)
		if err != nil {
			return err
		}
		// The server may add BOS in front.
		if len(got) > 0 && len(tk.file.BOS) > 0 && int32(got[0]) == tk.file.BOS[0] && (len(want) == 0 || want[0] != tk.file.BOS[0]) {
			got = got[1:]
		}
		if len(got) < len(want) {
			return fmt.Errorf("verify tokenizer: %q: server used %d tokens, this tokenizer %d", text, len(got), len(want))
		}
		for i := range want {
			if int32(got[i]) != want[i] {
				return fmt.Errorf("verify tokenizer: %q splits differently from the server at token %d (server %q, here %q); the pre-tokenizer %q does not match how this server runs the model",
					text, i, tk.Piece(int32(got[i])), tk.Piece(want[i]), tk.file.Pre)
			}
		}
	}
	return nil
}

// ParseOllamaSource splits "ollama://HOST:PORT/MODEL" into the server's
// base URL and the model name.
func ParseOllamaSource(src string) (*url.URL, string, error) {
	rest := strings.TrimPrefix(src, "ollama://")
	host, model, ok := strings.Cut(rest, "/")
	if !ok || host == "" || model == "" {
		return nil, "", fmt.Errorf("tokenizer source %q: want ollama://HOST:PORT/MODEL", src)
	}
	base, err := url.Parse("http://" + host)
	if err != nil || base.Host != host {
		return nil, "", fmt.Errorf("tokenizer source %q: bad host %q", src, host)
	}
	return base, model, nil
}
