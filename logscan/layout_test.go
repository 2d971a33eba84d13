package logscan

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"forensics/logline"
)

// TestDefaultLayoutIsTheGateways: each path of DefaultLayout is the key of
// the logline.Entry field of the same name, and is what a scan config
// calls it, so the gateway's keys are written down once.
func TestDefaultLayoutIsTheGateways(t *testing.T) {
	d := reflect.ValueOf(DefaultLayout())
	entry := reflect.TypeFor[logline.Entry]()
	layout := reflect.TypeFor[Layout]()
	for i := range layout.NumField() {
		f := layout.Field(i)
		if f.Name == "TimeFormat" {
			continue
		}
		ef, ok := entry.FieldByName(f.Name)
		if !ok {
			t.Errorf("Layout.%s: no logline.Entry field of that name", f.Name)
			continue
		}
		key, _, _ := strings.Cut(ef.Tag.Get("json"), ",")
		if path := d.Field(i).String(); path != key || f.Tag.Get("yaml") != key {
			t.Errorf("Layout.%s: path %q, yaml key %q; the gateway writes %q", f.Name, path, f.Tag.Get("yaml"), key)
		}
	}
}

// TestGatewayLineReadsBack writes an entry as the gateway does and reads
// it back three ways (the fast parser, encoding/json into a View, the
// generic reading a custom layout gets): every field the scanner uses
// comes back.
func TestGatewayLineReadsBack(t *testing.T) {
	sys, prompt := "You are <helpful> & terse.", "ignored: a chat's question is its last user turn"
	e := logline.Entry{
		TS: "2026-11-01T10:00:00.123456789+01:00", RequestID: "9f1c2b", Account: "acme-1", APIKeyID: "0123456789ab",
		IP: "198.51.100.7", UserAgent: "harvest-bot/0.3", Endpoint: "/v1/chat/completions", Model: "llama3.2",
		System: &sys, Prompt: &prompt,
		Messages: []logline.Message{{Role: "system", Content: "Be \"exact\".\n"}, {Role: "user", Content: "Explain <b>entropy</b> — café 😀"},
			{Role: "assistant", Content: "Entropy is…"}, {Role: "user", Content: "Think step by step."}},
		Params: map[string]any{"temperature": 0.7, "max_tokens": 1024, "top_logprobs": 5, "n": 2,
			"logit_bias": map[string]int{"50256": -100}, "stream": true},
		Status: 200, PromptTokens: 42, CompletionTokens: 700, LatencyMS: 1234.5,
		Watermark:        &logline.Watermark{KeyID: "main", Temperature: 0.7, Tilted: 650, GreenGain: 210.25},
		CompletionSHA256: strings.Repeat("0f", 32),
	}
	line, err := logline.Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	want := Record{
		TS: time.Date(2026, 11, 1, 9, 0, 0, 123456789, time.UTC), Account: e.Account, APIKeyID: e.APIKeyID, IP: e.IP,
		UserAgent: e.UserAgent, Endpoint: e.Endpoint, Model: e.Model,
		Prompt:     "Think step by step.",
		Context:    []string{sys, "Be \"exact\".\n", "Explain <b>entropy</b> — café 😀"},
		Assistant:  []string{"Entropy is…"},
		Completion: 0x0f0f0f0f0f0f0f0f, Status: 200, PromptTokens: 42, CompletionTokens: 700,
		Params: Params{Temperature: 0.7, HasTemperature: true, TopLogprobs: 5, LogitBias: true, N: 2, MaxTokens: 1024},
	}
	if _, ok := logline.Parse(line, nil); !ok {
		t.Fatalf("the fast parser refused the gateway's line %s", line)
	}
	viaJSON := func(line []byte) (Record, error) {
		var v logline.View
		if err := json.Unmarshal(line, &v); err != nil {
			return Record{}, err
		}
		return gatewayRecord(&v)
	}
	for name, read := range map[string]func([]byte) (Record, error){
		"Parse": DefaultLayout().Parse, "encoding/json": viaJSON, "generic": DefaultLayout().parseGeneric,
	} {
		got, err := read(line)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v\n got %+v\nwant %+v", name, err, got, want)
		}
	}
}
