package serve

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzRequestBodies sends arbitrary bytes as the body of every endpoint,
// authenticated: the gateway must answer with a status and its API's
// error shape, never panic, and log each request in bounded size.
func FuzzRequestBodies(f *testing.F) {
	for _, s := range []string{
		`{"model":"embedded","prompt":"The","stream":false,"options":{"num_predict":3}}`,
		`{"model":"embedded","messages":[{"role":"system","content":"s"},{"role":"user","content":"u"}],"options":{"num_predict":2,"stop":["a","b"],"seed":-1,"temperature":0}}`,
		`{"model":"embedded","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"max_tokens":2,"stop":"x","seed":9,"n":1}`,
		`{"model":"embedded","prompt":"x","template":"{{.Prompt}}","suffix":"y","context":[1,2]}`,
		`{"model":"embedded","prompt":"x","options":{"num_predict":1e308,"min_tokens":-1,"temperature":1e400}}`,
		`{"model":"no-such-model"}`,
		`{"accounts":[{"account":"dev","action":"throttle","throttle":0.5}]}`,
		"\x00\xff{", `[]`, `null`,
	} {
		for ep := range 6 {
			f.Add(ep, []byte(s))
		}
	}
	// Short answers, released at once: the target is the parsing, and a
	// paced 4,096-token answer would take seconds.
	g := startGatewayWith(f, testKey(f, 1), "", func(c *Config, _ *Options) {
		off := false
		c.Watermarking.Pacing = &off
		c.Requests.MaxTokens, c.Requests.DefaultTokens = 32, 16
	})
	h := g.srv.Handler()
	endpoints := []string{"/api/generate", "/api/chat", "/v1/chat/completions", "/api/show", "/admin/limits", "/admin/risk"}
	f.Fuzz(func(t *testing.T, ep int, body []byte) {
		path := endpoints[(ep%len(endpoints)+len(endpoints))%len(endpoints)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+devKey)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code < 200 || rec.Code > 599 {
			t.Fatalf("%s: status %d", path, rec.Code)
		}
		if rec.Code >= 400 && !bytes.Contains(rec.Body.Bytes(), []byte(`"error"`)) {
			t.Fatalf("%s: %d without an error body: %q", path, rec.Code, rec.Body.String())
		}
	})
}

// FuzzJSONLen holds jsonLen to encoding/json (without HTML escaping): the
// line budget of checkLoggable is only as good as this count.
func FuzzJSONLen(f *testing.F) {
	for _, s := range []string{"", "plain", "\x00\x01\x1f\"\\\n\r\t", "<>&", "\u2028\u2029é€𝄞", "\xff\xfe bad utf-8 \xe2\x82"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		if want := buf.Len() - 1; jsonLen(s) != want {
			t.Fatalf("jsonLen(%q) = %d, encoding/json writes %d", s, jsonLen(s), want)
		}
	})
}
