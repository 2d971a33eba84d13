package serve

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAIRequestShapes sends the shapes OpenAI clients send: each is
// served, or refused with a 400 in OpenAI's shape naming the field.
func TestOpenAIRequestShapes(t *testing.T) {
	g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, _ *Options) { c.Watermarking.Pacing = ptr(false) })
	const user = `{"role":"user","content":"Tell me of Moscow."}`
	tests := []struct {
		name, body   string
		status       int
		code, param  string
		wantInLogMsg string
	}{
		{"string content", `{"messages":[` + user + `]}`, 200, "", "", ""},
		{"text parts", `{"messages":[{"role":"user","content":[{"type":"text","text":"Tell me "},{"type":"text","text":"of Moscow."}]}]}`, 200, "", "", ""},
		{"empty tools", `{"messages":[` + user + `],"tools":[],"tool_choice":"none"}`, 200, "", "", ""},
		{"response_format text", `{"messages":[` + user + `],"response_format":{"type":"text"}}`, 200, "", "", ""},
		{"include_usage, user, penalties", `{"messages":[` + user + `],"stream":true,"stream_options":{"include_usage":true},"user":"u1","presence_penalty":1,"frequency_penalty":0.5,"top_p":0.9,"logprobs":false,"top_logprobs":0}`, 200, "", "", ""},
		{"image part", `{"messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}`, 400, "unsupported_parameter", "messages", ""},
		{"audio part", `{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}`, 400, "unsupported_parameter", "messages", ""},
		{"unknown part", `{"messages":[{"role":"user","content":[{"type":"weird"}]}]}`, 400, "unsupported_parameter", "messages", ""},
		{"text part without text", `{"messages":[{"role":"user","content":[{"type":"text"}]}]}`, 400, "invalid_value", "messages", ""},
		{"null content", `{"messages":[{"role":"user","content":null}]}`, 400, "missing_required_parameter", "messages", ""},
		{"number content", `{"messages":[{"role":"user","content":5}]}`, 400, "invalid_value", "messages", ""},
		{"tool_calls in history", `{"messages":[` + user + `,{"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{}"}}]}]}`, 400, "unsupported_parameter", "messages", ""},
		{"tools", `{"messages":[` + user + `],"tools":[{"type":"function","function":{"name":"f"}}]}`, 400, "unsupported_parameter", "tools", ""},
		{"functions", `{"messages":[` + user + `],"functions":[{"name":"f"}]}`, 400, "unsupported_parameter", "functions", ""},
		{"tool_choice auto", `{"messages":[` + user + `],"tool_choice":"auto"}`, 400, "unsupported_parameter", "tool_choice", ""},
		{"tool_choice object", `{"messages":[` + user + `],"tool_choice":{"type":"function","function":{"name":"f"}}}`, 400, "unsupported_parameter", "tool_choice", ""},
		{"function_call", `{"messages":[` + user + `],"function_call":"auto"}`, 400, "unsupported_parameter", "function_call", ""},
		{"json_object", `{"messages":[` + user + `],"response_format":{"type":"json_object"}}`, 400, "unsupported_parameter", "response_format", ""},
		{"json_schema", `{"messages":[` + user + `],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}}}`, 400, "unsupported_parameter", "response_format", ""},
		{"logprobs", `{"messages":[` + user + `],"logprobs":true}`, 400, "unsupported_parameter", "logprobs", "watermark"},
		{"top_logprobs", `{"messages":[` + user + `],"top_logprobs":5}`, 400, "unsupported_parameter", "top_logprobs", "watermark"},
		{"n", `{"messages":[` + user + `],"n":2}`, 400, "invalid_value", "n", ""},
		{"no messages", `{"messages":[]}`, 400, "missing_required_parameter", "messages", ""},
		{"malformed", `{"messages":`, 400, "invalid_json", "", ""},
	}
	for _, tt := range tests {
		var body map[string]any
		if err := json.Unmarshal([]byte(tt.body), &body); err == nil {
			body["model"], body["max_tokens"] = "embedded", 3
		}
		var resp = g.post("/v1/chat/completions", devKey, tt.body)
		if body != nil {
			resp.Body.Close()
			resp = g.post("/v1/chat/completions", devKey, body)
		}
		got := readAll(t, resp)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, resp.StatusCode, tt.status, got)
			continue
		}
		if tt.status == 200 {
			continue
		}
		var e struct{ Error oaiError }
		if err := json.Unmarshal([]byte(got), &e); err != nil {
			t.Errorf("%s: not JSON: %s", tt.name, got)
			continue
		}
		param := ""
		if e.Error.Param != nil {
			param = *e.Error.Param
		}
		if e.Error.Code != tt.code || param != tt.param || !strings.Contains(e.Error.Message, tt.wantInLogMsg) {
			t.Errorf("%s: code %q param %q (%s); want %q %q", tt.name, e.Error.Code, param, e.Error.Message, tt.code, tt.param)
		}
	}
}

// TestIncludeUsage: with stream_options.include_usage the stream ends
// with a chunk of usage and no choices before [DONE], as OpenAI's does;
// without it no chunk has usage.
func TestIncludeUsage(t *testing.T) {
	g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, _ *Options) { c.Watermarking.Pacing = ptr(false) })
	for _, include := range []bool{true, false} {
		body := map[string]any{"model": "embedded", "stream": true, "max_tokens": 4, "messages": []map[string]string{{"role": "user", "content": "Hi."}},
			"stream_options": map[string]bool{"include_usage": include}}
		lines := strings.Split(strings.TrimSpace(readAll(t, g.post("/v1/chat/completions", devKey, body))), "\n\n")
		if lines[len(lines)-1] != "data: [DONE]" {
			t.Fatalf("stream does not end with [DONE]: %q", lines[len(lines)-1])
		}
		var last oaiResponse
		json.Unmarshal([]byte(strings.TrimPrefix(lines[len(lines)-2], "data: ")), &last)
		switch {
		case include && (last.Usage == nil || len(last.Choices) != 0 || last.Usage.CompletionTokens == 0):
			t.Errorf("include_usage: last chunk %+v", last)
		case !include && (last.Usage != nil || len(last.Choices) != 1 || last.Choices[0].FinishReason == nil):
			t.Errorf("without include_usage: last chunk %+v", last)
		}
	}
}

// TestOllamaFeatureRefusals: /api/chat and /api/generate refuse format
// and log-probabilities instead of ignoring them.
func TestOllamaFeatureRefusals(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	msgs := []map[string]string{{"role": "user", "content": "Hi."}}
	tests := []struct {
		path string
		body map[string]any
		want string
	}{
		{"/api/chat", map[string]any{"messages": msgs, "format": "json"}, "format"},
		{"/api/chat", map[string]any{"messages": msgs, "format": map[string]any{"type": "object"}}, "format"},
		{"/api/generate", map[string]any{"prompt": "Hi.", "format": "json"}, "format"},
		{"/api/chat", map[string]any{"messages": msgs, "logprobs": true}, "log-probabilities are never returned"},
		{"/api/generate", map[string]any{"prompt": "Hi.", "top_logprobs": 3}, "log-probabilities are never returned"},
		{"/api/chat", map[string]any{"messages": msgs, "tools": []map[string]any{{"type": "function"}}}, "tools"},
	}
	for _, tt := range tests {
		tt.body["model"] = "embedded"
		resp := g.post(tt.path, devKey, tt.body)
		got := readAll(t, resp)
		var e struct{ Error string }
		if resp.StatusCode != 400 || json.Unmarshal([]byte(got), &e) != nil || !strings.Contains(e.Error, tt.want) {
			t.Errorf("%s %v: %d %s", tt.path, tt.body, resp.StatusCode, got)
		}
	}
	for _, e := range g.logLines() {
		if e.Status != 400 || len(e.Messages) == 0 && e.Prompt == nil {
			t.Errorf("refusal logged without its input: %+v", e)
		}
	}
}

// TestOAIErrorCodes: the mapping from refusals to OpenAI's fields.
func TestOAIErrorCodes(t *testing.T) {
	tests := []struct {
		status           int
		msg              string
		typ, code, param string
	}{
		{401, "unknown API key", "authentication_error", "invalid_api_key", ""},
		{403, "account x is suspended for review", "permission_error", "account_suspended", ""},
		{404, `model "x" not found`, "invalid_request_error", "model_not_found", "model"},
		{404, "no such endpoint: GET /v1/x", "invalid_request_error", "not_found", ""},
		{405, "method GET not allowed here", "invalid_request_error", "method_not_allowed", ""},
		{413, "request body larger than 4096 bytes", "invalid_request_error", "request_too_large", ""},
		{429, "rate limit requests_per_hour exceeded for account x", "rate_limit_error", "rate_limit_exceeded", ""},
		{429, "rate limit tokens_per_day exceeded for account x", "insufficient_quota", "insufficient_quota", ""},
		{400, "tools are not supported by the watermarking gateway", "invalid_request_error", "unsupported_parameter", "tools"},
		{400, "messages[3]: content[1]: image_url parts are not supported", "invalid_request_error", "unsupported_parameter", "messages"},
		{400, "temperature must be in [0,2]", "invalid_request_error", "invalid_value", "temperature"},
		{400, "prompt longer than the 10 tokens allowed", "invalid_request_error", "context_length_exceeded", "prompt"},
		{501, "this backend has no embeddings", "api_error", "not_implemented", ""},
		{502, "backend: down", "api_error", "upstream_error", ""},
		{503, "service temporarily unavailable", "api_error", "service_unavailable", ""},
	}
	for _, tt := range tests {
		e := oaiFields(tt.status, tt.msg)
		param := ""
		if e.Param != nil {
			param = *e.Param
		}
		if e.Type != tt.typ || e.Code != tt.code || param != tt.param || e.Message != tt.msg {
			t.Errorf("%d %q: %+v (param %q)", tt.status, tt.msg, e, param)
		}
	}
}

// TestOpenAI401Shape: a refused key on /v1 answers in OpenAI's shape.
func TestOpenAI401Shape(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	got := readAll(t, g.post("/v1/chat/completions", "wrong", `{}`))
	if !strings.Contains(got, `"code":"invalid_api_key"`) || !strings.Contains(got, `"type":"authentication_error"`) {
		t.Errorf("401 on /v1: %s", got)
	}
	got = readAll(t, g.post("/api/chat", "wrong", `{}`))
	if got != `{"error":"unknown API key"}`+"\n" {
		t.Errorf("401 on /api: %s", got)
	}
}
