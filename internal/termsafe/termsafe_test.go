package termsafe

import (
	"encoding/json"
	"strconv"
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
		// Invisible characters: a name that shows as another's.
		{"zero-width space", "user-0001\u200b", `user-0001\u200b`, `user-0001\u200b`},
		{"marks", "team-\u061c34-12 key-\u200f\u05d0\u200f", `team-\u061c34-12 key-\u200f` + "\u05d0" + `\u200f`, `team-\u061c34-12 key-\u200f` + "\u05d0" + `\u200f`},
		{"joiners, BOM, soft hyphen", "a\u200db\u2060c\ufeffd\u00ade", `a\u200db\u2060c\ufeffd\u00ade`, `a\u200db\u2060c\ufeffd\u00ade`},
		{"Hangul filler, variation selector", "x\u3164y\ufe0f", `x\u3164y\ufe0f`, `x\u3164y\ufe0f`},
		{"tag characters", "acct\U000e0041\U000e007f", `acct\U000e0041\U000e007f`, `acct\U000e0041\U000e007f`},
		{"line separator", "a\u2028b\u2029c", `a\u2028b\u2029c`, `a\u2028b\u2029c`},
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

// TestDocumentKeepsProse: a document (the report) escapes controls and
// bidirectional overrides but keeps the joiners and variation selectors
// that ordinary prose and emoji hold, as reports were first rendered.
func TestDocumentKeepsProse(t *testing.T) {
	for in, want := range map[string]string{
		"👩\u200d💻 ok ❤\ufe0f":    "👩\u200d💻 ok ❤\ufe0f",
		"می\u200cخواهم":          "می\u200cخواهم",
		"a\u202eb\x1b[2J\u200bc": `a\u202eb\x1b[2J` + "\u200bc",
	} {
		if got := Document(in); got != want {
			t.Errorf("Document(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSONKeepsValues(t *testing.T) {
	in := map[string]string{"account": "a\u202eb\u0085c\x7fd\x1be\u200bf\U000e0041g", "plain": "x"}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got := JSON(raw)
	if strings.ContainsAny(string(got), "\u202e\u0085\x7f\x1b\u200b\U000e0041") {
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
	for _, s := range []string{"", "plain", "\x1b]0;pwned\x07", "a\r\nb\tc", "\u202e\u2066x", "x\u200by\U000e0041", "\xff\xfe\u009b", "Привет"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, line := range []bool{false, true} {
			for _, invisible := range []bool{false, true} {
				out := clean(s, line, invisible)
				if !utf8.ValidString(out) {
					t.Fatalf("output not UTF-8: %q", out)
				}
				for _, r := range out {
					if unsafe(r, line, invisible) {
						t.Fatalf("clean(%q, %v, %v) = %q keeps %U", s, line, invisible, out, r)
					}
				}
				if firstUnsafe(s, line, invisible) < 0 && out != s {
					t.Fatalf("safe %q changed to %q", s, out)
				}
			}
		}
		if j := JSON([]byte(strconv.Quote(s))); utf8.Valid(j) {
			var back string
			if json.Unmarshal(j, &back) == nil && utf8.ValidString(s) && back != s {
				t.Fatalf("JSON changed %q to %q", s, back)
			}
		}
	})
}
