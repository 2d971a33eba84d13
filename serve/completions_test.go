package serve

import (
	"encoding/json"
	"strings"
	"testing"
)

// completionText reads the text of a /v1/completions answer, streamed or
// not, and its finish reason.
func completionText(t *testing.T, body string, stream bool) (text, finish string) {
	t.Helper()
	if !stream {
		var c oaiResponse
		if err := json.Unmarshal([]byte(body), &c); err != nil || len(c.Choices) != 1 || c.Choices[0].Text == nil || c.Usage == nil || c.Object != "text_completion" {
			t.Fatalf("bad completion %q", body)
		}
		return *c.Choices[0].Text, *c.Choices[0].FinishReason
	}
	var sb strings.Builder
	for _, line := range strings.Split(body, "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var c oaiResponse
		if err := json.Unmarshal([]byte(data), &c); err != nil || c.Object != "text_completion" {
			t.Fatalf("bad chunk %q", data)
		}
		if len(c.Choices) == 1 {
			sb.WriteString(*c.Choices[0].Text)
			if c.Choices[0].FinishReason != nil {
				finish = *c.Choices[0].FinishReason
			}
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(body), "data: [DONE]") {
		t.Fatalf("stream without [DONE]: %q", body)
	}
	return sb.String(), finish
}

// TestAttackCompletionsWatermarked: legacy completions are an endpoint a
// harvester would try for unwatermarked text. Answers to a watermarked
// account detect under its key, streamed or not; the account with the
// watermark off does not; every one is logged with its prompt.
func TestAttackCompletionsWatermarked(t *testing.T) {
	g := startClockedGateway(t, testKey(t, 1), "", nil)
	d := g.detector()
	prompts := []string{"Write about the war.", "Tell me of Moscow.", "Describe the winter."}
	n := 0
	for i, p := range prompts {
		for _, key := range []string{devKey, plainKey} {
			stream := i%2 == 0
			body := map[string]any{"model": "embedded", "prompt": p, "max_tokens": 200, "min_tokens": 200, "temperature": 1.0, "stream": stream}
			resp := g.post("/v1/completions", key, body)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, readAll(t, resp))
			}
			n++
			text, finish := completionText(t, readAll(t, resp), stream)
			r, err := d.DetectText("", text)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s (%s, stream %v): %d pieces, log10 p = %.1f, finish %s", p, key, stream, r.TokensScored, r.Log10P, finish)
			if key == devKey && (r.Log10P > -6 || r.Tokens < 150) {
				t.Errorf("watermarked completion at log10 p %.1f over %d pieces", r.Log10P, r.Tokens)
			}
			if key == plainKey && r.Watermarked {
				t.Errorf("unwatermarked account's completion detected")
			}
			if finish != "length" {
				t.Errorf("finish_reason %q for a 200-token cut", finish)
			}
		}
	}
	entries := g.logLines()
	if len(entries) != n {
		t.Fatalf("%d log lines for %d completions", len(entries), n)
	}
	for _, e := range entries {
		if e.Endpoint != "/v1/completions" || e.Prompt == nil || *e.Prompt == "" || e.CompletionTokens != 200 || e.PromptTokens == 0 {
			t.Errorf("completion logged incompletely: %+v", e)
		}
		if e.Account == "dev" && e.Watermark == nil {
			t.Errorf("dev's completion logged without its watermark")
		}
	}
}

// TestCompletionRefusals: what legacy completions cannot have is refused
// in OpenAI's shape, and logged.
func TestCompletionRefusals(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	tests := []struct {
		name  string
		extra map[string]any
		param string
	}{
		{"suffix", map[string]any{"suffix": "end"}, "suffix"},
		{"echo", map[string]any{"echo": true}, "echo"},
		{"logprobs", map[string]any{"logprobs": 5}, "logprobs"},
		{"best_of", map[string]any{"best_of": 3}, "best_of"},
		{"two prompts", map[string]any{"prompt": []string{"a", "b"}}, "prompt"},
		{"token prompt", map[string]any{"prompt": []int{1, 2}}, "prompt"},
		{"no prompt", map[string]any{"prompt": nil}, "prompt"},
		{"n", map[string]any{"n": 3}, "n"},
	}
	for _, tt := range tests {
		body := map[string]any{"model": "embedded", "prompt": "Hi."}
		for k, v := range tt.extra {
			body[k] = v
		}
		resp := g.post("/v1/completions", devKey, body)
		got := readAll(t, resp)
		var e struct{ Error oaiError }
		if resp.StatusCode != 400 || json.Unmarshal([]byte(got), &e) != nil || e.Error.Param == nil || *e.Error.Param != tt.param {
			t.Errorf("%s: %d %s", tt.name, resp.StatusCode, got)
		}
	}
	if n := len(g.logLines()); n != len(tests) {
		t.Errorf("%d log lines for %d refusals", n, len(tests))
	}
}
