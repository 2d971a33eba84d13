package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"

	"forensics/logline"
)

// OpenAI request shapes and what the gateway does with each field
// (docs/gateway-api.md has the table). A feature the gateway cannot
// watermark exactly, or whose answer would reveal the watermark, is
// refused with a 400 that names it, never dropped in silence.

// oaiSampling are the fields chat and legacy completions share.
type oaiSampling struct {
	Model  string `json:"model"`
	Stream bool   `json:"stream"`
	// StreamOptions.IncludeUsage adds a last chunk with the usage and no
	// choices, as OpenAI does (openai-node sends it).
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	MaxTokens *int `json:"max_tokens"`
	// MinTokens is an extension (embedded backend only): no end before it.
	MinTokens   *int     `json:"min_tokens"`
	Temperature *float64 `json:"temperature"`
	Stop        any      `json:"stop"` // a string or a list
	Seed        *int64   `json:"seed"`
	N           *int     `json:"n"`
	// Logged for the harvesting detector; not applied (sampling is pinned
	// so that the watermark is exact).
	LogitBias        any      `json:"logit_bias"`
	User             string   `json:"user"`
	PresencePenalty  *float64 `json:"presence_penalty"`
	FrequencyPenalty *float64 `json:"frequency_penalty"`
	TopP             *float64 `json:"top_p"`
}

// oaiChatRequest is a /v1/chat/completions request.
type oaiChatRequest struct {
	oaiSampling
	Messages          []oaiInMessage  `json:"messages"`
	MaxComplete       *int            `json:"max_completion_tokens"`
	TopLogprobs       *int            `json:"top_logprobs"`
	Logprobs          *bool           `json:"logprobs"`
	Tools             []any           `json:"tools"`
	Functions         []any           `json:"functions"`
	ToolChoice        json.RawMessage `json:"tool_choice"`
	FunctionCall      json.RawMessage `json:"function_call"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls"`
	ResponseFormat    *struct {
		Type string `json:"type"`
	} `json:"response_format"`
}

// oaiInMessage is a chat message as OpenAI clients send it: content a
// string or an array of parts.
type oaiInMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Name       string          `json:"name"`
	ToolCalls  json.RawMessage `json:"tool_calls"`
	ToolCallID string          `json:"tool_call_id"`
}

// oaiPart is one part of an array content.
type oaiPart struct {
	Type string  `json:"type"`
	Text *string `json:"text"`
}

func refused(msg string, args ...any) *httpError {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(msg, args...)}
}

// isNullJSON reports whether a raw field is absent or null.
func isNullJSON(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// oaiMessages turns OpenAI messages into the gateway's. A content array's
// text parts become one message each, with the message's role, as
// Ollama's /v1 does (openai.FromChatRequest), so that a model is given the
// prompt Ollama would give it. Image, audio and file parts are refused:
// the backends read text only, and what the model reads is logged as
// text. Tool calls are refused with tools.
func oaiMessages(in []oaiInMessage) ([]logline.Message, *httpError) {
	var out []logline.Message
	for i, m := range in {
		if !isNullJSON(m.ToolCalls) && !bytes.Equal(bytes.TrimSpace(m.ToolCalls), []byte("[]")) {
			return nil, refused("messages[%d]: tool_calls are not supported by the watermarking gateway (tools are refused)", i)
		}
		c := bytes.TrimSpace(m.Content)
		switch {
		case isNullJSON(c):
			return nil, refused("messages[%d]: content is required", i)
		case c[0] == '"':
			var s string
			if err := json.Unmarshal(c, &s); err != nil {
				return nil, refused("messages[%d]: content: %v", i, err)
			}
			out = append(out, logline.Message{Role: m.Role, Content: s})
		case c[0] == '[':
			var parts []json.RawMessage
			if err := json.Unmarshal(c, &parts); err != nil {
				return nil, refused("messages[%d]: content must be a string or an array of parts", i)
			}
			for j, raw := range parts {
				var p oaiPart
				if err := json.Unmarshal(raw, &p); err != nil {
					return nil, refused("messages[%d]: content[%d] must be an object with a type", i, j)
				}
				switch p.Type {
				case "text":
					if p.Text == nil {
						return nil, refused("messages[%d]: content[%d]: a text part needs text", i, j)
					}
					out = append(out, logline.Message{Role: m.Role, Content: *p.Text})
				case "image_url", "input_image", "image", "input_audio", "file":
					return nil, refused("messages[%d]: content[%d]: %s parts are not supported by the watermarking gateway (its backends read text only)", i, j, p.Type)
				default:
					return nil, refused("messages[%d]: content[%d]: part type %q is not supported", i, j, p.Type)
				}
			}
		default:
			return nil, refused("messages[%d]: content must be a string or an array of parts", i)
		}
	}
	return out, nil
}

// logprobsRefusal is why log-probabilities are never returned.
const logprobsRefusal = "are not supported: log-probabilities are never returned, because they would reveal the watermark (the green list tilts them)"

// oaiChatFeatures refuses the chat features the gateway cannot serve
// watermarked and records the ones it accepts without applying.
func oaiChatFeatures(req *oaiChatRequest, gr *genRequest) *httpError {
	switch {
	case len(req.Tools) > 0:
		gr.params["tools"] = len(req.Tools)
		return refused("tools are not supported by the watermarking gateway: tool calls are structured output it cannot watermark (send tools: [] or none)")
	case len(req.Functions) > 0:
		gr.params["functions"] = len(req.Functions)
		return refused("functions are not supported by the watermarking gateway: function calls are structured output it cannot watermark")
	case !noneChoice(req.ToolChoice):
		return refused("tool_choice is not supported by the watermarking gateway (only \"none\")")
	case !noneChoice(req.FunctionCall):
		return refused("function_call is not supported by the watermarking gateway (only \"none\")")
	case req.ResponseFormat != nil && req.ResponseFormat.Type != "text" && req.ResponseFormat.Type != "":
		gr.params["response_format"] = req.ResponseFormat.Type
		return refused("response_format %q is not supported by the watermarking gateway: constrained output cannot carry the watermark (only text)", req.ResponseFormat.Type)
	case req.Logprobs != nil && *req.Logprobs:
		gr.params["logprobs"] = true
		return refused("logprobs %s", logprobsRefusal)
	case req.TopLogprobs != nil && *req.TopLogprobs > 0:
		gr.params["top_logprobs"] = *req.TopLogprobs
		return refused("top_logprobs %s", logprobsRefusal)
	}
	if req.ParallelToolCalls != nil {
		gr.params["parallel_tool_calls"] = *req.ParallelToolCalls
	}
	return nil
}

// noneChoice reports whether a tool_choice or function_call asks for no
// tool: absent, null or "none".
func noneChoice(raw json.RawMessage) bool {
	if isNullJSON(raw) {
		return true
	}
	var s string
	return json.Unmarshal(raw, &s) == nil && s == "none"
}

// oaiParams reads the sampling parameters of an OpenAI request; mt is the
// token limit it asks for (max_tokens, or max_completion_tokens).
func (s *Server) oaiParams(req *oaiSampling, mt *int, gr *genRequest) *httpError {
	if req.N != nil && *req.N != 1 {
		return refused("n must be 1")
	}
	if req.Temperature != nil {
		t := *req.Temperature
		if t < 0 || t > 2 || math.IsNaN(t) {
			return refused("temperature must be in [0,2]")
		}
		gr.temp = t
	}
	if mt != nil {
		if *mt < 1 {
			return refused("max_tokens must be positive")
		}
		gr.maxTok = min(*mt, s.cfg.Requests.MaxTokens)
	}
	if req.MinTokens != nil {
		if *req.MinTokens < 0 {
			return refused("min_tokens must not be negative")
		}
		if *req.MinTokens > 0 && !s.backend.MinTokens() {
			return refused("min_tokens is not supported by this backend")
		}
		gr.minTok = min(*req.MinTokens, s.cfg.Requests.MaxTokens)
		gr.params["min_tokens"] = gr.minTok
	}
	stop, he := oaiStop(req.Stop)
	if he != nil {
		return he
	}
	gr.stop = stop
	if req.Seed != nil {
		u := uint64(*req.Seed)
		gr.seed = &u
	}
	gr.params["temperature"] = gr.temp
	gr.params["max_tokens"] = gr.maxTok
	gr.params["stream"] = req.Stream
	if len(gr.stop) > 0 {
		gr.params["stop"] = gr.stop
	}
	logIgnored(req, gr.params)
	return nil
}

// logIgnored records the fields that are logged, not applied.
func logIgnored(req *oaiSampling, params map[string]any) {
	if req.N != nil {
		params["n"] = *req.N
	}
	if req.LogitBias != nil {
		params["logit_bias"] = req.LogitBias
	}
	if req.User != "" {
		params["user"] = req.User
	}
	for name, v := range map[string]*float64{"presence_penalty": req.PresencePenalty, "frequency_penalty": req.FrequencyPenalty, "top_p": req.TopP} {
		if v != nil {
			params[name] = *v
		}
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		params["include_usage"] = true
	}
}

// oaiStop reads stop: a string or a list of strings.
func oaiStop(v any) ([]string, *httpError) {
	switch st := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{st}, nil
	case []any:
		var out []string
		for _, x := range st {
			str, ok := x.(string)
			if !ok {
				return nil, refused("stop must be a string or a list of strings")
			}
			out = append(out, str)
		}
		return out, nil
	}
	return nil, refused("stop must be a string or a list of strings")
}
