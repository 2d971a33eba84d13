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
	"math"
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

// DefaultChunk is how many tokens one upstream request asks for. Measured
// on the e2e tiny model (TestThroughputVsOllama): chunks of 3 gave 0.53 of
// plain Ollama's tokens/s, chunks of 8 gave 0.33.
const DefaultChunk = 3

// Stream implements llm.Streamer with /api/generate (raw, logprobs), in
// requests of at most Chunk tokens, each read to its end.
//
// Why chunks, and why read to the end: clients closing streams early can
// leave Ollama v0.17.4 answering nothing at all (intermittent: the
// cancel-on-rejection loop hung its llama.cpp runner in both e2e runs that
// used it; see the README and scripts/repro-ollama-cancel-hang.sh). So the stream is never cancelled: when fn stops it (a
// rejected draft), the rest of the current chunk is read and dropped. A
// chunk of K wastes at most K−1 tokens; at the ≈0.4 rejection rate of
// δ = 2 the expected accepted run is ≈2.5, so small chunks cost few extra
// round trips.
// A cancelled ctx is honoured the same way: no new request, the current
// one drained.
func (c *Client) Stream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) error {
	eos, err := c.eosTokens(ctx, req.Model)
	if err != nil {
		return err
	}
	chunk := c.Chunk
	if chunk <= 0 {
		chunk = DefaultChunk
	}
	if req.Chunk > 0 {
		chunk = req.Chunk
	}
	cancel := c.Cancel && req.Chunk == 0
	if cancel {
		chunk = math.MaxInt32
	}
	reqCtx := context.WithoutCancel(ctx)
	if cancel {
		reqCtx = ctx
	}
	generated := append([]string{}, req.Generated...)
	produced := 0
	for request := 0; req.MaxTokens <= 0 || produced < req.MaxTokens; request++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if request > 0 && llm.EndsMidCharacter(strings.Join(generated, "")) {
			return llm.ErrMidCharacter
		}
		want := chunk
		if req.MaxTokens > 0 {
			want = min(want, req.MaxTokens-produced)
		}
		stream := true
		greq := &api.GenerateRequest{
			Model:       req.Model,
			Prompt:      req.Prompt + strings.Join(generated, ""),
			Raw:         true,
			Stream:      &stream,
			Logprobs:    true,
			TopLogprobs: TopK,
			Options:     Options(req.Temperature, req.Seed+uint64(request), want),
		}
		var stopErr error // what fn returned; later drafts are drained
		got, sawEOS, sawDone := 0, false, false
		// The request outlives ctx on purpose (see above); the HTTP
		// client's timeout still bounds it.
		err := c.api.Generate(reqCtx, greq, func(r api.GenerateResponse) error {
			for _, lp := range r.Logprobs {
				got++
				if stopErr != nil || ctx.Err() != nil {
					if cancel {
						return llm.ErrStop // closes the stream
					}
					continue
				}
				d := llm.Draft{Piece: pieceOf(lp.TokenLogprob), Request: request, Candidates: make([]llm.Candidate, 0, len(lp.TopLogprobs))}
				for _, t := range lp.TopLogprobs {
					p := pieceOf(t)
					d.Candidates = append(d.Candidates, llm.Candidate{Piece: p, LogProb: t.Logprob, EOS: eos[p]})
				}
				if err := fn(d); err != nil {
					stopErr = err
					continue
				}
				generated = append(generated, d.Piece)
				produced++
			}
			if r.Done {
				sawDone = true
				sawEOS = r.DoneReason == "stop"
			}
			return nil
		})
		if err != nil && !(cancel && (errors.Is(err, llm.ErrStop) || ctx.Err() != nil)) {
			return fmt.Errorf("ollama generate: %w", err)
		}
		if stopErr != nil {
			if errors.Is(stopErr, llm.ErrStop) {
				return nil
			}
			return stopErr
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !sawDone {
			// A stream that stops without its final message lost its
			// server; it is not a short generation.
			return fmt.Errorf("ollama generate: stream ended after %d tokens without completing (upstream connection lost)", got)
		}
		if sawEOS {
			// Ollama reports no log-probability for the end token.
			if err := fn(llm.Draft{EOS: true, Request: request}); err != nil && !errors.Is(err, llm.ErrStop) {
				return err
			}
			return nil
		}
		if got < want {
			return nil // the model's context is full
		}
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
