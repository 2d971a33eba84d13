package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxResponse bounds one response body.
const maxResponse = 16 << 20

type httpTarget struct {
	spec    string
	base    string // e.g. http://host:port
	model   string
	apiKey  string
	hc      *http.Client
	timeout time.Duration
}

func (t *httpTarget) Spec() string { return t.spec }

// do sends one request and reads the whole response.
func (t *httpTarget) do(ctx context.Context, method, endpoint string, body []byte) (int, []byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, rd)
	if err != nil {
		return 0, nil, 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if t.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+t.apiKey)
	}
	resp, err := t.hc.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return resp.StatusCode, data, 0, fmt.Errorf("read response: %w", err)
	}
	if len(data) > maxResponse {
		return resp.StatusCode, nil, 0, fmt.Errorf("response larger than %d bytes", maxResponse)
	}
	var wait time.Duration
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		wait = time.Duration(s) * time.Second
	}
	return resp.StatusCode, data, wait, nil
}

// exchange POSTs a request body and records both sides.
func (t *httpTarget) exchange(ctx context.Context, endpoint, extract string, body []byte) (Exchange, error) {
	ex := Exchange{Endpoint: endpoint, Model: t.model, Extract: extract, Request: body}
	var err error
	ex.Status, ex.Response, ex.RetryAfter, err = t.do(ctx, http.MethodPost, endpoint, body)
	return ex, err
}

// hostPath splits "//HOST:PORT/PATH" into a base URL and the path.
func hostPath(spec, rest, scheme string) (string, string, error) {
	if !strings.HasPrefix(rest, "//") {
		return "", "", fmt.Errorf("target %q: want %s//HOST:PORT/…", spec, strings.SplitN(spec, ":", 2)[0]+":")
	}
	host, path, _ := strings.Cut(rest[2:], "/")
	if host == "" {
		return "", "", fmt.Errorf("target %q: no host", spec)
	}
	u, err := url.Parse(scheme + "://" + host)
	if err != nil || u.Host == "" || u.User != nil || strings.ContainsAny(host, "?#;") {
		return "", "", fmt.Errorf("target %q: bad host %q", spec, host)
	}
	// What follows the host is the model (and, for openai:, its /v1
	// prefix) sent as is: a query, fragment or parameter there would be
	// sent to the suspect and recorded in every transcript, while the
	// target's public name drops it (an api_key=… there leaked into the
	// report), so the name would not be what was asked.
	if i := strings.IndexAny(path, "?#;"); i >= 0 {
		return "", "", fmt.Errorf("target %q: %q in the model name (a query, fragment or parameter is not part of a model's name; an openai:// target's API key goes in --api-key-env)", spec, path[i:i+1])
	}
	return u.String(), path, nil
}

// Ollama.

type ollamaTarget struct{ httpTarget }

func newOllamaTarget(spec, apiKey string, o TargetOptions) (Target, error) {
	base, model, err := hostPath(spec, strings.TrimPrefix(spec, "ollama:"), "http")
	if err != nil {
		return nil, err
	}
	if model == "" {
		return nil, fmt.Errorf("target %q: no model (ollama://HOST:PORT/MODEL)", spec)
	}
	return &ollamaTarget{httpTarget{spec: spec, base: base, model: model, apiKey: apiKey, hc: o.HTTP, timeout: o.Timeout}}, nil
}

func (t *ollamaTarget) Check(ctx context.Context) error {
	body, _ := json.Marshal(map[string]string{"model": t.model})
	status, data, _, err := t.do(ctx, http.MethodPost, t.base+"/api/show", body)
	switch {
	case err != nil:
		return fmt.Errorf("target %s: unreachable: %w", t.spec, err)
	case status == http.StatusNotFound:
		return fmt.Errorf("target %s: the server has no model %q (ollama pull %s)", t.spec, t.model, t.model)
	case status != http.StatusOK:
		return fmt.Errorf("target %s: /api/show answered %d: %s", t.spec, status, snippet(data))
	}
	return nil
}

func (t *ollamaTarget) Ask(ctx context.Context, q Query, s Sampling) (Exchange, error) {
	body, err := json.Marshal(map[string]any{
		"model":  t.model,
		"prompt": q.Prompt,
		"stream": false,
		"options": map[string]any{
			"temperature": s.Temperature,
			"seed":        q.Seed,
			"num_predict": s.MaxTokens,
		},
	})
	if err != nil {
		return Exchange{}, err
	}
	return t.exchange(ctx, t.base+"/api/generate", ExtractOllama, body)
}

// OpenAI-compatible.

type openaiTarget struct{ httpTarget }

func newOpenAITarget(spec, apiKey string, o TargetOptions) (Target, error) {
	scheme := "http"
	rest := strings.TrimPrefix(spec, "openai:")
	if strings.HasPrefix(spec, "openais:") {
		scheme, rest = "https", strings.TrimPrefix(spec, "openais:")
	}
	base, path, err := hostPath(spec, rest, scheme)
	if err != nil {
		return nil, err
	}
	prefix, model, ok := strings.Cut(path, "/")
	if !ok || prefix != "v1" || model == "" {
		return nil, fmt.Errorf("target %q: want openai://HOST:PORT/v1/MODEL", spec)
	}
	return &openaiTarget{httpTarget{spec: spec, base: base + "/v1", model: model, apiKey: apiKey, hc: o.HTTP, timeout: o.Timeout}}, nil
}

func (t *openaiTarget) Check(ctx context.Context) error {
	status, data, _, err := t.do(ctx, http.MethodGet, t.base+"/models", nil)
	switch {
	case err != nil:
		return fmt.Errorf("target %s: unreachable: %w", t.spec, err)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fmt.Errorf("target %s: credentials refused (%d); pass the API key's environment variable with --api-key-env", t.spec, status)
	case status == http.StatusNotFound:
		return nil // not every compatible server lists models
	case status != http.StatusOK:
		return fmt.Errorf("target %s: /v1/models answered %d: %s", t.spec, status, snippet(data))
	}
	return nil
}

func (t *openaiTarget) Ask(ctx context.Context, q Query, s Sampling) (Exchange, error) {
	body, err := json.Marshal(map[string]any{
		"model":       t.model,
		"messages":    []map[string]string{{"role": "user", "content": q.Prompt}},
		"temperature": s.Temperature,
		"max_tokens":  s.MaxTokens,
		"seed":        q.Seed,
		"stream":      false,
	})
	if err != nil {
		return Exchange{}, err
	}
	return t.exchange(ctx, t.base+"/chat/completions", ExtractOpenAI, body)
}

// snippet is the start of a body for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(s)
}
