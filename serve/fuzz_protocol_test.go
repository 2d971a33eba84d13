package serve

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzOAIMessages holds the content-part parser to an independent reading
// of the same JSON: what it accepts, the model reads in full and in order
// (every string content and every text part, nothing else), so nothing a
// client sends can reach the model without reaching the log.
func FuzzOAIMessages(f *testing.F) {
	for _, s := range []string{
		`[{"role":"user","content":"hi"}]`,
		`[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]`,
		`[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]`,
		`[{"role":"assistant","content":null,"tool_calls":[{"id":"1"}]}]`,
		`[{"role":"user","content":[]}]`, `[{"role":"user","content":[{"type":"text","text":null}]}]`,
		`[{"role":"user","content":{"type":"text"}}]`, `[{"role":"user","content":"a","tool_calls":[]}]`,
		`[{"role":"user","content":[{"type":"text","text":"x","extra":{"text":"hidden"}}]}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in []oaiInMessage
		if json.Unmarshal(body, &in) != nil {
			return
		}
		out, he := oaiMessages(in)
		if he != nil {
			if he.status != http.StatusBadRequest || !strings.HasPrefix(he.msg, "messages[") {
				t.Fatalf("refusal %d %q", he.status, he.msg)
			}
			return
		}
		var generic []map[string]any
		if json.Unmarshal(body, &generic) != nil {
			t.Fatalf("accepted %q, which does not decode as objects", body)
		}
		var want []string
		for _, m := range generic {
			content, ok := field(m, "content")
			if !ok {
				return // keys differing only in case: encoding/json's choice
			}
			switch c := content.(type) {
			case string:
				want = append(want, c)
			case []any:
				for _, p := range c {
					text, ok := field(p.(map[string]any), "text")
					if !ok {
						return
					}
					want = append(want, text.(string))
				}
			default:
				t.Fatalf("accepted content %T", c)
			}
		}
		if len(out) != len(want) {
			t.Fatalf("%d messages from %d texts", len(out), len(want))
		}
		for i := range out {
			if out[i].Content != want[i] {
				t.Fatalf("message %d: %q, the client sent %q", i, out[i].Content, want[i])
			}
		}
	})
}

// FuzzCompletionBodies sends arbitrary bodies to /v1/completions and
// /v1/chat/completions: an answer has a status and OpenAI's error shape,
// and a request served was logged with what the model read.
func FuzzCompletionBodies(f *testing.F) {
	for _, s := range []string{
		`{"model":"embedded","prompt":"The","max_tokens":3}`,
		`{"model":"embedded","prompt":["The"],"max_tokens":3,"stream":true,"stream_options":{"include_usage":true}}`,
		`{"model":"embedded","prompt":[1,2],"suffix":"x","echo":true,"logprobs":2,"best_of":2}`,
		`{"model":"embedded","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"max_tokens":2,"tools":[],"tool_choice":"none"}`,
		`{"model":"embedded","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"},"logprobs":true}`,
		`{"prompt":{"a":1}}`, `[]`, `null`, "\x00",
	} {
		for ep := range 2 {
			f.Add(ep, []byte(s))
		}
	}
	g := startGatewayWith(f, testKey(f, 1), "", func(c *Config, _ *Options) {
		c.Watermarking.Pacing = ptr(false)
		c.Requests.MaxTokens, c.Requests.DefaultTokens = 16, 8
	})
	h := g.srv.Handler()
	endpoints := []string{"/v1/completions", "/v1/chat/completions"}
	f.Fuzz(func(t *testing.T, ep int, body []byte) {
		path := endpoints[(ep%2+2)%2]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+devKey)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			var e struct{ Error oaiError }
			if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%s: %d without OpenAI's error shape: %q", path, rec.Code, rec.Body.String())
			}
		}
	})
}

// field is m's value for key, matched without case as encoding/json
// matches struct fields; ok is false when several keys match.
func field(m map[string]any, key string) (v any, ok bool) {
	n := 0
	for k, x := range m {
		if strings.EqualFold(k, key) {
			v, n = x, n+1
		}
	}
	return v, n <= 1
}

// FuzzAuthorizationKey: any Authorization header gives a non-empty key
// or an error, never a panic; Bearer keys round-trip.
func FuzzAuthorizationKey(f *testing.F) {
	for _, s := range []string{"Bearer k", "bearer  k ", "Basic " + "azE6", "Basic !!", "Basic", "", " ", "Digest x", "BASIC OmsxOg=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		k, err := authorizationKey(h)
		if (err == nil) == (k == "") {
			t.Fatalf("authorizationKey(%q) = %q, %v", h, k, err)
		}
		if err == nil && strings.TrimSpace(k) == k && !strings.ContainsAny(k, " \t") {
			if k2, err := authorizationKey("Bearer " + k); err != nil || k2 != k {
				t.Fatalf("bearer %q read as %q, %v", k, k2, err)
			}
		}
	})
}
