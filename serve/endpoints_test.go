package serve

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestLivenessAnswers: GET and HEAD / and /api/version answer as Ollama
// does without a key, say nothing about accounts, and write no log line.
func TestLivenessAnswers(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		resp := g.send(method, "/", "", nil)
		body := readAll(t, resp)
		if resp.StatusCode != 200 || (method == http.MethodGet && body != "Ollama is running") {
			t.Errorf("%s /: %d %q", method, resp.StatusCode, body)
		}
		resp = g.send(method, "/api/version", "", nil)
		body = readAll(t, resp)
		if resp.StatusCode != 200 {
			t.Errorf("%s /api/version: %d", method, resp.StatusCode)
		}
		if method == http.MethodGet && body != `{"version":"`+pinnedOllamaVersion+`"}`+"\n" {
			t.Errorf("/api/version: %q", body)
		}
	}
	// With a key, the same answer: nothing about the account.
	for _, key := range []string{"", devKey, "wrong"} {
		if b := readAll(t, g.get("/api/version", key)); strings.Contains(b, "dev") || strings.Contains(b, "error") {
			t.Errorf("version with key %q: %q", key, b)
		}
	}
	if n := len(g.logLines()); n != 0 {
		t.Errorf("%d log lines for liveness answers, want none", n)
	}
}

// TestLivenessFlood: liveness answers count against the address's
// unauthenticated limit, so a flood of them is cut like failed logins.
func TestLivenessFlood(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "http:\n  unauthenticated_per_minute: 5\n")
	codes := map[int]int{}
	for range 8 {
		resp := g.send(http.MethodHead, "/", "", nil)
		readAll(t, resp)
		codes[resp.StatusCode]++
	}
	if codes[200] != 5 || codes[429] != 3 {
		t.Errorf("statuses %v, want 5×200 and 3×429", codes)
	}
}

// TestUnroutedShapes: unknown paths and wrong methods answer JSON in the
// shape of their API, and are logged, with the account when the key is
// valid and within the unauthenticated limit otherwise.
func TestUnroutedShapes(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	tests := []struct {
		method, path, key string
		status            int
		openai            bool
	}{
		{http.MethodGet, "/v1/nothing", devKey, 404, true},
		{http.MethodGet, "/v1/chat/completions", devKey, 405, true},
		{http.MethodGet, "/api/nothing", devKey, 404, false},
		{http.MethodGet, "/api/chat", devKey, 405, false},
		{http.MethodPost, "/api/tags", "", 405, false},
		{http.MethodGet, "/v1/nothing", "", 404, true},
		{http.MethodDelete, "/api/delete", "wrong", 404, false},
		{http.MethodPost, "/", devKey, 405, false},
	}
	for _, tt := range tests {
		resp := g.send(tt.method, tt.path, tt.key, nil)
		body := readAll(t, resp)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", tt.method, tt.path, ct)
		}
		if tt.status == 405 && resp.Header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", tt.method, tt.path)
		}
		var oai struct{ Error oaiError }
		var oll struct{ Error string }
		if tt.openai {
			if json.Unmarshal([]byte(body), &oai) != nil || oai.Error.Code == "" || oai.Error.Message == "" {
				t.Errorf("%s %s: not OpenAI's shape: %s", tt.method, tt.path, body)
			}
		} else if json.Unmarshal([]byte(body), &oll) != nil || oll.Error == "" {
			t.Errorf("%s %s: not Ollama's shape: %s", tt.method, tt.path, body)
		}
	}
	entries := g.logLines()
	if len(entries) != len(tests) {
		t.Fatalf("%d log lines for %d unrouted requests", len(entries), len(tests))
	}
	for i, e := range entries {
		want := ""
		if tests[i].key == devKey {
			want = "dev"
		}
		if e.Account != want || e.Status != tests[i].status || e.Params["path"] != tests[i].path {
			t.Errorf("line %d: account %q status %d params %v; want %q %d %s", i, e.Account, e.Status, e.Params, want, tests[i].status, tests[i].path)
		}
	}
}

// TestUnroutedCharged: an unknown path with a valid key counts against
// the account's hourly limit like every request.
func TestUnroutedCharged(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	for i, want := range []int{404, 404, 429} {
		resp := g.get("/api/nothing", limitedKey)
		readAll(t, resp)
		if resp.StatusCode != want {
			t.Errorf("request %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
}

// TestRunningAndModelObjects: /api/ps lists what the account may use,
// under its names; /v1/models/{id} gives the model object, and the same
// 404 for a model the account may not use as for one that does not exist.
func TestRunningAndModelObjects(t *testing.T) {
	g := startGateway(t, testKey(t, 1), `models:
  - name: pub
    upstream: embedded
  - name: raw
    upstream: embedded
    watermark: false
`)
	var ps struct {
		Models []struct{ Name, Model string }
	}
	if err := json.Unmarshal([]byte(readAll(t, g.get("/api/ps", devKey))), &ps); err != nil || len(ps.Models) != 1 || ps.Models[0].Name != "pub" {
		t.Errorf("/api/ps for dev: %+v, %v", ps, err)
	}
	resp := g.get("/v1/models/pub", devKey)
	var m oaiModel
	if err := json.Unmarshal([]byte(readAll(t, resp)), &m); err != nil || resp.StatusCode != 200 || m.ID != "pub" || m.Object != "model" {
		t.Errorf("/v1/models/pub: %d %+v %v", resp.StatusCode, m, err)
	}
	hidden := g.get("/v1/models/raw", devKey)
	missing := g.get("/v1/models/none", devKey)
	hb, mb := readAll(t, hidden), readAll(t, missing)
	if hidden.StatusCode != 404 || missing.StatusCode != 404 || strings.Replace(hb, "raw", "none", 1) != mb {
		t.Errorf("hidden model %d %s; missing model %d %s", hidden.StatusCode, hb, missing.StatusCode, mb)
	}
	if !strings.Contains(mb, `"code":"model_not_found"`) {
		t.Errorf("404 without model_not_found: %s", mb)
	}
	resp = g.get("/api/ps", "")
	readAll(t, resp)
	if resp.StatusCode != 401 {
		t.Errorf("/api/ps without a key: %d", resp.StatusCode)
	}
}
