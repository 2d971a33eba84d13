package serve

import (
	"encoding/json"
	"math"
	"net/http"

	"forensics/logline"
)

// OpenAI-compatible chat completions (the subset clients rely on).
type oaiChatRequest struct {
	Model       string            `json:"model"`
	Messages    []logline.Message `json:"messages"`
	Stream      bool              `json:"stream"`
	MaxTokens   *int              `json:"max_tokens"`
	MaxComplete *int              `json:"max_completion_tokens"`
	// MinTokens is an extension (embedded backend only): no end before it.
	MinTokens   *int     `json:"min_tokens"`
	Temperature *float64 `json:"temperature"`
	Stop        any      `json:"stop"` // a string or a list
	Seed        *int64   `json:"seed"`
	N           *int     `json:"n"`
	TopLogprobs *int     `json:"top_logprobs"`
	Logprobs    *bool    `json:"logprobs"`
	LogitBias   any      `json:"logit_bias"`
}

type oaiMessage struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content"`
}

type oaiChoice struct {
	Index        int         `json:"index"`
	Message      *oaiMessage `json:"message,omitempty"`
	Delta        *oaiMessage `json:"delta,omitempty"`
	FinishReason *string     `json:"finish_reason"`
}

type oaiUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type oaiResponse struct {
	ID      string      `json:"id"`
	Object  string      `json:"object"`
	Created int64       `json:"created"`
	Model   string      `json:"model"`
	Choices []oaiChoice `json:"choices"`
	Usage   *oaiUsage   `json:"usage,omitempty"`
}

// writeOAIError answers in OpenAI's error shape.
func writeOAIError(w http.ResponseWriter, status int, msg string) {
	typ := "invalid_request_error"
	switch {
	case status == http.StatusUnauthorized:
		typ = "authentication_error"
	case status == http.StatusTooManyRequests:
		typ = "rate_limit_error"
	case status >= 500:
		typ = "api_error"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ}})
}

// handleOpenAIChat serves /v1/chat/completions.
func (s *Server) handleOpenAIChat(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	req, gr, mc, ok := s.readOAIChat(w, r, rc)
	if !ok {
		return
	}
	a := &oaiAnswer{w: w, sw: newStreamWriter(w, "text/event-stream"), stream: req.Stream,
		id: "chatcmpl-" + rc.id, created: s.now().Unix(), model: req.Model, first: true}
	g, he := s.run(r.Context(), rc, mc, gr, a.emit)
	if he != nil {
		s.refuse(w, r, rc, req.Model, gr, he, writeOAIError)
		return
	}
	if g.err != nil {
		status, msg := s.finishLog(r, rc, gr, g, nil)
		if a.sw.started {
			a.sse(map[string]any{"error": map[string]any{"message": msg, "type": "api_error"}})
		} else if status != 499 {
			writeOAIError(w, status, msg)
		}
		return
	}
	s.finishLog(r, rc, gr, g, a.finish(g, gr.promptTokens))
}

// readOAIChat reads and checks a chat completion request up to
// generation: its parameters, model, rendered prompt and limits. When it
// refuses the request (ok false) it has answered and logged it.
func (s *Server) readOAIChat(w http.ResponseWriter, r *http.Request, rc *reqCtx) (req oaiChatRequest, gr *genRequest, mc ModelConfig, ok bool) {
	if he := s.readJSON(w, r, &req); he != nil {
		s.refuse(w, r, rc, "", nil, he, writeOAIError)
		return req, nil, mc, false
	}
	gr = &genRequest{model: req.Model, messages: req.Messages, temp: 1, maxTok: s.cfg.Requests.DefaultTokens, params: map[string]any{}}
	he := s.oaiParams(&req, gr)
	if he == nil {
		mc, he = s.resolveModel(r.Context(), rc.acct, req.Model)
	}
	if he != nil {
		s.refuse(w, r, rc, req.Model, gr, he, writeOAIError)
		return req, gr, mc, false
	}
	gr.upstream = mc.Upstream
	if !s.render(w, r, rc, gr, gr.messages, writeOAIError) {
		return req, gr, mc, false
	}
	if he := s.prepare(rc, gr); he != nil {
		s.refuse(w, r, rc, req.Model, gr, he, writeOAIError)
		return req, gr, mc, false
	}
	return req, gr, mc, true
}

// oaiAnswer writes one chat completion in OpenAI's shape: server-sent
// chunks when streamed, one JSON object at the end otherwise.
type oaiAnswer struct {
	w       http.ResponseWriter
	sw      *streamWriter
	stream  bool
	id      string
	created int64
	model   string
	first   bool // no chunk sent yet
}

// sse sends one server-sent event.
func (a *oaiAnswer) sse(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return a.sw.write(append(append([]byte("data: "), b...), '\n', '\n'))
}

// emit streams a piece of text; the first chunk carries the role.
func (a *oaiAnswer) emit(text string) error {
	if !a.stream {
		return nil
	}
	delta := &oaiMessage{Content: text}
	if a.first {
		delta.Role = "assistant"
		a.first = false
	}
	return a.sse(oaiResponse{ID: a.id, Object: "chat.completion.chunk", Created: a.created, Model: a.model,
		Choices: []oaiChoice{{Delta: delta}}})
}

// finish ends a generated answer: the final chunk with the finish reason
// and usage, and [DONE], or the whole answer unstreamed.
func (a *oaiAnswer) finish(g *generation, promptTokens int) error {
	finish := "stop"
	if g.stats.Stop == "length" {
		finish = "length"
	}
	usage := &oaiUsage{PromptTokens: promptTokens, CompletionTokens: g.stats.Tokens, TotalTokens: promptTokens + g.stats.Tokens}
	if !a.stream {
		a.w.Header().Set("Content-Type", "application/json")
		return json.NewEncoder(a.w).Encode(oaiResponse{ID: a.id, Object: "chat.completion", Created: a.created, Model: a.model,
			Choices: []oaiChoice{{Message: &oaiMessage{Role: "assistant", Content: g.text.String()}, FinishReason: &finish}}, Usage: usage})
	}
	if a.first {
		if err := a.emit(""); err != nil { // a stream always opens with the assistant role
			return err
		}
	}
	if err := a.sse(oaiResponse{ID: a.id, Object: "chat.completion.chunk", Created: a.created, Model: a.model,
		Choices: []oaiChoice{{Delta: &oaiMessage{}, FinishReason: &finish}}, Usage: usage}); err != nil {
		return err
	}
	return a.sw.write([]byte("data: [DONE]\n\n"))
}

// oaiParams reads an OpenAI request's sampling parameters.
func (s *Server) oaiParams(req *oaiChatRequest, gr *genRequest) *httpError {
	if len(req.Messages) == 0 {
		return &httpError{status: http.StatusBadRequest, msg: "messages are required"}
	}
	if req.N != nil && *req.N != 1 {
		return &httpError{status: http.StatusBadRequest, msg: "n must be 1"}
	}
	if req.Temperature != nil {
		t := *req.Temperature
		if t < 0 || t > 2 || math.IsNaN(t) {
			return &httpError{status: http.StatusBadRequest, msg: "temperature must be in [0,2]"}
		}
		gr.temp = t
	}
	mt := req.MaxTokens
	if req.MaxComplete != nil {
		mt = req.MaxComplete
	}
	if mt != nil {
		if *mt < 1 {
			return &httpError{status: http.StatusBadRequest, msg: "max_tokens must be positive"}
		}
		gr.maxTok = min(*mt, s.cfg.Requests.MaxTokens)
	}
	if req.MinTokens != nil {
		if *req.MinTokens < 0 {
			return &httpError{status: http.StatusBadRequest, msg: "min_tokens must not be negative"}
		}
		if *req.MinTokens > 0 && !s.backend.MinTokens() {
			return &httpError{status: http.StatusBadRequest, msg: "min_tokens is not supported by this backend"}
		}
		gr.minTok = min(*req.MinTokens, s.cfg.Requests.MaxTokens)
		gr.params["min_tokens"] = gr.minTok
	}
	switch st := req.Stop.(type) {
	case nil:
	case string:
		gr.stop = []string{st}
	case []any:
		for _, x := range st {
			str, ok := x.(string)
			if !ok {
				return &httpError{status: http.StatusBadRequest, msg: "stop must be a string or a list of strings"}
			}
			gr.stop = append(gr.stop, str)
		}
	default:
		return &httpError{status: http.StatusBadRequest, msg: "stop must be a string or a list of strings"}
	}
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
	// Logged for the harvesting detector; not applied.
	if req.N != nil {
		gr.params["n"] = *req.N
	}
	if req.TopLogprobs != nil {
		gr.params["top_logprobs"] = *req.TopLogprobs
	}
	if req.Logprobs != nil {
		gr.params["logprobs"] = *req.Logprobs
	}
	if req.LogitBias != nil {
		gr.params["logit_bias"] = req.LogitBias
	}
	return nil
}

func (s *Server) handleOpenAIModels(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	list, err := s.backend.Tags(r.Context())
	if err != nil {
		s.refuse(w, r, rc, "", nil, &httpError{status: http.StatusBadGateway, msg: "backend: " + err.Error()}, writeOAIError)
		return
	}
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	out := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	if len(rc.acct.catalog) > 0 {
		for name, mc := range rc.acct.catalog {
			if s.mayUse(rc.acct, mc) {
				out.Data = append(out.Data, model{ID: name, Object: "model", Created: s.now().Unix(), OwnedBy: "forensics"})
			}
		}
	} else {
		for _, m := range list.Models {
			if rc.acct.models == nil || rc.acct.models[m.Name] {
				out.Data = append(out.Data, model{ID: m.Name, Object: "model", Created: m.ModifiedAt.Unix(), OwnedBy: "forensics"})
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
	s.logRequest(r, rc, http.StatusOK, "", nil, nil, "")
}
