package probe

import (
	"strings"
	"testing"
)

func TestShippedCanarySet(t *testing.T) {
	cs, err := LoadCanaries(DefaultCanaries)
	if err != nil {
		t.Fatal(err)
	}
	topics, tasks := map[string]bool{}, map[string]bool{}
	for _, p := range cs.Prompts {
		topics[p.Topic] = true
		tasks[p.Task] = true
	}
	if len(cs.Prompts) < 500 || len(topics) < 20 || len(tasks) < 12 || len(cs.Triggers) < 40 {
		t.Errorf("%d prompts over %d topics and %d tasks, %d triggers", len(cs.Prompts), len(topics), len(tasks), len(cs.Triggers))
	}
	for _, tr := range cs.Triggers {
		if !tr.Hit(tr.Answer) {
			t.Errorf("trigger %s: its planted answer does not match its pattern", tr.ID)
		}
		for _, other := range cs.Triggers {
			if other.ID != tr.ID && tr.Hit(other.Answer) {
				t.Errorf("trigger %s matches the answer of %s", tr.ID, other.ID)
			}
		}
	}
	if len(cs.SHA256) != 64 {
		t.Errorf("sha256 %q", cs.SHA256)
	}
}

func TestParseCanariesErrors(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"not yaml", "name: [", []string{"malformed"}},
		{"list", "- a\n- b\n", []string{"want a mapping"}},
		{"unknown field", "name: x\nversion: 1\ncolour: red\nprompts: [{id: a, text: hi}]\n", []string{"colour", "line 3"}},
		{"no version", "name: x\nprompts: [{id: a, text: hi}]\n", []string{"positive version"}},
		{"empty", "name: x\nversion: 1\n", []string{"no prompts"}},
		{"duplicates and blanks", "name: x\nversion: 1\nprompts:\n  - {id: a, text: hi}\n  - {id: a, text: again}\n  - {id: b, text: \" \"}\n",
			[]string{"line 5: prompts[1]: duplicate id \"a\"", "line 6: prompts[2]: empty text"}},
		{"bad triggers", "name: x\nversion: 1\ntriggers:\n  - {id: t, prompt: p}\n  - {id: u, prompt: p, expect: [\"(\"]}\n  - {id: v, prompt: p, expect: [\"x*\"]}\n",
			[]string{"line 4: triggers[0]: no expect patterns", "line 5: triggers[1]: expect pattern", "line 6: triggers[2]: expect pattern \"x*\" matches the empty string"}},
	} {
		_, err := ParseCanaries([]byte(c.yaml))
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
	}
}

func FuzzParseCanaries(f *testing.F) {
	f.Add([]byte("name: x\nversion: 1\nprompts: [{id: a, text: hi}]\ntriggers: [{id: t, prompt: p, answer: q, expect: [q]}]\n"))
	f.Add([]byte("name: x\nversion: 1\nprompts:\n  - {id: a, text: hi}\n  - {id: a, text: hi}\n"))
	f.Add([]byte("&a [*a, *a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := ParseCanaries(data)
		if err != nil {
			return
		}
		ids := map[string]bool{}
		for _, p := range cs.Prompts {
			if p.ID == "" || ids[p.ID] || strings.TrimSpace(p.Text) == "" {
				t.Fatalf("accepted bad prompt %+v", p)
			}
			ids[p.ID] = true
		}
		for _, tr := range cs.Triggers {
			if tr.ID == "" || ids[tr.ID] || len(tr.patterns) != len(tr.Expect) || tr.Hit("") {
				t.Fatalf("accepted bad trigger %+v", tr)
			}
			ids[tr.ID] = true
		}
	})
}

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
