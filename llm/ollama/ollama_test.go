package ollama

import (
	"testing"

	"github.com/ollama/ollama/api"
)

func TestParseHost(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "http://127.0.0.1:11434"},
		{"127.0.0.1:11434", "http://127.0.0.1:11434"},
		{"gpu-box", "http://gpu-box:11434"},
		{":8080", "http://127.0.0.1:8080"},
		{"https://ollama.internal:443", "https://ollama.internal:443"},
	}
	for _, tt := range tests {
		u, err := ParseHost(tt.in)
		if err != nil || u.String() != tt.want {
			t.Errorf("ParseHost(%q) = %v, %v; want %s", tt.in, u, err, tt.want)
		}
	}
	for _, bad := range []string{"ftp://x:1", "http://"} {
		if _, err := ParseHost(bad); err == nil {
			t.Errorf("ParseHost(%q) accepted", bad)
		}
	}
}

func TestOptionsPinSampling(t *testing.T) {
	o := Options(0.7, 42, 8)
	want := map[string]any{"temperature": 0.7, "top_k": TopK, "top_p": 1.0, "min_p": 0.0, "repeat_penalty": 1.0, "num_predict": 8}
	for k, v := range want {
		if o[k] != v {
			t.Errorf("option %s = %v, want %v", k, o[k], v)
		}
	}
	if _, ok := Options(1, 1, 0)["num_predict"]; ok {
		t.Error("num_predict set for an unlimited request")
	}
}

func TestPieceOfPrefersBytes(t *testing.T) {
	// A token inside a UTF-8 character comes back as "\ufffd" text with its
	// real bytes alongside.
	p := pieceOf(api.TokenLogprob{Token: "\ufffd", Bytes: []int{0xe2, 0x82}})
	if p != "\xe2\x82" {
		t.Fatalf("piece %q", p)
	}
	if pieceOf(api.TokenLogprob{Token: " the"}) != " the" {
		t.Fatal("text fallback")
	}
}
