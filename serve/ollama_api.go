package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"

	"forensics/llm/chattemplate"
	"forensics/logline"

	"github.com/ollama/ollama/api"
)

// writeDeadline bounds each streamed write: a client that stops reading
// loses its stream instead of holding a generation open forever.
const writeDeadline = 30 * time.Second

// ollamaParams reads the generation options of an Ollama request.
func (s *Server) ollamaParams(opts map[string]any, gr *genRequest) *httpError {
	gr.temp = 0.8 // Ollama's default
	gr.maxTok = s.cfg.Requests.DefaultTokens
	gr.params = map[string]any{}
	for k, v := range opts {
		switch k {
		case "temperature":
			f, ok := v.(float64)
			if !ok || f < 0 || f > 10 || math.IsNaN(f) {
				return &httpError{status: http.StatusBadRequest, msg: "options.temperature must be a number in [0,10]"}
			}
			gr.temp = f
		case "num_predict":
			f, ok := v.(float64)
			if !ok || f != math.Trunc(f) {
				return &httpError{status: http.StatusBadRequest, msg: "options.num_predict must be an integer"}
			}
			if f > 0 {
				gr.maxTok = int(math.Min(f, float64(s.cfg.Requests.MaxTokens)))
			}
		case "min_tokens":
			f, ok := v.(float64)
			if !ok || f != math.Trunc(f) || f < 0 {
				return &httpError{status: http.StatusBadRequest, msg: "options.min_tokens must be a non-negative integer"}
			}
			if f > 0 && !s.backend.MinTokens() {
				return &httpError{status: http.StatusBadRequest, msg: "options.min_tokens is not supported by this backend"}
			}
			gr.minTok = int(math.Min(f, float64(s.cfg.Requests.MaxTokens)))
		case "stop":
			xs, ok := v.([]any)
			if !ok {
				return &httpError{status: http.StatusBadRequest, msg: "options.stop must be a list of strings"}
			}
			for _, x := range xs {
				str, ok := x.(string)
				if !ok {
					return &httpError{status: http.StatusBadRequest, msg: "options.stop must be a list of strings"}
				}
				gr.stop = append(gr.stop, str)
			}
		case "seed":
			f, ok := v.(float64)
			if !ok || f != math.Trunc(f) {
				return &httpError{status: http.StatusBadRequest, msg: "options.seed must be an integer"}
			}
			u := uint64(int64(f))
			gr.seed = &u
		}
		// Other options (top_k, top_p, penalties) are pinned by the gateway
		// so the watermark is exact; they are logged, not applied.
		gr.params[k] = v
	}
	gr.params["temperature"] = gr.temp
	gr.params["max_tokens"] = gr.maxTok
	return nil
}

// ollamaFeatures refuses what Ollama's generation endpoints may ask for
// and the gateway cannot serve watermarked: structured output (format
// json or a schema constrains sampling, which the watermark needs free)
// and log-probabilities (they would reveal the watermark).
func ollamaFeatures(format json.RawMessage, logprobs bool, topLogprobs int, gr *genRequest) *httpError {
	if f := bytes.TrimSpace(format); len(f) > 0 && !bytes.Equal(f, []byte("null")) && !bytes.Equal(f, []byte(`""`)) {
		gr.params["format"] = string(f)
		return refused("format is not supported by the watermarking gateway: constrained output (json or a schema) cannot carry the watermark")
	}
	if logprobs || topLogprobs > 0 {
		gr.params["logprobs"], gr.params["top_logprobs"] = logprobs, topLogprobs
		return refused("logprobs %s", logprobsRefusal)
	}
	return nil
}

func (s *Server) handleGenerate(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var req api.GenerateRequest
	if he := s.readJSON(w, r, &req); he != nil {
		s.refuse(w, r, rc, "", nil, he, writeError)
		return
	}
	gr := &genRequest{model: req.Model, rawText: &req.Prompt}
	if req.System != "" {
		gr.system = &req.System
	}
	he := s.ollamaParams(req.Options, gr)
	if he == nil {
		he = ollamaFeatures(req.Format, req.Logprobs, req.TopLogprobs, gr)
	}
	switch {
	case he != nil:
	case req.Template != "" || req.Suffix != "" || len(req.Context) > 0:
		// The gateway renders prompts with the model's own template;
		// text it would not pass to the model is refused, not dropped.
		if req.Template != "" {
			gr.params["template"] = req.Template
		}
		if req.Suffix != "" {
			gr.params["suffix"] = req.Suffix
		}
		he = &httpError{status: http.StatusBadRequest, msg: "template, suffix and context are not supported by the watermarking gateway"}
	case len(req.Images) > 0:
		he = &httpError{status: http.StatusBadRequest, msg: "images are not supported by the watermarking gateway"}
	}
	var mc ModelConfig
	if he == nil {
		mc, he = s.resolveModel(r.Context(), rc.acct, req.Model)
	}
	if he != nil {
		s.refuse(w, r, rc, req.Model, gr, he, writeError)
		return
	}
	gr.upstream = mc.Upstream
	if req.Raw {
		gr.prompt = req.Prompt
	} else {
		var msgs []logline.Message
		if req.System != "" {
			msgs = append(msgs, logline.Message{Role: "system", Content: req.System})
		}
		msgs = append(msgs, logline.Message{Role: "user", Content: req.Prompt})
		if !s.render(w, r, rc, gr, msgs, writeError) {
			return
		}
	}
	if he := s.prepare(rc, gr); he != nil {
		s.refuse(w, r, rc, req.Model, gr, he, writeError)
		return
	}
	s.serveOllama(w, r, rc, mc, gr, req.Stream == nil || *req.Stream, false)
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var req api.ChatRequest
	if he := s.readJSON(w, r, &req); he != nil {
		s.refuse(w, r, rc, "", nil, he, writeError)
		return
	}
	gr := &genRequest{model: req.Model}
	images := false
	for _, m := range req.Messages {
		gr.messages = append(gr.messages, logline.Message{Role: m.Role, Content: m.Content})
		images = images || len(m.Images) > 0
	}
	he := s.ollamaParams(req.Options, gr)
	if he == nil {
		he = ollamaFeatures(req.Format, req.Logprobs, req.TopLogprobs, gr)
	}
	switch {
	case he != nil:
	case len(req.Messages) == 0:
		he = &httpError{status: http.StatusBadRequest, msg: "messages are required"}
	case len(req.Tools) > 0:
		gr.params["tools"] = len(req.Tools)
		he = &httpError{status: http.StatusBadRequest, msg: "tools are not supported by the watermarking gateway"}
	case images:
		he = &httpError{status: http.StatusBadRequest, msg: "images are not supported by the watermarking gateway"}
	}
	var mc ModelConfig
	if he == nil {
		mc, he = s.resolveModel(r.Context(), rc.acct, req.Model)
	}
	if he != nil {
		s.refuse(w, r, rc, req.Model, gr, he, writeError)
		return
	}
	gr.upstream = mc.Upstream
	if !s.render(w, r, rc, gr, gr.messages, writeError) {
		return
	}
	if he := s.prepare(rc, gr); he != nil {
		s.refuse(w, r, rc, req.Model, gr, he, writeError)
		return
	}
	s.serveOllama(w, r, rc, mc, gr, req.Stream == nil || *req.Stream, true)
}

// render sets gr.prompt from chat messages through the backend's template;
// on failure it answers 502 and reports false.
func (s *Server) render(w http.ResponseWriter, r *http.Request, rc *reqCtx, gr *genRequest, msgs []logline.Message, write func(http.ResponseWriter, int, string)) bool {
	p, err := s.backend.Render(r.Context(), gr.upstream, msgs)
	if err != nil {
		s.refuse(w, r, rc, gr.model, gr, renderError(err), write)
		return false
	}
	gr.prompt = p
	return true
}

// renderError is a chat the template could not render: the client's own
// conversation (a template's raise_exception, or past the renderer's
// bounds) is a 400 that says why; anything else is the backend's 502.
func renderError(err error) *httpError {
	var raised *chattemplate.RaisedError
	switch {
	case errors.As(err, &raised):
		return &httpError{status: http.StatusBadRequest, msg: "the model's chat template refused the conversation: " + err.Error()}
	case errors.Is(err, chattemplate.ErrLimit):
		return &httpError{status: http.StatusBadRequest, msg: "the conversation is too large or deep for the model's chat template"}
	}
	return &httpError{status: http.StatusBadGateway, msg: "backend: " + err.Error()}
}

// refuse answers a request refused before generating, and logs it.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, rc *reqCtx, model string, gr *genRequest, he *httpError, write func(http.ResponseWriter, int, string)) {
	if he.retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(he.retry.Seconds()))))
	}
	write(w, he.status, he.msg)
	s.logRequest(r, rc, he.status, model, gr, nil, he.msg+he.detail)
}

// goneMsg is why a request whose context ended was cut.
func (s *Server) goneMsg() string {
	if s.stopping.Load() {
		return "cut short by gateway shutdown"
	}
	return "client went away"
}

// finishLog logs a generation that ran: 200, or 499 when the client went
// or a shutdown cut it, or 502 for an upstream failure; msg is the error.
func (s *Server) finishLog(r *http.Request, rc *reqCtx, gr *genRequest, g *generation, writeErr error) (status int, msg string) {
	err := g.err
	if err == nil {
		err = writeErr
	}
	status = s.statusOf(err, r.Context())
	if err == nil {
		s.logRequest(r, rc, status, gr.model, gr, g, "")
		return status, ""
	}
	switch {
	case status == 499:
		msg = s.goneMsg()
	case writeErr != nil && g.err == nil:
		status, msg = 499, "client went away before the answer was written: "+writeErr.Error()
	default:
		msg = fmt.Sprintf("generation failed: %v", err)
	}
	s.logRequest(r, rc, status, gr.model, gr, g, msg)
	return status, msg
}

// streamWriter writes NDJSON or SSE chunks, sending the status line only
// with the first chunk so that a request failing before any output can
// still get a proper error status.
type streamWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	ctype   string
	started bool
}

func newStreamWriter(w http.ResponseWriter, ctype string) *streamWriter {
	return &streamWriter{w: w, rc: http.NewResponseController(w), ctype: ctype}
}

func (sw *streamWriter) write(b []byte) error {
	if !sw.started {
		sw.w.Header().Set("Content-Type", sw.ctype)
		sw.w.WriteHeader(http.StatusOK)
		sw.started = true
	}
	sw.rc.SetWriteDeadline(time.Now().Add(writeDeadline))
	if _, err := sw.w.Write(b); err != nil {
		return err
	}
	return sw.rc.Flush()
}

func (sw *streamWriter) json(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return sw.write(append(b, '\n'))
}

func (s *Server) serveOllama(w http.ResponseWriter, r *http.Request, rc *reqCtx, mc ModelConfig, gr *genRequest, stream, chat bool) {
	sw := newStreamWriter(w, "application/x-ndjson")
	chunk := func(text string, done bool) any {
		now := s.now().UTC()
		if chat {
			return api.ChatResponse{Model: gr.model, CreatedAt: now, Message: api.Message{Role: "assistant", Content: text}, Done: done}
		}
		return api.GenerateResponse{Model: gr.model, CreatedAt: now, Response: text, Done: done}
	}
	emit := func(text string) error {
		if !stream {
			return nil
		}
		return sw.json(chunk(text, false))
	}
	g, he := s.run(r.Context(), rc, mc, gr, emit)
	if he != nil {
		s.refuse(w, r, rc, gr.model, gr, he, writeError)
		return
	}
	if g.err != nil {
		status, msg := s.finishLog(r, rc, gr, g, nil)
		if sw.started {
			sw.json(map[string]string{"error": msg})
		} else if status != 499 {
			writeError(w, status, msg)
		}
		return
	}
	// Durations are those the client saw (the paced release), not how
	// long generation took: those would tell how often drafts were
	// rejected.
	elapsed := g.released.Sub(rc.start)
	metrics := api.Metrics{TotalDuration: elapsed, EvalCount: g.stats.Tokens, EvalDuration: elapsed, PromptEvalCount: gr.promptTokens}
	var final any
	if chat {
		content := ""
		if !stream {
			content = g.text.String()
		}
		final = api.ChatResponse{Model: gr.model, CreatedAt: s.now().UTC(), Message: api.Message{Role: "assistant", Content: content},
			Done: true, DoneReason: g.stats.Stop, Metrics: metrics}
	} else {
		resp := ""
		if !stream {
			resp = g.text.String()
		}
		final = api.GenerateResponse{Model: gr.model, CreatedAt: s.now().UTC(), Response: resp, Done: true, DoneReason: g.stats.Stop, Metrics: metrics}
	}
	var werr error
	if stream {
		werr = sw.json(final)
	} else {
		w.Header().Set("Content-Type", "application/json")
		werr = json.NewEncoder(w).Encode(final)
	}
	s.finishLog(r, rc, gr, g, werr)
}

func (s *Server) handleTags(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	list, err := s.backend.Tags(r.Context())
	if err != nil {
		writeError(w, http.StatusBadGateway, "backend: "+err.Error())
		s.logRequest(r, rc, http.StatusBadGateway, "", nil, nil, err.Error())
		return
	}
	if len(rc.acct.catalog) > 0 {
		var kept []api.ListModelResponse
		for name, mc := range rc.acct.catalog {
			if !s.mayUse(rc.acct, mc) {
				continue
			}
			for _, m := range list.Models {
				if m.Name == mc.Upstream || m.Model == mc.Upstream {
					m.Name, m.Model = name, name
					kept = append(kept, m)
					break
				}
			}
		}
		list.Models = kept
	} else if rc.acct.models != nil {
		var kept []api.ListModelResponse
		for _, m := range list.Models {
			if rc.acct.models[m.Name] {
				kept = append(kept, m)
			}
		}
		list.Models = kept
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(list)
	s.logRequest(r, rc, http.StatusOK, "", nil, nil, "")
}

func (s *Server) handleShow(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var req api.ShowRequest
	if he := s.readJSON(w, r, &req); he != nil {
		s.refuse(w, r, rc, "", nil, he, writeError)
		return
	}
	if req.Model == "" {
		//lint:ignore SA1019 older Ollama clients still send "name"
		req.Model = req.Name
	}
	mc, he := s.resolveModel(r.Context(), rc.acct, req.Model)
	if he != nil {
		s.refuse(w, r, rc, req.Model, nil, he, writeError)
		return
	}
	name := req.Model
	req.Model = mc.Upstream
	resp, err := s.backend.Show(r.Context(), &req)
	if err != nil {
		s.refuse(w, r, rc, name, nil, &httpError{status: http.StatusBadGateway, msg: "backend: " + err.Error()}, writeError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
	s.logRequest(r, rc, http.StatusOK, name, nil, nil, "")
}

// handlePs serves /api/ps: the backend's running models that the account
// may use, under the names it uses, as /api/tags lists them.
func (s *Server) handlePs(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	list, err := s.backend.Running(r.Context())
	if err != nil {
		s.refuse(w, r, rc, "", nil, &httpError{status: http.StatusBadGateway, msg: "backend: " + err.Error()}, writeError)
		return
	}
	var kept []api.ProcessModelResponse
	for _, m := range list.Models {
		for _, name := range s.visibleNames(rc.acct, m.Name, m.Model) {
			m.Name, m.Model = name, name
			kept = append(kept, m)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(api.ProcessResponse{Models: append([]api.ProcessModelResponse{}, kept...)})
	s.logRequest(r, rc, http.StatusOK, "", nil, nil, "")
}

// visibleNames are the names under which an account sees a backend model
// (named name or model by the backend): the configured models it may use
// that map to it, or, without a models list, the backend's name when the
// account may use it.
func (s *Server) visibleNames(acct *account, name, model string) []string {
	if len(acct.catalog) == 0 {
		if acct.models == nil || acct.models[name] {
			return []string{name}
		}
		return nil
	}
	var out []string
	for n, mc := range acct.catalog {
		if s.mayUse(acct, mc) && (mc.Upstream == name || mc.Upstream == model) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
