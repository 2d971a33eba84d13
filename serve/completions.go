package serve

import (
	"net/http"

	"forensics/logline"
)

// Legacy completions, /v1/completions: a prompt string, generated as
// /api/generate generates one without raw, through the model's template
// (what Ollama's /v1/completions does: openai.FromCompleteRequest leaves
// raw off), watermarked, paced and logged the same way.

// oaiCompletionRequest is a /v1/completions request.
type oaiCompletionRequest struct {
	oaiSampling
	Prompt   any     `json:"prompt"`
	Suffix   *string `json:"suffix"`
	Echo     bool    `json:"echo"`
	BestOf   *int    `json:"best_of"`
	Logprobs *int    `json:"logprobs"`
}

// completionFeatures refuses what a legacy completion cannot have here
// and returns its prompt.
func completionFeatures(req *oaiCompletionRequest, gr *genRequest) (string, *httpError) {
	var prompt string
	switch p := req.Prompt.(type) {
	case string:
		prompt = p
	case nil:
		return "", refused("prompt is required")
	case []any:
		if len(p) != 1 {
			return "", refused("prompt must be one string (a list of prompts asks for several completions; send one request each)")
		}
		s, ok := p[0].(string)
		if !ok {
			return "", refused("prompt must be a string (token arrays are not supported by the watermarking gateway: the request log keeps text)")
		}
		prompt = s
	default:
		return "", refused("prompt must be a string")
	}
	switch {
	case req.Suffix != nil && *req.Suffix != "":
		gr.params["suffix"] = *req.Suffix
		return "", refused("suffix is not supported by the watermarking gateway (the prompt is rendered with the model's template)")
	case req.Echo:
		return "", refused("echo is not supported by the watermarking gateway")
	case req.BestOf != nil && *req.BestOf != 1:
		return "", refused("best_of must be 1")
	case req.Logprobs != nil && *req.Logprobs > 0:
		gr.params["logprobs"] = *req.Logprobs
		return "", refused("logprobs %s", logprobsRefusal)
	}
	return prompt, nil
}

// handleOpenAICompletions serves /v1/completions.
func (s *Server) handleOpenAICompletions(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	req, gr, mc, ok := s.readOAICompletion(w, r, rc)
	if !ok {
		return
	}
	a := s.newOAIAnswer(w, &req.oaiSampling, "cmpl-"+rc.id, true)
	s.serveOAI(w, r, rc, mc, gr, a)
}

// readOAICompletion reads and checks a legacy completion up to
// generation, as readOAIChat does a chat.
func (s *Server) readOAICompletion(w http.ResponseWriter, r *http.Request, rc *reqCtx) (req oaiCompletionRequest, gr *genRequest, mc ModelConfig, ok bool) {
	if he := s.readJSON(w, r, &req); he != nil {
		s.refuse(w, r, rc, "", nil, he, writeOAIError)
		return req, nil, mc, false
	}
	gr = &genRequest{model: req.Model, temp: 1, maxTok: s.cfg.Requests.DefaultTokens, params: map[string]any{}}
	prompt, he := completionFeatures(&req, gr)
	gr.rawText = &prompt
	if he == nil {
		// Legacy completions default to 16 tokens at OpenAI; the gateway's
		// default_tokens applies to every endpoint alike.
		he = s.oaiParams(&req.oaiSampling, req.MaxTokens, gr)
	}
	if he == nil {
		mc, he = s.resolveModel(r.Context(), rc.acct, req.Model)
	}
	if he != nil {
		s.refuse(w, r, rc, req.Model, gr, he, writeOAIError)
		return req, gr, mc, false
	}
	gr.upstream = mc.Upstream
	if raw, ok := s.backend.(rawCompleter); ok && raw.RawCompletions() {
		gr.prompt = prompt
	} else if !s.render(w, r, rc, gr, []logline.Message{{Role: "user", Content: prompt}}, writeOAIError) {
		return req, gr, mc, false
	}
	if he := s.prepare(rc, gr); he != nil {
		s.refuse(w, r, rc, req.Model, gr, he, writeOAIError)
		return req, gr, mc, false
	}
	return req, gr, mc, true
}
