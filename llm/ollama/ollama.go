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
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/ollama/ollama/api"

	"forensics/llm/tokenizer"
)

// TopK is the number of candidates Ollama reports (its maximum) and
// samples among.
const TopK = 20

// Client talks to one Ollama server.
type Client struct {
	// Chunk is how many tokens each upstream request asks for
	// (DefaultChunk if 0).
	Chunk int
	// Cancel makes Stream ask for the whole remaining budget in one request
	// and close it as soon as a draft is rejected, instead of reading
	// chunks to their end. Do not use it with Ollama v0.17.4: repeated
	// cancellations hung its llama.cpp runner in both e2e runs that used
	// them and its Go engine (OLLAMA_NEW_ENGINE=1) in one of three. It is
	// here for servers that are known to survive them.
	Cancel bool
	base   *url.URL
	hc     *http.Client
	api    *api.Client
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
	return &Client{base: base, hc: hc, api: api.NewClient(base, hc), eos: map[string]map[string]bool{}}
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
		// No stop strings from the Modelfile: the gateway applies the
		// client's own, and an end of generation must be an end token,
		// whose probability the watermark leaves alone.
		"stop": []string{},
	}
	if numPredict > 0 {
		o["num_predict"] = numPredict
	}
	return o
}

// eosTokens returns the text of the model's end tokens, from its tokenizer
// (/api/show, verbose), once per model, through the client's own HTTP
// client so that its timeout and transport apply.
func (c *Client) eosTokens(ctx context.Context, model string) (map[string]bool, error) {
	c.mu.Lock()
	e, ok := c.eos[model]
	c.mu.Unlock()
	if ok {
		return e, nil
	}
	f, err := tokenizer.FromOllama(ctx, c.base, model, c.hc)
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
