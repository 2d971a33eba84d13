package ollama

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/ollama/ollama/api"

	"forensics/llm"
)

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
// used it; see docs/e2e.md and scripts/repro-ollama-cancel-hang.sh). So the
// stream is never cancelled: when fn stops it (a rejected draft), the rest
// of the current chunk is read and dropped. A chunk of K wastes at most
// K−1 tokens; at the ≈0.4 rejection rate of δ = 2 the expected accepted
// run is ≈2.5, so small chunks cost few extra round trips.
// A cancelled ctx is honoured the same way: no new request, the current
// one drained.
func (c *Client) Stream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) error {
	s, err := c.newStream(ctx, req, fn)
	if err != nil {
		return err
	}
	for request := 0; req.MaxTokens <= 0 || s.produced < req.MaxTokens; request++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if request > 0 && llm.EndsMidCharacter(strings.Join(s.generated, "")) {
			return llm.ErrMidCharacter
		}
		want := s.want()
		res, err := s.fetch(request, want)
		if err != nil {
			return err
		}
		if more, err := s.settle(request, want, res); !more || err != nil {
			return err
		}
	}
	return nil
}

// stream is one Stream call's state across its upstream requests.
type stream struct {
	c   *Client
	ctx context.Context
	// reqCtx is what the upstream requests run under: ctx when they may be
	// cancelled, ctx without its cancellation otherwise (the HTTP client's
	// timeout still bounds them).
	reqCtx context.Context
	req    llm.StreamRequest
	fn     func(llm.Draft) error
	eos    map[string]bool // the model's end tokens, by text
	chunk  int             // tokens asked for per request
	// cancel: one request for the whole budget, closed on rejection.
	cancel    bool
	generated []string // pieces accepted so far, after req.Generated
	produced  int      // pieces accepted by this call
}

// newStream fixes the chunk size and cancellation mode of a Stream call
// and looks up the model's end tokens.
func (c *Client) newStream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) (*stream, error) {
	eos, err := c.eosTokens(ctx, req.Model)
	if err != nil {
		return nil, err
	}
	s := &stream{c: c, ctx: ctx, reqCtx: context.WithoutCancel(ctx), req: req, fn: fn, eos: eos,
		chunk: c.Chunk, generated: append([]string{}, req.Generated...)}
	if s.chunk <= 0 {
		s.chunk = DefaultChunk
	}
	if req.Chunk > 0 {
		s.chunk = req.Chunk
	}
	s.cancel = c.Cancel && req.Chunk == 0
	if s.cancel {
		s.chunk = math.MaxInt32
		s.reqCtx = ctx
	}
	return s, nil
}

// want is how many tokens the next request asks for.
func (s *stream) want() int {
	if s.req.MaxTokens > 0 {
		return min(s.chunk, s.req.MaxTokens-s.produced)
	}
	return s.chunk
}

// chunkResult is what one upstream request brought.
type chunkResult struct {
	got     int   // tokens the server sent, passed to fn or drained
	stopErr error // what fn returned; the drafts after it were drained
	sawDone bool  // the final message arrived
	sawEOS  bool  // the final message says the model ended the sequence
}

// fetch makes the request-th upstream request for want tokens and hands
// its drafts to fn.
func (s *stream) fetch(request, want int) (chunkResult, error) {
	stream := true
	greq := &api.GenerateRequest{
		Model:       s.req.Model,
		Prompt:      s.req.Prompt + strings.Join(s.generated, ""),
		Raw:         true,
		Stream:      &stream,
		Logprobs:    true,
		TopLogprobs: TopK,
		Options:     Options(s.req.Temperature, s.req.Seed+uint64(request), want),
	}
	var res chunkResult
	err := s.c.generate(s.reqCtx, greq, func(r api.GenerateResponse) error {
		return s.take(request, r, &res)
	})
	if err != nil && !(s.cancel && (errors.Is(err, llm.ErrStop) || s.ctx.Err() != nil)) {
		return res, fmt.Errorf("ollama generate: %w", err)
	}
	return res, nil
}

// take passes the tokens of one streamed message to fn, until fn or ctx
// stops the stream; the rest are drained, or in cancel mode end the
// request.
func (s *stream) take(request int, r api.GenerateResponse, res *chunkResult) error {
	for _, lp := range r.Logprobs {
		res.got++
		if res.stopErr != nil || s.ctx.Err() != nil {
			if s.cancel {
				return llm.ErrStop // closes the stream
			}
			continue
		}
		d := s.draft(request, lp)
		if err := s.fn(d); err != nil {
			res.stopErr = err
			continue
		}
		s.generated = append(s.generated, d.Piece)
		s.produced++
	}
	if r.Done {
		res.sawDone = true
		res.sawEOS = r.DoneReason == "stop"
	}
	return nil
}

// draft turns one reported token and its top candidates into a Draft.
func (s *stream) draft(request int, lp api.Logprob) llm.Draft {
	d := llm.Draft{Piece: pieceOf(lp.TokenLogprob), Request: request, Candidates: make([]llm.Candidate, 0, len(lp.TopLogprobs))}
	for _, t := range lp.TopLogprobs {
		p := pieceOf(t)
		d.Candidates = append(d.Candidates, llm.Candidate{Piece: p, LogProb: t.Logprob, EOS: s.eos[p]})
	}
	return d
}

// settle decides, after a request, whether the stream goes on with
// another (more) and with what error it ends otherwise.
func (s *stream) settle(request, want int, res chunkResult) (more bool, err error) {
	if res.stopErr != nil {
		if errors.Is(res.stopErr, llm.ErrStop) {
			return false, nil
		}
		return false, res.stopErr
	}
	if err := s.ctx.Err(); err != nil {
		return false, err
	}
	if !res.sawDone {
		// A stream that stops without its final message lost its
		// server; it is not a short generation.
		return false, fmt.Errorf("ollama generate: stream ended after %d tokens without completing (upstream connection lost)", res.got)
	}
	if res.sawEOS {
		// Ollama reports no log-probability for the end token.
		if err := s.fn(llm.Draft{EOS: true, Request: request}); err != nil && !errors.Is(err, llm.ErrStop) {
			return false, err
		}
		return false, nil
	}
	if res.got < want {
		return false, nil // the model's context is full
	}
	return true, nil
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
