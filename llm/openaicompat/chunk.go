package openaicompat

import (
	"encoding/json"
	"fmt"
)

// chunk is one streamed event of /v1/completions: a choice with the text
// of its new tokens and their log-probabilities, or an error.
type chunk struct {
	Choices []choice `json:"choices"`
	// Error is set by engines that report a failure inside the stream
	// (vLLM sends {"error": {...}} as an event before [DONE]).
	Error json.RawMessage `json:"error"`
}

type choice struct {
	Index        int       `json:"index"`
	Text         string    `json:"text"`
	FinishReason *string   `json:"finish_reason"`
	Logprobs     *logprobs `json:"logprobs"`
}

// logprobs holds either shape engines use in completions:
//
//   - the legacy completions shape (OpenAI's, vLLM's, SGLang's): parallel
//     lists tokens, token_logprobs and top_logprobs, the last a list of
//     {token text: logprob} objects (null for a token without them);
//   - the chat shape (llama.cpp server's completions, Ollama's chat):
//     content, a list of {token, logprob, bytes, top_logprobs: [{token,
//     logprob, bytes}]}.
type logprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []*float64           `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	Content       []contentLogprob     `json:"content"`
}

type contentLogprob struct {
	Token       string    `json:"token"`
	Logprob     float64   `json:"logprob"`
	Bytes       []int     `json:"bytes"`
	TopLogprobs []tokenLP `json:"top_logprobs"`
}

type tokenLP struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// rawToken is one generated token as the engine reported it, before its
// text is turned into bytes: the token and its candidates.
type rawToken struct {
	tok   tokenLP
	cands []tokenLP
	// hasTop is false when the engine sent no candidates for the token
	// (null top_logprobs).
	hasTop bool
}

// tokens lists the generated tokens of a choice's logprobs, in order.
func (lp *logprobs) tokens() ([]rawToken, error) {
	if len(lp.Content) > 0 {
		out := make([]rawToken, len(lp.Content))
		for i, c := range lp.Content {
			out[i] = rawToken{tok: tokenLP{Token: c.Token, Logprob: c.Logprob, Bytes: c.Bytes}, cands: c.TopLogprobs, hasTop: c.TopLogprobs != nil}
		}
		return out, nil
	}
	if len(lp.TopLogprobs) > 0 && len(lp.TopLogprobs) != len(lp.Tokens) {
		return nil, fmt.Errorf("%d tokens but %d top_logprobs entries", len(lp.Tokens), len(lp.TopLogprobs))
	}
	out := make([]rawToken, len(lp.Tokens))
	for i, t := range lp.Tokens {
		out[i].tok.Token = t
		if i < len(lp.TokenLogprobs) && lp.TokenLogprobs[i] != nil {
			out[i].tok.Logprob = *lp.TokenLogprobs[i]
		}
		if i < len(lp.TopLogprobs) && lp.TopLogprobs[i] != nil {
			out[i].hasTop = true
			out[i].cands = make([]tokenLP, 0, len(lp.TopLogprobs[i]))
			for text, l := range lp.TopLogprobs[i] {
				out[i].cands = append(out[i].cands, tokenLP{Token: text, Logprob: l})
			}
		}
	}
	return out, nil
}
