package openaicompat

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"forensics/llm"
)

// referenceEvents is the EventSource algorithm written plainly, for
// bodies small enough to hold whole: lines split at "\n" (a "\r" before
// it dropped), "data" fields joined with "\n" per event, an event
// dispatched at a blank line, the unfinished tail dropped. It also
// returns the most data any event, finished or not, gathered.
func referenceEvents(body string) (out []string, most int) {
	lines := strings.Split(body, "\n")
	lines = lines[:len(lines)-1] // the tail has no newline: cut off
	var data []string
	pending := false
	for _, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		if l == "" {
			if pending {
				out = append(out, strings.Join(data, "\n"))
			}
			data, pending = nil, false
			continue
		}
		field, value, _ := strings.Cut(l, ":")
		if field != "data" {
			continue
		}
		data, pending = append(data, strings.TrimPrefix(value, " ")), true
		most = max(most, len(strings.Join(data, "\n")))
	}
	return out, most
}

// FuzzReadEvents: readEvents finds the events the plain algorithm does,
// and fails only for an event over its bound.
func FuzzReadEvents(f *testing.F) {
	f.Add("data: {\"a\":1}\n\ndata: [DONE]\n\n", 64)
	f.Add(": keep-alive\r\nevent: x\r\ndata:a\r\ndata: b\r\n\r\n", 8)
	f.Add("data: cut", 64)
	f.Add("data: "+strings.Repeat("y", 300)+"\ndata: z\n\n", 100)
	f.Add("data: "+strings.Repeat("w", 90)+"\n\n", 100)
	f.Fuzz(func(t *testing.T, body string, max int) {
		max = 1 + abs(max)%(64<<10)
		var got []string
		err := readEvents(strings.NewReader(body), max, func(d []byte) error {
			got = append(got, string(d))
			return nil
		})
		want, most := referenceEvents(body)
		if err != nil {
			long := slices.ContainsFunc(strings.Split(body, "\n"), func(l string) bool { return len(l) > max })
			if !long && most <= max {
				t.Fatalf("error %v with no line or event over %d", err, max)
			}
			return
		}
		if most > max {
			t.Fatalf("an event of %d bytes passed the bound %d", most, max)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("events %q, want %q", got, want)
		}
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// FuzzStreamBody: whatever an engine answers, Stream returns (no panic,
// bounded), and every draft it hands on is one the acceptance can take:
// its piece among its candidates, the candidates in order.
func FuzzStreamBody(f *testing.F) {
	tok := `data: {"choices":[{"index":0,"text":" a","finish_reason":null,"logprobs":{"tokens":[" a"],"token_logprobs":[-0.1],"top_logprobs":[{" a":-0.1," b":-2.5,"<|im_end|>":-3}]}}]}` + "\n\n"
	f.Add(200, tok+tok+`data: {"choices":[{"index":0,"text":"","finish_reason":"stop","logprobs":null}]}`+"\n\ndata: [DONE]\n\n")
	f.Add(200, `data: {"choices":[{"index":0,"text":"x","logprobs":{"content":[{"token":"x","logprob":-1,"bytes":[120],"top_logprobs":[{"token":"x","logprob":-1,"bytes":[120]}]}]},"finish_reason":"length"}]}`+"\n\n")
	f.Add(200, `data: {"error":{"message":"boom"}}`+"\n\n")
	f.Add(200, tok[:60])
	f.Add(429, `{"object":"error","message":"slow down"}`)
	f.Add(200, `data: {"choices":[{"index":0,"logprobs":{"tokens":["bytes:\\xe2"],"top_logprobs":[{"bytes:\\xe2":-1}]}}]}`+"\n\n")
	var body string
	var status int
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	defer hs.Close()
	u, _ := url.Parse(hs.URL)
	hc := hs.Client()
	hc.Timeout = 5 * time.Second
	c, _ := New(u, hc, Options{MaxEvent: 4 << 10})
	f.Fuzz(func(t *testing.T, st int, b string) {
		status, body = 200, b
		if st != 200 {
			status = 400 + abs(st)%200
		}
		req := llm.StreamRequest{Model: "m", Prompt: "p", Temperature: 1, MaxTokens: 8}
		c.Stream(context.Background(), req, func(d llm.Draft) error {
			if d.EOS {
				return llm.ErrStop
			}
			if !slices.ContainsFunc(d.Candidates, func(c llm.Candidate) bool { return !c.EOS && c.Piece == d.Piece }) {
				t.Fatalf("draft %q not among %v", d.Piece, d.Candidates)
			}
			if !slices.IsSortedFunc(d.Candidates, func(a, b llm.Candidate) int {
				switch {
				case a.LogProb > b.LogProb:
					return -1
				case a.LogProb < b.LogProb:
					return 1
				}
				return strings.Compare(a.Piece, b.Piece)
			}) {
				t.Fatalf("candidates out of order: %v", d.Candidates)
			}
			return nil
		})
	})
}
