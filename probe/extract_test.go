package probe

import (
	"strings"
	"testing"
)

func TestExtractText(t *testing.T) {
	for _, c := range []struct {
		kind, body, text string
		tokens           int
		bad              string
	}{
		{ExtractOllama, `{"response":"hi","eval_count":3,"done":true}`, "hi", 3, ""},
		{ExtractOllama, `{"error":"model not loaded"}`, "", 0, "server error"},
		{ExtractOllama, `{"done":true}`, "", 0, `no "response"`},
		{ExtractOpenAI, `{"choices":[{"message":{"content":"yo"}}],"usage":{"completion_tokens":2}}`, "yo", 2, ""},
		{ExtractOpenAI, `{"choices":[]}`, "", 0, "no choices"},
		{ExtractEmbedded, `{"text":"a b","tokens":2}`, "a b", 2, ""},
		{ExtractFile, `{"prompt":"p","response":"r"}`, "r", 0, ""},
		{ExtractFile, `{"prompt":"p","text":"t","completion_tokens":5}`, "t", 5, ""},
		{ExtractFile, `{"prompt":"p"}`, "", 0, "neither"},
		{ExtractOpenAI, `<html>`, "", 0, "not JSON"},
		{"smoke-signals", `{}`, "", 0, "unknown extraction"},
	} {
		text, n, err := ExtractText(c.kind, []byte(c.body))
		if c.bad != "" {
			if err == nil || !strings.Contains(err.Error(), c.bad) {
				t.Errorf("%s %s: err %v, want %q", c.kind, c.body, err, c.bad)
			}
			continue
		}
		if err != nil || text != c.text || n != c.tokens {
			t.Errorf("%s %s: %q %d %v", c.kind, c.body, text, n, err)
		}
	}
}

func FuzzExtractText(f *testing.F) {
	for _, s := range []string{`{"response":"hi"}`, `{"choices":[{"message":{"content":"yo"}}]}`, `{"text":"x"}`, `[1,2]`, `{"response":null}`} {
		f.Add(ExtractOllama, []byte(s))
		f.Add(ExtractOpenAI, []byte(s))
	}
	f.Fuzz(func(t *testing.T, kind string, body []byte) {
		text, n, err := ExtractText(kind, body)
		if err != nil && (text != "" || n != 0) {
			t.Fatalf("error with output %q %d", text, n)
		}
	})
}

func TestOpenTargetErrors(t *testing.T) {
	t.Setenv("EMPTY_KEY", "")
	for _, c := range []struct{ spec, env, want string }{
		{"nothing", "", "want ollama://"},
		{"ftp://host/x", "", "unknown scheme"},
		{"ollama://127.0.0.1:11434", "", "no model"},
		{"ollama:127.0.0.1/m", "", "HOST:PORT"},
		{"openai://127.0.0.1:8080/chat/m", "", "openai://HOST:PORT/v1/MODEL"},
		{"openai://u:p@127.0.0.1:8080/v1/m", "", "bad host"},
		// What is asked must be what the evidence names: no query or
		// fragment in the model, which would carry secrets to the suspect.
		{"ollama://127.0.0.1:11434/suspect?api_key=SECRET#frag", "", `"?" in the model name`},
		{"ollama://127.0.0.1:11434/suspect#frag", "", `"#" in the model name`},
		{"openai://127.0.0.1:8080/v1/m;jsessionid=SECRET", "", `";" in the model name`},
		{"ollama://127.0.0.1:11434?api_key=SECRET/student", "", "bad host"},
		{"openai://127.0.0.1:8080#SECRET/v1/m", "", "bad host"},
		{"openai://127.0.0.1:8080/v1/m", "EMPTY_KEY", "EMPTY_KEY"},
		{"embedded:reference?colour=red", "", "unknown option"},
		{"embedded:reference?plant=1", "", "needs a canary set"},
		{"embedded:/no/such.model", "", "no such file"},
		{"file:/no/such.jsonl", "", "no such file"},
	} {
		_, err := OpenTarget(c.spec, TargetOptions{APIKeyEnv: c.env})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.spec, err, c.want)
		}
	}
}
