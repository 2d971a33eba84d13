package serve

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/ollama/ollama/api"

	"forensics/logline"
)

// Embeddings: /api/embed, the legacy /api/embeddings and /v1/embeddings,
// passed to the backend for the models whose config turns them on
// (models[].embeddings). They carry no watermark; a generative model's
// embeddings are its hidden states, which help a student imitate it, so
// they are off unless the operator turns them on for a model (an
// embedding model, typically). Their inputs are text the model reads:
// logged whole (or the request refused) and charged as prompt tokens.

// embedJob is an embedding request in the gateway's terms.
type embedJob struct {
	gr     *genRequest
	inputs []string
	mc     ModelConfig
	tokens int
}

// embedInputs reads an input field: a string or a list of strings. Token
// arrays are refused: the log keeps what the model read as text.
func embedInputs(v any) ([]string, *httpError) {
	bad := &httpError{status: http.StatusBadRequest, msg: "input must be a string or a list of strings (token arrays are not supported by the watermarking gateway: the request log keeps text)"}
	switch in := v.(type) {
	case string:
		return []string{in}, nil
	case []any:
		if len(in) == 0 {
			return nil, &httpError{status: http.StatusBadRequest, msg: "input is required"}
		}
		out := make([]string, len(in))
		for i, x := range in {
			s, ok := x.(string)
			if !ok {
				return nil, bad
			}
			out[i] = s
		}
		return out, nil
	case nil:
		return nil, &httpError{status: http.StatusBadRequest, msg: "input is required"}
	}
	return nil, bad
}

// prepareEmbed checks an embedding request up to the backend call: the
// model and its switch, that the log can hold its inputs, their tokens.
func (s *Server) prepareEmbed(ctx context.Context, rc *reqCtx, model string, inputs []string, legacy bool) (*embedJob, *httpError) {
	gr := &genRequest{model: model, params: map[string]any{"inputs": len(inputs)}}
	if legacy {
		gr.rawText = &inputs[0]
	} else {
		for _, in := range inputs {
			gr.messages = append(gr.messages, logline.Message{Role: "user", Content: in})
		}
	}
	j := &embedJob{gr: gr, inputs: inputs}
	mc, he := s.resolveModel(ctx, rc.acct, model)
	if he != nil {
		return j, he
	}
	j.mc, gr.upstream = mc, mc.Upstream
	if !mc.Embeddings {
		return j, &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf("embeddings are not supported for model %q by this gateway (models[].embeddings is off)", model)}
	}
	if he := s.checkLoggable(gr); he != nil {
		return j, he
	}
	for _, in := range inputs {
		p, over := s.backend.Pieces(mc.Upstream, in, s.cfg.Requests.MaxPromptTokens)
		j.tokens += len(p)
		if over {
			j.tokens += s.cfg.Requests.MaxPromptTokens
			s.spend(rc.acct.name, j.tokens)
			gr.promptTokens = j.tokens
			return j, &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf("input longer than the %d tokens allowed", s.cfg.Requests.MaxPromptTokens)}
		}
	}
	gr.promptTokens = j.tokens
	if s.logRefuses(rc.acct) {
		return j, &httpError{status: http.StatusServiceUnavailable, msg: "service temporarily unavailable"}
	}
	return j, nil
}

// embed runs an embedding call within the account's limits and charges
// its tokens (the backend's count when it gives one).
func (s *Server) embed(rc *reqCtx, j *embedJob, call func() (int, error)) *httpError {
	// The reservation is the input's tokens (j.gr has no max_tokens).
	done, he := s.admitGeneration(context.Background(), rc, j.gr)
	if he != nil {
		return he
	}
	n, err := call()
	if n > 0 {
		j.tokens, j.gr.promptTokens = n, n
	}
	done(j.tokens)
	switch {
	case errors.Is(err, ErrNoEmbeddings):
		return &httpError{status: http.StatusNotImplemented, msg: err.Error()}
	case err != nil:
		return &httpError{status: http.StatusBadGateway, msg: "backend: " + err.Error()}
	}
	return nil
}

// answerEmbed writes a successful answer and logs it.
func (s *Server) answerEmbed(w http.ResponseWriter, r *http.Request, rc *reqCtx, j *embedJob, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
	s.logRequest(r, rc, http.StatusOK, j.gr.model, j.gr, nil, "")
}

// handleEmbed serves /api/embed.
func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var req api.EmbedRequest
	if he := s.readJSON(w, r, &req); he != nil {
		s.refuse(w, r, rc, "", nil, he, writeError)
		return
	}
	inputs, he := embedInputs(req.Input)
	if he != nil {
		s.refuse(w, r, rc, req.Model, nil, he, writeError)
		return
	}
	j, he := s.prepareEmbed(r.Context(), rc, req.Model, inputs, false)
	if req.Options != nil {
		j.gr.params["options"] = req.Options // logged, not applied
	}
	var resp *api.EmbedResponse
	if he == nil {
		he = s.embed(rc, j, func() (int, error) {
			var err error
			resp, err = s.backend.Embed(r.Context(), &api.EmbedRequest{Model: j.mc.Upstream, Input: inputs, Truncate: req.Truncate, Dimensions: req.Dimensions, KeepAlive: req.KeepAlive})
			if err != nil {
				return 0, err
			}
			return resp.PromptEvalCount, nil
		})
	}
	if he != nil {
		s.refuse(w, r, rc, req.Model, j.gr, he, writeError)
		return
	}
	resp.Model = req.Model
	s.answerEmbed(w, r, rc, j, resp)
}

// handleEmbeddings serves the legacy /api/embeddings.
func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var req api.EmbeddingRequest
	if he := s.readJSON(w, r, &req); he != nil {
		s.refuse(w, r, rc, "", nil, he, writeError)
		return
	}
	j, he := s.prepareEmbed(r.Context(), rc, req.Model, []string{req.Prompt}, true)
	if req.Options != nil {
		j.gr.params["options"] = req.Options // logged, not applied
	}
	var resp *api.EmbeddingResponse
	if he == nil {
		he = s.embed(rc, j, func() (int, error) {
			var err error
			resp, err = s.backend.Embeddings(r.Context(), &api.EmbeddingRequest{Model: j.mc.Upstream, Prompt: req.Prompt, KeepAlive: req.KeepAlive})
			return 0, err
		})
	}
	if he != nil {
		s.refuse(w, r, rc, req.Model, j.gr, he, writeError)
		return
	}
	s.answerEmbed(w, r, rc, j, resp)
}

// oaiEmbeddingRequest is OpenAI's embeddings request.
type oaiEmbeddingRequest struct {
	Model          string `json:"model"`
	Input          any    `json:"input"`
	EncodingFormat string `json:"encoding_format"`
	Dimensions     int    `json:"dimensions"`
	User           string `json:"user"`
}

// handleOpenAIEmbeddings serves /v1/embeddings. openai-node asks for
// base64 unless told otherwise: little-endian float32s.
func (s *Server) handleOpenAIEmbeddings(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	var req oaiEmbeddingRequest
	if he := s.readJSON(w, r, &req); he != nil {
		s.refuse(w, r, rc, "", nil, he, writeOAIError)
		return
	}
	inputs, he := embedInputs(req.Input)
	if he == nil && req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		he = &httpError{status: http.StatusBadRequest, msg: "encoding_format must be float or base64"}
	}
	if he == nil && req.Dimensions < 0 {
		he = &httpError{status: http.StatusBadRequest, msg: "dimensions must not be negative"}
	}
	if he != nil {
		s.refuse(w, r, rc, req.Model, nil, he, writeOAIError)
		return
	}
	j, he := s.prepareEmbed(r.Context(), rc, req.Model, inputs, false)
	if req.User != "" {
		j.gr.params["user"] = req.User
	}
	var resp *api.EmbedResponse
	if he == nil {
		he = s.embed(rc, j, func() (int, error) {
			var err error
			resp, err = s.backend.Embed(r.Context(), &api.EmbedRequest{Model: j.mc.Upstream, Input: inputs, Dimensions: req.Dimensions})
			if err != nil {
				return 0, err
			}
			return resp.PromptEvalCount, nil
		})
	}
	if he != nil {
		s.refuse(w, r, rc, req.Model, j.gr, he, writeOAIError)
		return
	}
	s.answerEmbed(w, r, rc, j, oaiEmbeddings(req.Model, req.EncodingFormat == "base64", resp.Embeddings, j.tokens))
}

// oaiEmbeddings is an embeddings answer in OpenAI's shape.
func oaiEmbeddings(model string, b64 bool, vecs [][]float32, tokens int) any {
	type item struct {
		Object    string `json:"object"`
		Index     int    `json:"index"`
		Embedding any    `json:"embedding"`
	}
	data := make([]item, len(vecs))
	for i, v := range vecs {
		data[i] = item{Object: "embedding", Index: i, Embedding: v}
		if b64 {
			buf := make([]byte, 4*len(v))
			for k, f := range v {
				binary.LittleEndian.PutUint32(buf[4*k:], math.Float32bits(f))
			}
			data[i].Embedding = base64.StdEncoding.EncodeToString(buf)
		}
	}
	return map[string]any{"object": "list", "data": data, "model": model,
		"usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens}}
}
