package serve

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"
)

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestCredentials(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		headers map[string][]string
		want    string
		err     error
	}{
		{"none", "/api/tags", nil, "", nil},
		{"bearer", "/api/tags", map[string][]string{"Authorization": {"Bearer k1"}}, "k1", nil},
		{"bearer lower case", "/", map[string][]string{"Authorization": {"bearer k1"}}, "k1", nil},
		{"bearer upper case, spaces", "/", map[string][]string{"Authorization": {"  BEARER   k1  "}}, "k1", nil},
		{"basic key as user", "/", map[string][]string{"Authorization": {basic("k1", "")}}, "k1", nil},
		{"basic key as password", "/", map[string][]string{"Authorization": {basic("anyone", "k1")}}, "k1", nil},
		{"basic key as password, no user", "/", map[string][]string{"Authorization": {basic("", "k1")}}, "k1", nil},
		{"basic key with colon in password", "/", map[string][]string{"Authorization": {basic("u", "a:b")}}, "a:b", nil},
		{"basic scheme in any case", "/", map[string][]string{"Authorization": {"bAsIc " + base64.StdEncoding.EncodeToString([]byte("k1:"))}}, "k1", nil},
		{"basic empty", "/", map[string][]string{"Authorization": {basic("", "")}}, "", errMalformedAuth},
		{"basic not base64", "/", map[string][]string{"Authorization": {"Basic %%%"}}, "", errMalformedAuth},
		{"basic without colon", "/", map[string][]string{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("k1"))}}, "", errMalformedAuth},
		{"scheme only", "/", map[string][]string{"Authorization": {"Bearer"}}, "", errMalformedAuth},
		{"bare token", "/", map[string][]string{"Authorization": {"k1"}}, "", errMalformedAuth},
		{"other scheme", "/", map[string][]string{"Authorization": {"Digest k1"}}, "", errMalformedAuth},
		{"empty header", "/", map[string][]string{"Authorization": {""}}, "", errMalformedAuth},
		{"two Authorization headers", "/", map[string][]string{"Authorization": {"Bearer k1", "Bearer k2"}}, "", errMalformedAuth},
		{"x-api-key", "/", map[string][]string{"X-Api-Key": {" k1 "}}, "k1", nil},
		{"two x-api-keys", "/", map[string][]string{"X-Api-Key": {"k1", "k2"}}, "", errMalformedAuth},
		{"authorization wins over x-api-key", "/", map[string][]string{"Authorization": {"Bearer k1"}, "X-Api-Key": {"k2"}}, "k1", nil},
		{"key in the query", "/api/tags?api_key=k1", nil, "", errQueryKey},
		{"key in the query with a header", "/api/tags?key=k1", map[string][]string{"Authorization": {"Bearer k1"}}, "", errQueryKey},
		{"other query", "/api/tags?x=1", map[string][]string{"Authorization": {"Bearer k1"}}, "k1", nil},
		{"path key", "/k/k1/api/tags", nil, "k1", nil},
		{"path key and bearer", "/k/k1/api/tags", map[string][]string{"Authorization": {"Bearer k2"}}, "", errMalformedAuth},
		{"path key and the same bearer", "/k/k1/api/tags", map[string][]string{"Authorization": {"Bearer k1"}}, "", errMalformedAuth},
		{"path key and x-api-key", "/k/k1/api/tags", map[string][]string{"X-Api-Key": {"k2"}}, "", errMalformedAuth},
		{"path key and empty Authorization", "/k/k1/api/tags", map[string][]string{"Authorization": {""}}, "", errMalformedAuth},
		{"empty path key and bearer", "/k//api/tags", map[string][]string{"Authorization": {"Bearer k2"}}, "", errMalformedAuth},
		{"path key and a query key", "/k/k1/api/tags?key=k2", nil, "", errQueryKey},
		{"path key and its own query key", "/k/k1/api/tags?api_key=k1", nil, "", errQueryKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			for k, vs := range tt.headers {
				r.Header[k] = vs
			}
			var got string
			var err error
			withPathKey(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				got, err = credentials(r)
			})).ServeHTTP(httptest.NewRecorder(), r)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("credentials = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// TestAuthenticationOverHTTP sends every accepted form to a real gateway
// and each malformed one, which must be a 401 like an unknown key.
func TestAuthenticationOverHTTP(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	tests := []struct {
		name   string
		path   string
		header [2]string
		status int
	}{
		{"bearer", "/api/tags", [2]string{"Authorization", "Bearer " + devKey}, 200},
		{"bearer lower case", "/api/tags", [2]string{"Authorization", "bearer " + devKey}, 200},
		{"basic user", "/api/tags", [2]string{"Authorization", basic(devKey, "")}, 200},
		{"basic password", "/v1/models", [2]string{"Authorization", basic("x", devKey)}, 200},
		{"x-api-key", "/api/tags", [2]string{"X-API-Key", devKey}, 200},
		{"path prefix", "/k/" + devKey + "/api/tags", [2]string{}, 200},
		{"path prefix, openai", "/k/" + devKey + "/v1/models", [2]string{}, 200},
		{"unknown key", "/api/tags", [2]string{"Authorization", "Bearer nope"}, 401},
		{"malformed basic", "/api/tags", [2]string{"Authorization", "Basic !!"}, 401},
		{"malformed scheme", "/v1/models", [2]string{"Authorization", "Token " + devKey}, 401},
		{"query key", "/api/tags?api_key=" + devKey, [2]string{}, 401},
		{"empty path key", "/k//api/tags", [2]string{}, 401},
		{"path key and bearer", "/k/" + devKey + "/api/tags", [2]string{"Authorization", "Bearer " + limitedKey}, 401},
		{"path key and x-api-key", "/k/" + limitedKey + "/api/tags", [2]string{"X-API-Key", devKey}, 401},
		{"path key and query key", "/k/" + devKey + "/api/tags?key=x", [2]string{}, 401},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, g.http.URL+tt.path, nil)
		if tt.header[0] != "" {
			req.Header.Set(tt.header[0], tt.header[1])
		}
		resp, err := g.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, resp.StatusCode, tt.status, body)
		}
		if strings.Contains(body, devKey) {
			t.Errorf("%s: the answer repeats the key: %s", tt.name, body)
		}
	}
	for _, e := range g.logLines() {
		if e.Status == 401 && (e.Account != "" || strings.Contains(e.Endpoint, devKey)) {
			t.Errorf("401 logged with an account or the key: %+v", e)
		}
		if strings.Contains(e.Endpoint, "/k/") {
			t.Errorf("the path key reached the log: %q", e.Endpoint)
		}
	}
}

// TestOllamaHostUserinfo runs Ollama's own Go client with the key in
// OLLAMA_HOST. As userinfo (http://KEY@host) it cannot work: envconfig.Host
// keeps "KEY@host" as the URL's host, which URL.String escapes to
// "KEY%40host", and the request fails before it is sent. As a path
// prefix (http://host/k/KEY) it works for every call, heartbeat
// included; and a Go program that builds its own URL with a user gets
// Basic auth from net/http.
func TestOllamaHostUserinfo(t *testing.T) {
	g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, _ *Options) { c.Watermarking.Pacing = ptr(false) })
	host := strings.TrimPrefix(g.http.URL, "http://")
	ctx := context.Background()

	t.Setenv("OLLAMA_HOST", "http://"+devKey+"@"+host)
	c, err := api.ClientFromEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(ctx); err == nil || !strings.Contains(err.Error(), "invalid URL escape") {
		t.Errorf("userinfo in OLLAMA_HOST: List error %v; the client changed, update docs/gateway-api.md", err)
	}

	t.Setenv("OLLAMA_HOST", "http://"+host+"/k/"+devKey)
	c, err = api.ClientFromEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Heartbeat(ctx); err != nil {
		t.Errorf("Heartbeat: %v", err)
	}
	if v, err := c.Version(ctx); err != nil || v != pinnedOllamaVersion {
		t.Errorf("Version = %q, %v", v, err)
	}
	list, err := c.List(ctx)
	if err != nil || len(list.Models) != 1 {
		t.Fatalf("List: %v, %v", list, err)
	}
	stream := false
	var answer string
	err = c.Chat(ctx, &api.ChatRequest{Model: "embedded", Stream: &stream, Messages: []api.Message{{Role: "user", Content: "Tell me of Moscow."}},
		Options: map[string]any{"num_predict": 5}}, func(r api.ChatResponse) error { answer += r.Message.Content; return nil })
	if err != nil || answer == "" {
		t.Errorf("Chat: %q, %v", answer, err)
	}

	u := &url.URL{Scheme: "http", Host: host, User: url.User(devKey)}
	if _, err := api.NewClient(u, g.http.Client()).List(ctx); err != nil {
		t.Errorf("api.NewClient with the key as the URL's user: %v", err)
	}
	u.User = url.User("wrong")
	var se api.AuthorizationError
	if _, err := api.NewClient(u, g.http.Client()).List(ctx); !errors.As(err, &se) || se.StatusCode != 401 {
		t.Errorf("wrong key as the URL's user: %v, want a 401", err)
	}
}
