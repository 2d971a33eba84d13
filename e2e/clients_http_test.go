package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// rawHTTPRows are the requests no SDK makes but browsers, extensions and
// uptime probes do: HEAD and GET / (Ollama's "is it running"), a CORS
// preflight from a VS Code webview, and a path that does not exist.
func rawHTTPRows(t *testing.T, gw *clientGateway) []clientResult {
	t.Helper()
	const origin = "vscode-webview://1a2b3c"
	calls := []struct {
		name, method, path string
		header             map[string]string
		check              func(*http.Response, string) error
	}{
		{"HEAD / (no key)", http.MethodHead, "/", nil, wantStatus(http.StatusOK)},
		{"GET / (no key)", http.MethodGet, "/", nil, wantStatus(http.StatusOK)},
		{"CORS preflight from " + origin, http.MethodOptions, "/v1/chat/completions", map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type",
		}, corsAllows(origin)},
		{"Basic auth, key as user (curl http://KEY@host)", http.MethodGet, "/api/tags", map[string]string{
			"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(wmKey+":")),
		}, wantStatus(http.StatusOK)},
		{"lower-case bearer", http.MethodGet, "/api/tags", map[string]string{"Authorization": "bearer " + wmKey}, wantStatus(http.StatusOK)},
		{"X-API-Key", http.MethodGet, "/api/tags", map[string]string{"X-API-Key": wmKey}, wantStatus(http.StatusOK)},
		{"GET /api/nope → JSON 404", http.MethodGet, "/api/nope", map[string]string{"Authorization": "Bearer " + wmKey}, jsonNotFound},
		{"GET /v1/nope → JSON 404", http.MethodGet, "/v1/nope", map[string]string{"Authorization": "Bearer " + wmKey}, jsonNotFound},
	}
	var rows []clientResult
	for _, c := range calls {
		r := clientResult{Client: "raw HTTP", Call: c.name}
		req, _ := http.NewRequest(c.method, gw.hs.URL+c.path, nil)
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			r.Detail = err.Error()
			rows = append(rows, r)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r.Status = resp.StatusCode
		r.Requests = []exchange{{Method: c.method, Path: c.path, Status: resp.StatusCode, ID: resp.Header.Get("X-Request-Id")}}
		if err := c.check(resp, string(body)); err != nil {
			r.Detail = err.Error()
		} else {
			r.OK = true
			r.Detail = strings.TrimSpace(fmt.Sprintf("%s %.80s", resp.Header.Get("Content-Type"), body))
		}
		rows = append(rows, r)
	}
	return rows
}

func wantStatus(code int) func(*http.Response, string) error {
	return func(resp *http.Response, body string) error {
		if resp.StatusCode != code {
			return fmt.Errorf("status %d, want %d: %.200s", resp.StatusCode, code, body)
		}
		return nil
	}
}

// corsAllows checks a preflight's answer lets origin send an authorized
// JSON POST.
func corsAllows(origin string) func(*http.Response, string) error {
	return func(resp *http.Response, body string) error {
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
		}
		h := resp.Header
		if o := h.Get("Access-Control-Allow-Origin"); o != origin && o != "*" {
			return fmt.Errorf("Access-Control-Allow-Origin %q", o)
		}
		if m := h.Get("Access-Control-Allow-Methods"); !strings.Contains(strings.ToUpper(m), "POST") {
			return fmt.Errorf("Access-Control-Allow-Methods %q", m)
		}
		allowed := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
		for _, want := range []string{"authorization", "content-type"} {
			if !strings.Contains(allowed, want) && allowed != "*" {
				return fmt.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, want)
			}
		}
		return nil
	}
}

// jsonNotFound checks an unknown path answers 404 with a JSON error in the
// API's shape (a string for /api, an object with a message for /v1).
func jsonNotFound(resp *http.Response, body string) error {
	if resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
	}
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || json.Unmarshal([]byte(body), &e) != nil || len(e.Error) == 0 {
		return fmt.Errorf("not a JSON error: %s %.200s", resp.Header.Get("Content-Type"), body)
	}
	if strings.HasPrefix(resp.Request.URL.Path, "/v1/") {
		var oai struct{ Message, Code string }
		if json.Unmarshal(e.Error, &oai) != nil || oai.Message == "" || oai.Code == "" {
			return fmt.Errorf("not OpenAI's error shape (message and code): %.200s", body)
		}
	}
	return nil
}
