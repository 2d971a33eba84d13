package serve

import (
	"net/http"
	"strings"
	"testing"
)

func TestMatchOrigin(t *testing.T) {
	patterns := append(append([]string{}, defaultOrigins...), "https://app.example.com", "https://*.corp.example")
	tests := []struct {
		origin string
		ok     bool
	}{
		{"http://localhost", true},
		{"http://localhost:3000", true},
		{"HTTP://LOCALHOST:3000", true},
		{"https://127.0.0.1:8443", true},
		{"http://0.0.0.0:1", true},
		{"app://obsidian.md", true},
		{"file://", true},
		{"tauri://localhost", true},
		{"vscode-webview://abc", true},
		{"vscode-file://vscode-app", true},
		{"https://app.example.com", true},
		{"https://x.corp.example", true},
		{"http://localhost:3000.evil.com", false},
		{"http://localhost.evil.com", false},
		{"http://localhost:", false},
		{"http://localhost:123456", false},
		{"https://evil.com", false},
		{"https://app.example.com.evil.com", false},
		{"https://evil.com/x.corp.example", false},
		{"https://evil.com@x.corp.example", false},
		{"null", false},
		{"", false},
	}
	for _, tt := range tests {
		if _, ok := originAllowed(patterns, tt.origin); ok != tt.ok {
			t.Errorf("origin %q allowed %v, want %v", tt.origin, ok, tt.ok)
		}
	}
	if v, ok := originAllowed([]string{"*"}, "https://any.where"); !ok || v != "*" {
		t.Errorf(`"*": %q %v`, v, ok)
	}
}

// TestCORS: an allowed origin's preflight is answered without a key
// (and authenticates nothing), its answers carry the CORS headers; a
// disallowed origin gets none; preflights write no log lines.
func TestCORS(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "http:\n  allowed_origins: [\"https://app.example.com\"]\n")
	preflight := func(origin, auth string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, g.http.URL+"/v1/chat/completions", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, x-stainless-os, x-stainless-retry-count, x-evil")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := g.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		return resp
	}
	resp := preflight("http://localhost:5173", devKey)
	h := resp.Header
	if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Errorf("allowed preflight: %d %v", resp.StatusCode, h)
	}
	allow := h.Get("Access-Control-Allow-Headers")
	for _, want := range []string{"authorization", "content-type", "x-stainless-os", "x-stainless-retry-count"} {
		if !strings.Contains(allow, want) {
			t.Errorf("Allow-Headers %q lacks %s", allow, want)
		}
	}
	if strings.Contains(allow, "x-evil") || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("Allow-Headers %q, Allow-Methods %q", allow, h.Get("Access-Control-Allow-Methods"))
	}
	if resp.Header.Get("X-Request-Id") != "" {
		t.Errorf("a preflight reached a handler")
	}
	if r := preflight("https://app.example.com", ""); r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("configured origin refused")
	}
	if r := preflight("https://evil.example", devKey); r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Allow-Headers") != "" {
		t.Errorf("disallowed origin got CORS headers: %v", r.Header)
	}

	req, _ := http.NewRequest(http.MethodGet, g.http.URL+"/v1/models", nil)
	req.Header.Set("Origin", "vscode-webview://x")
	req.Header.Set("Authorization", "Bearer "+devKey)
	get, err := g.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, get)
	if get.StatusCode != 200 || get.Header.Get("Access-Control-Allow-Origin") != "vscode-webview://x" ||
		!strings.Contains(get.Header.Get("Access-Control-Expose-Headers"), "X-RateLimit-Remaining-Requests") {
		t.Errorf("GET from an allowed origin: %d %v", get.StatusCode, get.Header)
	}
	req.Header.Set("Origin", "https://evil.example")
	get, err = g.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, get)
	if get.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("disallowed origin's GET carries ACAO")
	}
	entries := g.logLines()
	if len(entries) != 2 {
		t.Errorf("%d log lines; want the two GETs only", len(entries))
	}
	for _, e := range entries {
		if e.Endpoint != "/v1/models" {
			t.Errorf("logged %s", e.Endpoint)
		}
	}
}

// TestConfigAllowedOrigins: more than one "*" in an origin is an error.
func TestConfigAllowedOrigins(t *testing.T) {
	if _, err := ParseConfig([]byte("http:\n  allowed_origins: [\"https://*.*.example\"]\n")); err == nil {
		t.Error("two wildcards accepted")
	}
	if _, err := ParseConfig([]byte("http:\n  allowed_origins: [\"*\"]\n")); err != nil {
		t.Errorf("explicit *: %v", err)
	}
}
