// Package ollama is the Ollama backend: it streams raw completions with
// their top log-probabilities (the drafts the watermarking gateway accepts
// or replaces), renders chat requests to raw prompts, and lists models.
//
// Sampling options are pinned so that the distribution Ollama samples from
// is exactly p_T ∝ exp(logprob/T) over the reported top 20 candidates:
// top_k 20, top_p 1, min_p 0, repeat_penalty 1 (and the other penalties
// off), with the caller's temperature and seed.
package ollama

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/ollama/ollama/api"

	"forensics/llm"
	"forensics/llm/tokenizer"
)

// TopK is the number of candidates Ollama reports (its maximum) and
// samples among.
const TopK = 20

// Client talks to one Ollama server.
type Client struct {
	base *url.URL
	api  *api.Client
	// eos caches, per model, the text of its end-of-sequence tokens, used to
	// recognise them among the reported candidates.
	mu  sync.Mutex
	eos map[string]map[string]bool
}

// New returns a client for an Ollama server at base (http://host:port).
func New(base *url.URL, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: base, api: api.NewClient(base, hc), eos: map[string]map[string]bool{}}
}

// ParseHost accepts OLLAMA_HOST-style addresses: "host:port", "host",
// ":port" or a full http(s) URL.
func ParseHost(s string) (*url.URL, error) {
	if s == "" {
		s = "127.0.0.1:11434"
	}
	if !strings.Contains(s, "://") {
		if strings.HasPrefix(s, ":") {
			s = "127.0.0.1" + s
		}
		if !strings.Contains(s, ":") {
			s += ":11434"
		}
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("ollama address %q: want host:port or http(s)://host:port", s)
	}
	return u, nil
}

// Name implements llm.Streamer.
func (c *Client) Name() string { return "ollama " + c.base.Redacted() }

// Base is the server's address.
func (c *Client) Base() *url.URL { return c.base }

// API exposes the underlying client for pass-through calls.
func (c *Client) API() *api.Client { return c.api }

// Options are the pinned sampling options for a temperature and seed.
func Options(temperature float64, seed uint64, numPredict int) map[string]any {
	o := map[string]any{
		"temperature":       temperature,
		"top_k":             TopK,
		"top_p":             1.0,
		"min_p":             0.0,
		"typical_p":         1.0,
		"repeat_penalty":    1.0,
		"presence_penalty":  0.0,
		"frequency_penalty": 0.0,
		"seed":              int64(seed & (1<<62 - 1)),
	}
	if numPredict > 0 {
		o["num_predict"] = numPredict
	}
	return o
}

// Stream implements llm.Streamer with /api/generate (raw, logprobs).
func (c *Client) Stream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) error {
	eos, err := c.eosTokens(ctx, req.Model)
	if err != nil {
		return err
	}
	stream := true
	greq := &api.GenerateRequest{
		Model:       req.Model,
		Prompt:      req.Prompt + strings.Join(req.Generated, ""),
		Raw:         true,
		Stream:      &stream,
		Logprobs:    true,
		TopLogprobs: TopK,
		Options:     Options(req.Temperature, req.Seed, req.MaxTokens),
	}
	var cbErr error
	err = c.api.Generate(ctx, greq, func(r api.GenerateResponse) error {
		for _, lp := range r.Logprobs {
			d := llm.Draft{Piece: pieceOf(lp.TokenLogprob), Candidates: make([]llm.Candidate, 0, len(lp.TopLogprobs))}
			for _, t := range lp.TopLogprobs {
				p := pieceOf(t)
				d.Candidates = append(d.Candidates, llm.Candidate{Piece: p, LogProb: t.Logprob, EOS: eos[p]})
			}
			if err := fn(d); err != nil {
				cbErr = err
				return err
			}
		}
		if r.Done && r.DoneReason == "stop" {
			// Ollama reports no log-probability for the end token.
			if err := fn(llm.Draft{EOS: true}); err != nil {
				cbErr = err
				return err
			}
		}
		return nil
	})
	if cbErr != nil {
		if errors.Is(cbErr, llm.ErrStop) {
			return nil
		}
		return cbErr
	}
	if err != nil {
		return fmt.Errorf("ollama generate: %w", err)
	}
	return nil
}

// pieceOf is a token's bytes: the bytes field when given (a token that is
// part of a UTF-8 character has "\ufffd" as its text), the text otherwise.
func pieceOf(t api.TokenLogprob) string {
	if len(t.Bytes) == 0 {
		return t.Token
	}
	b := make([]byte, len(t.Bytes))
	for i, x := range t.Bytes {
		b[i] = byte(x)
	}
	return string(b)
}

// eosTokens returns the text of the model's end tokens, from its tokenizer
// (/api/show, verbose), once per model.
func (c *Client) eosTokens(ctx context.Context, model string) (map[string]bool, error) {
	c.mu.Lock()
	e, ok := c.eos[model]
	c.mu.Unlock()
	if ok {
		return e, nil
	}
	f, err := tokenizer.FromOllama(ctx, c.base, model, nil)
	if err != nil {
		return nil, err
	}
	e = map[string]bool{}
	for _, id := range f.EOS {
		e[f.Tokens[id]] = true
	}
	c.mu.Lock()
	c.eos[model] = e
	c.mu.Unlock()
	return e, nil
}

// Render turns a chat into the raw prompt the model's template makes of it
// (/api/chat with _debug_render_only), so chats can be generated with raw
// completions.
func (c *Client) Render(ctx context.Context, model string, msgs []api.Message) (string, error) {
	stream := false
	var out string
	err := c.api.Chat(ctx, &api.ChatRequest{Model: model, Messages: msgs, Stream: &stream, DebugRenderOnly: true}, func(r api.ChatResponse) error {
		if r.DebugInfo != nil {
			out = r.DebugInfo.RenderedTemplate
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("ollama render chat: %w", err)
	}
	return out, nil
}
