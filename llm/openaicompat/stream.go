package openaicompat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"

	"forensics/llm"
)

// completionRequest is the body of /v1/completions: OpenAI's fields, and
// the sampling fields the engines take besides (top_k, min_p and
// repetition_penalty for vLLM and SGLang, repeat_penalty for llama.cpp),
// each pinned so that the engine samples from p_T over its top 20.
type completionRequest struct {
	Model             string   `json:"model"`
	Prompt            string   `json:"prompt"`
	Stream            bool     `json:"stream"`
	MaxTokens         int      `json:"max_tokens,omitempty"`
	Temperature       float64  `json:"temperature"`
	Seed              uint64   `json:"seed"`
	Logprobs          int      `json:"logprobs"`
	N                 int      `json:"n"`
	TopK              int      `json:"top_k"`
	TopP              float64  `json:"top_p"`
	MinP              float64  `json:"min_p"`
	PresencePenalty   float64  `json:"presence_penalty"`
	FrequencyPenalty  float64  `json:"frequency_penalty"`
	RepetitionPenalty float64  `json:"repetition_penalty"`
	RepeatPenalty     float64  `json:"repeat_penalty"`
	Stop              []string `json:"stop"`
}

// Stream implements llm.Streamer with /v1/completions, streamed. Each
// request asks for Chunk tokens (StreamRequest.Chunk, else the client's;
// 0: the whole budget) and is closed as soon as fn stops the stream (a
// rejected draft): an engine aborts a request whose client has gone.
func (c *Client) Stream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) error {
	s := &stream{c: c, ctx: ctx, req: req, fn: fn, chunk: c.chunk, generated: append([]string{}, req.Generated...)}
	if req.Chunk > 0 {
		s.chunk = req.Chunk
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

// stream is one Stream call's state across its requests.
type stream struct {
	c         *Client
	ctx       context.Context
	req       llm.StreamRequest
	fn        func(llm.Draft) error
	chunk     int
	generated []string // pieces accepted so far, after req.Generated
	produced  int      // pieces accepted by this call
	// asked is the current request's chunk of tokens and slack the tokens
	// asked beyond it; accepted counts those fn took.
	asked, slack, accepted int
}

// midCharSlack is how many tokens past its chunk a request may run to
// end the text on a character boundary: a UTF-8 character has at most
// four bytes, so at most three more byte tokens complete it. Without it
// a paced stream of one token a request could never send a character an
// engine splits across tokens (CJK, emoji, as bytes: tokens): the next
// request would have to start inside it.
const midCharSlack = 3

// want is how many tokens the next request asks for (0: no limit).
func (s *stream) want() int {
	left := s.req.MaxTokens - s.produced
	switch {
	case s.req.MaxTokens <= 0:
		return s.chunk
	case s.chunk > 0:
		return min(s.chunk, left)
	}
	return left
}

// result is what one request brought.
type result struct {
	got     int    // tokens the engine sent before fn stopped the stream
	enough  bool   // the request's tokens were read and the text ends on a character boundary
	stopErr error  // what fn returned, if it stopped the stream
	finish  string // the choice's finish_reason
	sawEOS  bool   // an end token came among the tokens
}

// errStopReading ends readEvents once fn has stopped the stream.
var errStopReading = errors.New("stop reading")

// fetch makes the request-th request for want tokens and hands its drafts
// to fn.
func (s *stream) fetch(request, want int) (result, error) {
	var res result
	ask := want
	if want > 0 {
		ask += midCharSlack
		if s.req.MaxTokens > 0 {
			ask = min(ask, s.req.MaxTokens-s.produced)
		}
	}
	s.asked, s.slack, s.accepted = want, ask-want, 0
	body, err := json.Marshal(s.body(request, ask))
	if err != nil {
		return res, err
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel() // closes the engine's request if fn stopped reading early
	hreq, err := s.c.newRequest(ctx, http.MethodPost, "/v1/completions", body)
	if err != nil {
		return res, err
	}
	hreq.Header.Set("Accept", "text/event-stream")
	resp, err := s.c.hc.Do(hreq)
	if err != nil {
		return res, fmt.Errorf("openai-compatible engine: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return res, statusError(resp)
	}
	var eventErr error
	err = readEvents(resp.Body, s.c.maxEvent, func(data []byte) error {
		eventErr = s.event(request, data, &res)
		return eventErr
	})
	switch {
	case errors.Is(err, errStopReading):
		return res, nil
	case err != nil && s.ctx.Err() != nil:
		return res, s.ctx.Err()
	case err != nil && (eventErr != nil || errors.Is(err, errEventTooLong)):
		return res, fmt.Errorf("openai-compatible engine: %w", err)
	case err != nil:
		// The body broke off: the same as a stream without its end.
		return res, fmt.Errorf("%w: %v", ErrLostStream, err)
	}
	return res, nil
}

// body is the request for want tokens after the pieces so far.
func (s *stream) body(request, want int) completionRequest {
	return completionRequest{
		Model: s.req.Model, Prompt: s.req.Prompt + strings.Join(s.generated, ""), Stream: true,
		MaxTokens: want, Temperature: s.req.Temperature, Seed: (s.req.Seed + uint64(request)) & s.c.seedMask,
		Logprobs: TopK, N: 1, TopK: TopK, TopP: 1, MinP: 0, RepetitionPenalty: 1, RepeatPenalty: 1,
		// No stop strings: the gateway applies the client's own, and an
		// end of generation must be an end token.
		Stop: []string{},
	}
}

// event handles one server-sent event: its tokens go to fn.
func (s *stream) event(request int, data []byte, res *result) error {
	if string(data) == "[DONE]" {
		return nil
	}
	var ch chunk
	if err := json.Unmarshal(data, &ch); err != nil {
		return errors.New("the engine sent a stream event that is not a completion chunk")
	}
	if len(ch.Error) > 0 && string(ch.Error) != "null" {
		return &EngineError{detail: errorText(data)}
	}
	for _, cc := range ch.Choices {
		if cc.Index != 0 {
			continue
		}
		if err := s.choice(request, cc, res); err != nil {
			return err
		}
	}
	return nil
}

// choice passes a chunk's tokens to fn, in order, and notes how the
// choice finished.
func (s *stream) choice(request int, cc choice, res *result) error {
	if cc.FinishReason != nil {
		res.finish = *cc.FinishReason
	}
	if cc.Logprobs == nil {
		if cc.Text != "" {
			return ErrNoLogprobs
		}
		return nil
	}
	toks, err := cc.Logprobs.tokens()
	if err != nil {
		return fmt.Errorf("the engine sent malformed logprobs: %w", err)
	}
	for _, rt := range toks {
		res.got++
		d, err := s.draft(request, rt)
		if err != nil {
			return err
		}
		if d.EOS {
			res.sawEOS = true
		}
		if err := s.fn(d); err != nil {
			res.stopErr = err
			return errStopReading
		}
		if d.EOS {
			return errStopReading
		}
		s.generated = append(s.generated, d.Piece)
		s.produced++
		s.accepted++
		if s.slack > 0 && s.accepted >= s.asked && !llm.EndsMidCharacter(d.Piece) && !llm.EndsMidCharacter(strings.Join(s.generated, "")) {
			res.enough = true
			return errStopReading
		}
	}
	return nil
}

// settle decides, after a request, whether the stream goes on with
// another (more) and with what error it ends otherwise.
func (s *stream) settle(request, want int, res result) (more bool, err error) {
	switch {
	case res.stopErr != nil && errors.Is(res.stopErr, llm.ErrStop):
		return false, nil
	case res.stopErr != nil:
		return false, res.stopErr
	case s.ctx.Err() != nil:
		return false, s.ctx.Err()
	case res.sawEOS:
		return false, nil
	case res.enough:
		return true, nil
	}
	switch res.finish {
	case "stop":
		// The model ended without reporting its end token (llama.cpp and
		// Ollama report no log-probabilities for it).
		if err := s.fn(llm.Draft{EOS: true, Request: request}); err != nil && !errors.Is(err, llm.ErrStop) {
			return false, err
		}
		return false, nil
	case "length":
		// Short of what was asked: the model's context is full.
		return want > 0 && res.got >= want, nil
	case "":
		return false, ErrLostStream
	}
	return false, fmt.Errorf("the engine ended the stream with finish_reason %.32q", res.finish)
}

// draft turns one reported token and its candidates into a Draft, as the
// acceptance needs them: bytes for pieces, end tokens marked, the
// candidates in a fixed order (the engine's JSON object has none, and the
// acceptance draws must not depend on map order), raw log-probabilities.
func (s *stream) draft(request int, rt rawToken) (llm.Draft, error) {
	if !rt.hasTop || len(rt.cands) == 0 {
		return llm.Draft{}, ErrNoLogprobs
	}
	piece, eos, err := s.c.piece(rt.tok)
	if err != nil {
		return llm.Draft{}, err
	}
	d := llm.Draft{Piece: piece, EOS: eos, Request: request, Candidates: make([]llm.Candidate, 0, len(rt.cands))}
	if eos {
		d.Piece = ""
	}
	drafted := eos
	for _, t := range rt.cands {
		p, e, err := s.c.piece(t)
		if err != nil {
			return llm.Draft{}, err
		}
		if e {
			p = ""
		}
		d.Candidates = append(d.Candidates, llm.Candidate{Piece: p, LogProb: t.Logprob, EOS: e})
		drafted = drafted || (!e && p == piece)
	}
	// vLLM adds the sampled token to the top 20 when it is not among them
	// (OpenAI's "logprobs + 1"): more than 20 also means it was outside.
	if !drafted || len(d.Candidates) > TopK {
		return llm.Draft{}, ErrOutsideCandidates
	}
	// Fewer than 20 is exact only when the ones left out have no
	// probability (a small vocabulary, tokens at −inf): otherwise the
	// acceptance would tilt a distribution the engine did not sample
	// from, and with one candidate (an engine that reports only its
	// sampled token) nothing would be tilted at all, the text going out
	// unwatermarked under a watermark log line. Raw log-probabilities
	// must then sum to one (processed ones are checked below).
	if len(d.Candidates) < TopK && s.c.mode != ProcessedLogprobs && math.Abs(probSum(d.Candidates)-1) > normTolerance {
		return llm.Draft{}, ErrFewCandidates
	}
	sort.SliceStable(d.Candidates, func(i, j int) bool {
		a, b := d.Candidates[i], d.Candidates[j]
		if a.LogProb != b.LogProb {
			return a.LogProb > b.LogProb
		}
		return a.Piece < b.Piece
	})
	if s.c.mode == ProcessedLogprobs {
		if err := rescale(d.Candidates, s.req.Temperature); err != nil {
			return llm.Draft{}, err
		}
	}
	return d, nil
}

// probSum is the candidates' total probability.
func probSum(cands []llm.Candidate) float64 {
	sum := 0.0
	for _, c := range cands {
		sum += math.Exp(c.LogProb)
	}
	return sum
}

// normTolerance is how far from one processed probabilities over the
// candidates may sum: float32 rounding of 20 terms is far below it, a
// 21st token with any real mass is not.
const normTolerance = 1e-3

// rescale turns processed log-probabilities, log p_T, into what the
// acceptance takes: logprob with p_T ∝ exp(logprob/T), that is T·log p_T.
// It checks first that they are a distribution over the candidates.
func rescale(cands []llm.Candidate, temperature float64) error {
	sum := 0.0
	for _, c := range cands {
		sum += math.Exp(c.LogProb)
	}
	if math.Abs(sum-1) > normTolerance {
		return ErrNotNormalised
	}
	if temperature > 0 {
		for i := range cands {
			cands[i].LogProb *= temperature
		}
	}
	return nil
}
