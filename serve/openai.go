package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
)

type oaiMessage struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content"`
}

// oaiChoice is a choice of a chat completion (message or delta) or of a
// legacy completion (text).
type oaiChoice struct {
	Index        int         `json:"index"`
	Message      *oaiMessage `json:"message,omitempty"`
	Delta        *oaiMessage `json:"delta,omitempty"`
	Text         *string     `json:"text,omitempty"`
	Logprobs     *struct{}   `json:"logprobs"` // always null: never returned
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

// handleOpenAIChat serves /v1/chat/completions.
func (s *Server) handleOpenAIChat(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	req, gr, mc, ok := s.readOAIChat(w, r, rc)
	if !ok {
		return
	}
	a := s.newOAIAnswer(w, &req.oaiSampling, "chatcmpl-"+rc.id, false)
	s.serveOAI(w, r, rc, mc, gr, a)
}

// serveOAI generates an OpenAI answer and logs it.
func (s *Server) serveOAI(w http.ResponseWriter, r *http.Request, rc *reqCtx, mc ModelConfig, gr *genRequest, a *oaiAnswer) {
	g, he := s.run(r.Context(), rc, mc, gr, a.emit)
	if he != nil {
		s.refuse(w, r, rc, gr.model, gr, he, writeOAIError)
		return
	}
	if g.err != nil {
		status, msg := s.finishLog(r, rc, gr, g, nil)
		if a.sw.started {
			a.sse(map[string]oaiError{"error": oaiFields(status, msg)})
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
	gr = &genRequest{model: req.Model, temp: 1, maxTok: s.cfg.Requests.DefaultTokens, params: map[string]any{}}
	msgs, he := oaiMessages(req.Messages)
	gr.messages = msgs
	if he == nil && len(req.Messages) == 0 {
		he = refused("messages are required")
	}
	if he == nil {
		he = oaiChatFeatures(&req, gr)
	}
	if he == nil {
		mt := req.MaxTokens
		if req.MaxComplete != nil {
			mt = req.MaxComplete
		}
		he = s.oaiParams(&req.oaiSampling, mt, gr)
	}
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

// oaiAnswer writes one completion in OpenAI's shape: server-sent chunks
// when streamed, one JSON object at the end otherwise; a chat completion
// (messages and deltas) or a legacy text completion (text).
type oaiAnswer struct {
	w       http.ResponseWriter
	sw      *streamWriter
	stream  bool
	usage   bool // stream_options.include_usage
	text    bool // a legacy completion
	id      string
	created int64
	model   string
	first   bool // no chunk sent yet
}

func (s *Server) newOAIAnswer(w http.ResponseWriter, req *oaiSampling, id string, text bool) *oaiAnswer {
	return &oaiAnswer{w: w, sw: newStreamWriter(w, "text/event-stream"), stream: req.Stream,
		usage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage, text: text,
		id: id, created: s.now().Unix(), model: req.Model, first: true}
}

// object is the answer's object type, for a chunk or the whole.
func (a *oaiAnswer) object(chunk bool) string {
	switch {
	case a.text:
		return "text_completion"
	case chunk:
		return "chat.completion.chunk"
	}
	return "chat.completion"
}

// sse sends one server-sent event.
func (a *oaiAnswer) sse(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return a.sw.write(append(append([]byte("data: "), b...), '\n', '\n'))
}

// choice is a choice carrying text: a delta when streamed, the message
// when whole, or the text of a legacy completion.
func (a *oaiAnswer) choice(text string, whole bool, finish *string) oaiChoice {
	c := oaiChoice{FinishReason: finish}
	switch {
	case a.text:
		c.Text = &text
	case whole:
		c.Message = &oaiMessage{Role: "assistant", Content: text}
	default:
		c.Delta = &oaiMessage{Content: text}
		if a.first {
			c.Delta.Role = "assistant"
		}
	}
	a.first = false
	return c
}

// emit streams a piece of text; a chat's first chunk carries the role.
func (a *oaiAnswer) emit(text string) error {
	if !a.stream {
		return nil
	}
	return a.sse(oaiResponse{ID: a.id, Object: a.object(true), Created: a.created, Model: a.model,
		Choices: []oaiChoice{a.choice(text, false, nil)}})
}

// finish ends a generated answer: the final chunk with the finish reason,
// with stream_options.include_usage a chunk with the usage and no
// choices, and [DONE]; or the whole answer, with its usage, unstreamed.
func (a *oaiAnswer) finish(g *generation, promptTokens int) error {
	finish := "stop"
	if g.stats.Stop == "length" {
		finish = "length"
	}
	usage := &oaiUsage{PromptTokens: promptTokens, CompletionTokens: g.stats.Tokens, TotalTokens: promptTokens + g.stats.Tokens}
	if !a.stream {
		a.w.Header().Set("Content-Type", "application/json")
		return json.NewEncoder(a.w).Encode(oaiResponse{ID: a.id, Object: a.object(false), Created: a.created, Model: a.model,
			Choices: []oaiChoice{a.choice(g.text.String(), true, &finish)}, Usage: usage})
	}
	if a.first && !a.text {
		if err := a.emit(""); err != nil { // a chat stream always opens with the assistant role
			return err
		}
	}
	if err := a.sse(oaiResponse{ID: a.id, Object: a.object(true), Created: a.created, Model: a.model,
		Choices: []oaiChoice{a.choice("", false, &finish)}}); err != nil {
		return err
	}
	if a.usage {
		if err := a.sse(oaiResponse{ID: a.id, Object: a.object(true), Created: a.created, Model: a.model,
			Choices: []oaiChoice{}, Usage: usage}); err != nil {
			return err
		}
	}
	return a.sw.write([]byte("data: [DONE]\n\n"))
}

func (s *Server) handleOpenAIModels(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	list, err := s.backend.Tags(r.Context())
	if err != nil {
		s.refuse(w, r, rc, "", nil, &httpError{status: http.StatusBadGateway, msg: "backend: " + err.Error()}, writeOAIError)
		return
	}
	out := struct {
		Object string     `json:"object"`
		Data   []oaiModel `json:"data"`
	}{Object: "list", Data: []oaiModel{}}
	if len(rc.acct.catalog) > 0 {
		for name, mc := range rc.acct.catalog {
			if s.mayUse(rc.acct, mc) {
				out.Data = append(out.Data, oaiModel{ID: name, Object: "model", Created: s.now().Unix(), OwnedBy: "forensics"})
			}
		}
	} else {
		for _, m := range list.Models {
			if rc.acct.models == nil || rc.acct.models[m.Name] {
				out.Data = append(out.Data, oaiModel{ID: m.Name, Object: "model", Created: m.ModifiedAt.Unix(), OwnedBy: "forensics"})
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
	s.logRequest(r, rc, http.StatusOK, "", nil, nil, "")
}

// oaiModel is OpenAI's model object.
type oaiModel struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// handleOpenAIModel serves /v1/models/{id}: the model object, or the same
// 404 for a model the account may not use as for one that does not exist.
func (s *Server) handleOpenAIModel(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id := r.PathValue("id")
	mc, he := s.resolveModel(r.Context(), rc.acct, id)
	if he != nil {
		if he.status == http.StatusBadRequest {
			he = &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("model %q not found", id)}
		}
		s.refuse(w, r, rc, id, nil, he, writeOAIError)
		return
	}
	created := s.now().Unix()
	if list, err := s.backend.Tags(r.Context()); err == nil {
		for _, m := range list.Models {
			if m.Name == mc.Upstream || m.Model == mc.Upstream {
				created = m.ModifiedAt.Unix()
				break
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(oaiModel{ID: id, Object: "model", Created: created, OwnedBy: "forensics"})
	s.logRequest(r, rc, http.StatusOK, id, nil, nil, "")
}
