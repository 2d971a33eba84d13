package serve

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckServing: what `forensics serve` refuses to run, and what it
// says to do instead.
func TestCheckServing(t *testing.T) {
	acct := "keys: {k: k.yaml}\ndefaults: {key: k}\naccounts: [{name: a, api_keys: [\"" + HashAPIKey("x") + "\"]}]\n"
	tests := []struct {
		name, yaml string
		want       []string // substrings of the error; none: servable
	}{
		{"empty", "", []string{"no accounts", "forensics serve apikey", "serve.example.yaml", "no log.path", "log: {disabled: true}"}},
		{"only listen", "listen: 0.0.0.0:8080\n", []string{"no accounts", "no log.path"}},
		{"accounts, no log", acct, []string{"no log.path"}},
		{"log, no accounts", "log: {path: r.jsonl}\n", []string{"no accounts"}},
		{"accounts and log", acct + "log: {path: r.jsonl}\n", nil},
		{"log disabled", acct + "log: {disabled: true}\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			err = c.CheckServing()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrNotServable) {
				t.Fatalf("error %v is not ErrNotServable", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestConfigGatewayLogAndLogDisabled(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"disabled and path", "log: {disabled: true, path: r.jsonl}\n", "contradict"},
		{"format", "gateway_log: {format: xml}\n", "want text or json"},
		{"level", "gateway_log: {level: loud}\n", "want debug, info, warn or error"},
		{"level offset", "gateway_log: {level: info+2}\n", "want debug"},
		{"fine", "gateway_log: {format: json, level: WARN}\n", ""},
	}
	for _, tt := range tests {
		_, err := ParseConfig([]byte(tt.yaml))
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestShippedConfigsServable: the example config can be served as it is.
func TestShippedConfigsServable(t *testing.T) {
	c, err := LoadConfig("../serve.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckServing(); err != nil {
		t.Fatal(err)
	}
	if c.ListenIsDefault() {
		t.Fatal("serve.example.yaml sets listen")
	}
	if c, _ := ParseConfig(nil); !c.ListenIsDefault() || c.Listen != "127.0.0.1:8080" {
		t.Fatalf("default listen: %v %q", c.ListenIsDefault(), c.Listen)
	}
}
