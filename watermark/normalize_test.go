package watermark

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ascii unchanged", "Hello, world.", "Hello, world."},
		{"NFC", "cafe\u0301", "café"},
		{"zero width", "wa\u200bter\u200dmark\ufeff", "watermark"},
		{"soft hyphen", "water\u00admark", "watermark"},
		{"cyrillic in latin word", "p\u0430ypal", "paypal"},
		{"greek in latin word", "hell\u03bf", "hello"},
		{"fullwidth in latin word", "ab\uff43", "abc"},
		{"russian stays russian", "\u043f\u0440\u0438\u0432\u0435\u0442 мир", "привет мир"},
		{"greek stays greek", "\u03bf\u03b9\u03ba\u03bf\u03c2", "οικος"},
		{"mixed sentence", "the \u0441at and кот", "the cat and кот"},
		{"invalid utf8 kept", "a\xffb", "a\xffb"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "p\u0430ypal", "a\u200bb", "\xff\xfe", "cafe\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if Normalize(n) != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, Normalize(n))
		}
	})
}
