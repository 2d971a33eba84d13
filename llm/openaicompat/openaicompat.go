// Package openaicompat is the backend for OpenAI-compatible serving
// engines (vLLM, SGLang, llama.cpp's server): it streams raw completions
// from /v1/completions with the top 20 log-probabilities of every token,
// the drafts the watermarking gateway accepts or replaces
// (generate.Speculative).
//
// What the acceptance assumes, and what each request pins so that it
// holds: the engine samples every token from p_T ∝ exp(logprob/T) over
// exactly the 20 candidates it reports, where logprob is the model's raw
// log-probability (before temperature, penalties and truncation) and T the
// temperature sent. Each request therefore sends logprobs 20, top_k 20,
// top_p 1, min_p 0, no penalties (presence, frequency, repetition, repeat)
// and the temperature and seed; an engine that ignores top_k samples among
// more tokens than it reports and the acceptance is no longer exact (the
// draft is then sometimes outside the candidates, which fails the
// request). vLLM's --logprobs-mode processed_logprobs reports log p_T
// itself (after temperature and top-k): set Options.Logprobs to
// ProcessedLogprobs and the client rescales them and checks that they sum
// to one over the candidates, which also catches an ignored top_k.
// docs/openai-backend.md says how to configure each engine.
package openaicompat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"forensics/llm/tokenizer"
)

// TopK is the number of candidates asked for and sampled among (the
// maximum OpenAI's API and vLLM's default --max-logprobs allow).
const TopK = 20

// LogprobsMode says which distribution the engine's log-probabilities
// are of.
type LogprobsMode string

const (
	// RawLogprobs: log-softmax of the model's logits, before temperature,
	// penalties and top-k (vLLM's default raw_logprobs; llama.cpp's
	// server without post_sampling_probs; Ollama).
	RawLogprobs LogprobsMode = "raw"
	// ProcessedLogprobs: of the distribution sampled from, after
	// temperature and top-k (vLLM's --logprobs-mode processed_logprobs).
	ProcessedLogprobs LogprobsMode = "processed"
)

// Options configure a Client.
type Options struct {
	// APIKey is sent as "Authorization: Bearer"; never logged or shown.
	APIKey string
	// Logprobs is the engine's log-probability mode (RawLogprobs if
	// empty).
	Logprobs LogprobsMode
	// EOSTokens are the model's end tokens as the engine prints them
	// (DefaultEOSTokens if nil): a candidate with this text is the end
	// of the sequence, which the watermark leaves alone.
	EOSTokens []string
	// Vocab, if set, is the served model's tokenizer: needed when the
	// engine names tokens by id ("token_id:N"), and it then knows the end
	// tokens itself.
	Vocab *tokenizer.Vocab
	// Chunk is how many tokens each request asks for (0: the whole
	// budget in one request, closed as soon as a draft is rejected).
	Chunk int
	// SeedBits is how many low bits of the sampling seed are sent (63 if
	// 0): llama.cpp's server takes a 32-bit seed.
	SeedBits int
	// MaxEvent bounds one streamed event (DefaultMaxEvent if 0).
	MaxEvent int
}

// DefaultEOSTokens are the end tokens of today's common model families,
// as vLLM prints them in logprobs.
var DefaultEOSTokens = []string{
	"</s>", "<|endoftext|>", "<|im_end|>", "<|eot_id|>", "<|end_of_text|>", "<|eom_id|>",
	"<end_of_turn>", "<eos>", "<|end|>", "<|return|>", "<｜end▁of▁sentence｜>",
}

// Client talks to one OpenAI-compatible engine.
type Client struct {
	base     *url.URL // the server root, without /v1
	hc       *http.Client
	apiKey   string
	mode     LogprobsMode
	eos      map[string]bool
	vocab    *tokenizer.Vocab
	chunk    int
	seedMask uint64
	maxEvent int

	mu       sync.Mutex
	models   []Model
	modelsAt time.Time
}

// New returns a client for the engine at base ("http://host:8000" or
// ".../v1", as OpenAI clients are given it).
func New(base *url.URL, hc *http.Client, o Options) (*Client, error) {
	if base == nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, errors.New("openai-compatible engine: want an http(s)://host:port URL")
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	c := &Client{base: rootOf(base), hc: hc, apiKey: o.APIKey, mode: o.Logprobs, vocab: o.Vocab,
		chunk: o.Chunk, seedMask: 1<<63 - 1, maxEvent: o.MaxEvent, eos: map[string]bool{}}
	switch c.mode {
	case "":
		c.mode = RawLogprobs
	case RawLogprobs, ProcessedLogprobs:
	default:
		return nil, fmt.Errorf("logprobs mode %q: want %s or %s", o.Logprobs, RawLogprobs, ProcessedLogprobs)
	}
	if o.SeedBits < 0 || o.SeedBits > 63 {
		return nil, fmt.Errorf("seed bits %d: want 1 to 63", o.SeedBits)
	}
	if o.SeedBits > 0 {
		c.seedMask = 1<<o.SeedBits - 1
	}
	if c.maxEvent <= 0 {
		c.maxEvent = DefaultMaxEvent
	}
	eos := o.EOSTokens
	if eos == nil {
		eos = DefaultEOSTokens
	}
	for _, e := range eos {
		c.eos[e] = true
	}
	return c, nil
}

// rootOf strips a trailing /v1 (and slash) from an engine URL.
func rootOf(u *url.URL) *url.URL {
	r := *u
	r.Path = strings.TrimSuffix(strings.TrimSuffix(r.Path, "/"), "/v1")
	r.RawPath = ""
	return &r
}

// Name implements llm.Streamer.
func (c *Client) Name() string { return "openai-compatible " + c.base.Redacted() }

// Base is the engine's address (without /v1).
func (c *Client) Base() *url.URL { return c.base }

// Vocab is the tokenizer the client was given, if any.
func (c *Client) Vocab() *tokenizer.Vocab { return c.vocab }

// APIKeyFrom reads an engine API key from an environment variable or a
// file (one of them, or neither for an engine without a key), trimmed of
// surrounding white space. Errors name the variable or file, never the
// key.
func APIKeyFrom(env, file string) (string, error) {
	switch {
	case env != "" && file != "":
		return "", errors.New("engine API key: give an environment variable or a file, not both")
	case env != "":
		k, ok := os.LookupEnv(env)
		if !ok || strings.TrimSpace(k) == "" {
			return "", fmt.Errorf("engine API key: environment variable %s is not set", env)
		}
		return strings.TrimSpace(k), nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("engine API key: %w", err)
		}
		if len(b) > 4<<10 || strings.TrimSpace(string(b)) == "" {
			return "", fmt.Errorf("engine API key: %s is empty or not a key", file)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

// newRequest makes a request to the engine with its key.
func (c *Client) newRequest(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequestWithContext(ctx, method, c.base.JoinPath(path).String(), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if c.apiKey != "" {
		r.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	return r, nil
}
