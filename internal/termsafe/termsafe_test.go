package termsafe

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTextAndLine(t *testing.T) {
	tests := []struct {
		name, in, text, line string
	}{
		{"plain", "account-7 asked: why?", "account-7 asked: why?", "account-7 asked: why?"},
		{"unicode kept", "Привет, 世界 — ok", "Привет, 世界 — ok", "Привет, 世界 — ok"},
		{"newline and tab", "a\tb\nc", "a\tb\nc", `a\tb\nc`},
		{"title and clear screen", "\x1b]0;pwned\x07\x1b[2J", `\x1b]0;pwned\x07\x1b[2J`, `\x1b]0;pwned\x07\x1b[2J`},
		{"carriage return overwrite", "safe\rEVIL", `safe\rEVIL`, `safe\rEVIL`},
		{"NUL, backspace, DEL", "a\x00b\bc\x7f", `a\x00b\x08c\x7f`, `a\x00b\x08c\x7f`},
		{"C1 CSI and NEL", "x\u009b31my\u0085", `x\u009b31my\u0085`, `x\u009b31my\u0085`},
		{"bidi override", "invoice\u202egpj.exe", `invoice\u202egpj.exe`, `invoice\u202egpj.exe`},
		{"bidi isolates", "\u2066a\u2067b\u2068c\u2069", `\u2066a\u2067b\u2068c\u2069`, `\u2066a\u2067b\u2068c\u2069`},
		{"not UTF-8", "ok\xff\x9b[2J", `ok\xff\x9b[2J`, `ok\xff\x9b[2J`},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.text {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.text)
			}
			if got := Line(tt.in); got != tt.line {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.line)
			}
		})
	}
}

func TestJSONKeepsValues(t *testing.T) {
	in := map[string]string{"account": "a\u202eb\u0085c\x7fd\x1be", "plain": "x"}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got := JSON(raw)
	if strings.ContainsAny(string(got), "\u202e\u0085\x7f\x1b") {
		t.Fatalf("unsafe characters left in %q", got)
	}
	var back map[string]string
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	if back["account"] != in["account"] || back["plain"] != "x" {
		t.Fatalf("values changed: %q", back)
	}
	if plain := []byte(`{"a":"b"}`); &JSON(plain)[0] != &plain[0] {
		t.Error("safe JSON was copied")
	}
}

// FuzzText checks, on any input, that the results hold no unsafe character,
// that safe text is left alone, and that Line never breaks a line.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b]0;pwned\x07", "a\r\nb\tc", "\u202e\u2066x", "\xff\xfe\u009b", "Привет"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, line := range []bool{false, true} {
			out := clean(s, line)
			if !utf8.ValidString(out) {
				t.Fatalf("output not UTF-8: %q", out)
			}
			for _, r := range out {
				if Unsafe(r, line) {
					t.Fatalf("clean(%q, %v) = %q keeps %U", s, line, out, r)
				}
			}
			if firstUnsafe(s, line) < 0 && out != s {
				t.Fatalf("safe %q changed to %q", s, out)
			}
		}
	})
}
