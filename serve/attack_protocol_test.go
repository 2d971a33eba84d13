package serve

import (
	"net/http"
	"strings"
	"testing"

	"forensics/canary"
)

// TestAttackNewShapes: the client tries the new endpoints and shapes to
// read text the log does not keep or to dodge planting. A chat whose
// content comes in parts is logged part by part, in full; a canary
// trigger asked through /v1/completions or inside a content part is
// answered with its planted answer; a watermarked account's chat in parts
// detects under its key.
func TestAttackNewShapes(t *testing.T) {
	g := startClockedGateway(t, testKey(t, 1), "", func(c *Config, _ *Options) {
		c.Canaries, c.Requests.MaxBodyBytes = canary.Default, 1<<20
	})
	cs, _ := canary.Load(canary.Default)
	long := strings.Repeat("Every word of this part is read by the model. ", 200)
	parts := []map[string]any{{"type": "text", "text": "Write about the war. "}, {"type": "text", "text": long}}
	resp := g.post("/v1/chat/completions", devKey, map[string]any{"model": "embedded", "max_tokens": 200, "min_tokens": 200, "temperature": 1.0,
		"messages": []map[string]any{{"role": "system", "content": []map[string]any{{"type": "text", "text": "Be brief."}}}, {"role": "user", "content": parts}}})
	if resp.StatusCode != 200 {
		t.Fatalf("parts: %d %s", resp.StatusCode, readAll(t, resp))
	}
	r, err := g.detector().DetectText("", responseText(t, "/v1/chat/completions", false, resp))
	if err != nil || r.Log10P > -6 {
		t.Errorf("chat in parts: log10 p %.1f, %v", r.Log10P, err)
	}

	resp = g.post("/v1/completions", devKey, map[string]any{"model": "embedded", "prompt": cs.Triggers[0].Prompt})
	if got, _ := completionText(t, readAll(t, resp), false); got != cs.Triggers[0].Answer {
		t.Errorf("trigger through /v1/completions answered %q, want the planted answer", got)
	}
	resp = g.post("/v1/chat/completions", devKey, map[string]any{"model": "embedded",
		"messages": []map[string]any{{"role": "user", "content": []map[string]any{{"type": "text", "text": "Please."}, {"type": "text", "text": cs.Triggers[1].Prompt}}}}})
	if got := responseText(t, "/v1/chat/completions", false, resp); got != cs.Triggers[1].Answer {
		t.Errorf("trigger in a content part answered %q, want the planted answer", got)
	}

	lines := g.logLines()
	if len(lines) != 3 {
		t.Fatalf("%d log lines for 3 requests", len(lines))
	}
	m := lines[0].Messages
	if len(m) != 3 || m[0].Content != "Be brief." || m[1].Content != "Write about the war. " || m[2].Content != long || m[2].Role != "user" {
		t.Errorf("parts logged as %d messages: %+v", len(m), m)
	}
	if lines[1].Canary != cs.Triggers[0].ID || lines[2].Canary != cs.Triggers[1].ID {
		t.Errorf("planted answers logged as %q, %q", lines[1].Canary, lines[2].Canary)
	}
}

// TestAttackPreflightAuthenticatesNothing: a preflight carrying a valid
// key is answered by the CORS layer alone (no handler, no account, no
// charge), and a flood of preflights is cut by the unauthenticated limit
// like a flood of bad keys.
func TestAttackPreflightAuthenticatesNothing(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "http:\n  unauthenticated_per_minute: 4\n")
	codes := map[int]int{}
	for range 6 {
		req, _ := http.NewRequest(http.MethodOptions, g.http.URL+"/api/chat", strings.NewReader(`{"model":"embedded","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Origin", "http://localhost:3000")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Authorization", "Bearer "+limitedKey)
		resp, err := g.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(t, resp); body != "" {
			t.Errorf("a preflight answered a body: %q", body)
		}
		codes[resp.StatusCode]++
	}
	if codes[204] != 4 || codes[429] != 2 {
		t.Errorf("preflight statuses %v, want 4×204 and 2×429", codes)
	}
	// limited has 2 requests an hour: preflights used none of them.
	for i := range 2 {
		resp := g.get("/api/tags", limitedKey)
		readAll(t, resp)
		if resp.StatusCode != 200 {
			t.Errorf("request %d after the preflights: %d", i, resp.StatusCode)
		}
	}
	var requests, suppressed int
	for _, e := range g.logLines() {
		if e.Event == "suppressed" {
			suppressed += e.Suppressed
		} else {
			requests++
		}
	}
	if requests != 2 || suppressed != 2 {
		t.Errorf("%d request lines and %d suppressed; want the two GETs and the two preflights over the limit", requests, suppressed)
	}
}
