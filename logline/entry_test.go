package logline

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestViewKeysAreEntryKeys: a View is part of an Entry, under the same
// names and keys, so the format's keys are written down once.
func TestViewKeysAreEntryKeys(t *testing.T) {
	entry := reflect.TypeFor[Entry]()
	for f := range reflect.TypeFor[View]().Fields() {
		ef, ok := entry.FieldByName(f.Name)
		if !ok {
			t.Errorf("View.%s: no Entry field of that name", f.Name)
			continue
		}
		key, _, _ := strings.Cut(ef.Tag.Get("json"), ",")
		if got := f.Tag.Get("json"); got != key {
			t.Errorf("View.%s has key %q, Entry's is %q", f.Name, got, key)
		}
	}
}

// gatewayEntry is an entry as the gateway writes it, every field set, with
// text that needs escaping (quotes, a newline, "<", non-ASCII, an emoji).
func gatewayEntry() Entry {
	sys, prompt := "You are <helpful> & terse.", "ignored: a chat's question is its last user turn"
	return Entry{
		TS: "2026-11-01T10:00:00.123456789Z", RequestID: "9f1c2b", Account: "acme-1", APIKeyID: "0123456789ab",
		IP: "198.51.100.7", UserAgent: "harvest-bot/0.3", Endpoint: "/v1/chat/completions", Model: "llama3.2",
		System: &sys, Prompt: &prompt,
		Messages: []Message{{Role: "system", Content: "Be \"exact\".\n"}, {Role: "user", Content: "Explain <b>entropy</b> — café 😀"},
			{Role: "assistant", Content: "Entropy is…"}, {Role: "user", Content: "Think step by step."}},
		Params: map[string]any{"temperature": 0.7, "max_tokens": 1024, "top_logprobs": 5, "n": 2,
			"logit_bias": map[string]int{"50256": -100}, "stream": true, "stop": []string{"\n\n"}},
		Status: 200, PromptTokens: 42, CompletionTokens: 700, LatencyMS: 1234.5,
		Watermark: &Watermark{KeyID: "main", Payload: "acme", Temperature: 0.7, Tilted: 650, GreenGain: 210.25},
		Truncated: []Truncation{{Field: "messages[9].content", Bytes: 70000, SHA256: strings.Repeat("ab", 32)}},
		Stop:      "length", RoundTrips: 3, Rejected: 1, Stalls: 2, CompletionSHA256: strings.Repeat("0f", 32),
		Case: "case-0001",
	}
}

// TestWriteThenRead: an entry as the gateway writes it reads back, by
// Parse and by encoding/json, with every field a View has.
func TestWriteThenRead(t *testing.T) {
	e := gatewayEntry()
	line, err := Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(line), `\u003c`) || strings.HasSuffix(string(line), "\n") {
		t.Errorf("line escapes HTML or ends in a newline: %s", line)
	}
	temp := 0.7
	want := View{TS: e.TS, Account: e.Account, APIKeyID: e.APIKeyID, IP: e.IP, UserAgent: e.UserAgent, Endpoint: e.Endpoint,
		Model: e.Model, System: e.System, Messages: e.Messages, Prompt: e.Prompt,
		Params: Params{Temperature: &temp, TopLogprobs: 5, N: 2, MaxTokens: 1024, LogitBias: json.RawMessage(`{"50256":-100}`)},
		Status: 200, PromptTokens: 42, CompletionTokens: 700, CompletionSHA256: e.CompletionSHA256, Stop: e.Stop, Case: e.Case}
	got, ok := Parse(line, Interner{})
	if !ok {
		t.Fatalf("Parse refused the gateway's line %s", line)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", got, want)
	}
	var viaJSON View
	if err := json.Unmarshal(line, &viaJSON); err != nil || !reflect.DeepEqual(viaJSON, want) {
		t.Errorf("json.Unmarshal: %v\n got %+v\nwant %+v", err, viaJSON, want)
	}
	var back Entry
	if err := json.Unmarshal(line, &back); err != nil {
		t.Fatal(err)
	}
	back.Params, e.Params = nil, nil // numbers come back as float64
	if !reflect.DeepEqual(back, e) {
		t.Errorf("entry does not round-trip:\n got %+v\nwant %+v", back, e)
	}
}
