package ollama

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// streamServer answers /api/generate with status and body.
func streamServer(t testing.TB, status int, body string) *Client {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(hs.Close)
	u, _ := url.Parse(hs.URL)
	return New(u, hs.Client())
}

// tokenLine is one streamed token with TopK candidates.
func tokenLine(tok string) string {
	var c []string
	for i := range TopK {
		c = append(c, fmt.Sprintf(`{"token":"t%d","logprob":-%d.5}`, i, i))
	}
	return fmt.Sprintf(`{"model":"m","response":%q,"done":false,"logprobs":[{"token":%q,"logprob":-0.5,"top_logprobs":[%s]}]}`+"\n", tok, tok, strings.Join(c, ","))
}

// TestGenerateLikeAPIClient: generate hands fn what api.Client.Generate
// does, and fails as it does, for every shape of answer.
func TestGenerateLikeAPIClient(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // beyond the pooled 64 KiB
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"tokens", 200, tokenLine(" The") + tokenLine(" cat") + `{"model":"m","done":true,"done_reason":"stop","eval_count":2}` + "\n"},
		{"long line", 200, tokenLine(long) + `{"done":true}` + "\n"},
		{"error line", 200, tokenLine(" a") + `{"error":"model runner crashed"}` + "\n"},
		{"error status", 404, `{"error":"model \"m\" not found"}` + "\n"},
		{"error status, not JSON", 500, "upstream exploded\n"},
		{"not JSON", 200, "garbage\n"},
		{"cut", 200, tokenLine(" a")[:40]},
		{"empty", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := streamServer(t, tt.status, tt.body)
			var own, ref []api.GenerateResponse
			req := &api.GenerateRequest{Model: "m", Prompt: "p"}
			ownErr := c.generate(context.Background(), req, func(r api.GenerateResponse) error { own = append(own, r); return nil })
			refErr := c.api.Generate(context.Background(), req, func(r api.GenerateResponse) error { ref = append(ref, r); return nil })
			if !reflect.DeepEqual(own, ref) || fmt.Sprint(ownErr) != fmt.Sprint(refErr) {
				t.Fatalf("generate: %d responses, err %v; api client: %d responses, err %v", len(own), ownErr, len(ref), refErr)
			}
		})
	}
}

// BenchmarkGenerateCall is one upstream call of three tokens (the
// gateway's chunk), through api.Client.Generate and through generate.
func BenchmarkGenerateCall(b *testing.B) {
	c := streamServer(b, 200, tokenLine(" The")+tokenLine(" cat")+tokenLine(" sat")+`{"done":true,"done_reason":"length"}`+"\n")
	req := &api.GenerateRequest{Model: "m", Prompt: "p"}
	fn := func(api.GenerateResponse) error { return nil }
	b.Run("api-client", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.api.Generate(context.Background(), req, fn)
		}
	})
	b.Run("generate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.generate(context.Background(), req, fn)
		}
	})
}

// FuzzGenerateLikeAPIClient: for any streamed body and status, generate
// hands fn what api.Client.Generate does and fails as it does.
func FuzzGenerateLikeAPIClient(f *testing.F) {
	f.Add(200, tokenLine(" The")+`{"done":true}`+"\n")
	f.Add(404, `{"error":"not found"}`+"\n")
	f.Add(200, "garbage\n{}\n")
	f.Add(500, "")
	var body string
	var status int
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	defer hs.Close()
	u, _ := url.Parse(hs.URL)
	hc := hs.Client()
	hc.Timeout = 5 * time.Second
	c := New(u, hc)
	f.Fuzz(func(t *testing.T, st int, b string) {
		// 200, or an error status (1xx, 204 and 304 carry no body).
		status, body = 200, b
		if st > 0 {
			status = 400 + st%200
		}
		var own, ref []api.GenerateResponse
		req := &api.GenerateRequest{Model: "m", Prompt: "p"}
		ownErr := c.generate(context.Background(), req, func(r api.GenerateResponse) error { own = append(own, r); return nil })
		refErr := c.api.Generate(context.Background(), req, func(r api.GenerateResponse) error { ref = append(ref, r); return nil })
		if !reflect.DeepEqual(own, ref) || fmt.Sprint(ownErr) != fmt.Sprint(refErr) {
			t.Fatalf("status %d body %q: generate %d responses, err %v; api client %d, err %v", status, b, len(own), ownErr, len(ref), refErr)
		}
	})
}
