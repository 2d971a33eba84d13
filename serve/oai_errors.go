package serve

import (
	"encoding/json"
	"net/http"
	"strings"
)

// OpenAI's error shape, {"error": {"message", "type", "param", "code"}},
// for every answer on /v1 that is not a success. OpenAI clients branch on
// code (openai-node's error classes, retry logic): 401 invalid_api_key,
// 404 model_not_found, 429 rate_limit_exceeded or insufficient_quota (a
// budget that will not refill soon), 400 unsupported_parameter for the
// features the gateway refuses. The mapping from a refusal to its fields
// is here and only here (oaiFields); Ollama's endpoints keep
// {"error": msg}.

// oaiError is the body of an OpenAI error answer.
type oaiError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

// writeOAIError answers in OpenAI's error shape.
func writeOAIError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]oaiError{"error": oaiFields(status, msg)})
}

// oaiParamNames are the request fields a refusal can name as its param: a
// refusal's message starts with the field it is about.
var oaiParamNames = map[string]bool{
	"messages": true, "model": true, "n": true, "temperature": true, "max_tokens": true, "min_tokens": true,
	"stop": true, "tools": true, "functions": true, "tool_choice": true, "function_call": true, "format": true, "response_format": true,
	"logprobs": true, "top_logprobs": true, "input": true, "prompt": true, "stream_options": true,
	"encoding_format": true, "dimensions": true, "suffix": true, "echo": true, "best_of": true,
}

// oaiFields maps a refusal (status and message) to OpenAI's fields.
func oaiFields(status int, msg string) oaiError {
	e := oaiError{Message: msg, Type: "invalid_request_error"}
	switch {
	case status == http.StatusBadRequest:
		e.Code = badRequestCode(msg)
		word, _, _ := strings.Cut(msg, " ")
		word = strings.TrimSuffix(word, ":")
		if i := strings.IndexByte(word, '['); i > 0 {
			word = word[:i]
		}
		if oaiParamNames[word] {
			e.Param = &word
		}
	case status == http.StatusUnauthorized:
		e.Type, e.Code = "authentication_error", "invalid_api_key"
	case status == http.StatusForbidden:
		e.Type, e.Code = "permission_error", "account_suspended"
	case status == http.StatusNotFound && strings.HasPrefix(msg, "model "):
		e.Code = "model_not_found"
		p := "model"
		e.Param = &p
	case status == http.StatusNotFound:
		e.Code = "not_found"
	case status == http.StatusMethodNotAllowed:
		e.Code = "method_not_allowed"
	case status == http.StatusRequestTimeout:
		e.Code = "request_timeout"
	case status == http.StatusRequestEntityTooLarge:
		e.Code = "request_too_large"
	case status == http.StatusTooManyRequests && isBudget(msg):
		e.Type, e.Code = "insufficient_quota", "insufficient_quota"
	case status == http.StatusTooManyRequests:
		e.Type, e.Code = "rate_limit_error", "rate_limit_exceeded"
	case status == http.StatusNotImplemented:
		e.Type, e.Code = "api_error", "not_implemented"
	case status == http.StatusBadGateway:
		e.Type, e.Code = "api_error", "upstream_error"
	case status == http.StatusServiceUnavailable:
		e.Type, e.Code = "api_error", "service_unavailable"
	case status >= 500:
		e.Type, e.Code = "api_error", "server_error"
	default:
		e.Code = "invalid_request"
	}
	return e
}

// isBudget reports whether a 429 is for a budget (tokens a day, a quota)
// rather than a rate: OpenAI calls that insufficient_quota, and clients do
// not retry it.
func isBudget(msg string) bool {
	return strings.Contains(msg, "tokens_per_day") || strings.Contains(msg, "budget") || strings.Contains(msg, "quota")
}

// badRequestCode is the code of a 400 by what its message says.
func badRequestCode(msg string) string {
	switch {
	case strings.Contains(msg, "not supported") || strings.Contains(msg, "never returned"):
		return "unsupported_parameter"
	case strings.HasPrefix(msg, "malformed JSON"):
		return "invalid_json"
	case strings.Contains(msg, "is required") || strings.Contains(msg, "are required"):
		return "missing_required_parameter"
	case strings.HasPrefix(msg, "prompt longer than"):
		return "context_length_exceeded"
	}
	return "invalid_value"
}
