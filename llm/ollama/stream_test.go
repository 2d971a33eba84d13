package ollama

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"forensics/llm"
)

// catSat is the fake model's answer in most tests: seven whole tokens.
var catSat = words(" The", " cat", " sat", " on", " the", " mat", ".")

// drafts streams req from c and returns the drafts fn saw and Stream's
// error.
func drafts(t *testing.T, c *Client, req llm.StreamRequest) ([]llm.Draft, error) {
	t.Helper()
	var got []llm.Draft
	err := c.Stream(context.Background(), req, func(d llm.Draft) error {
		got = append(got, d)
		return nil
	})
	return got, err
}

func pieces(ds []llm.Draft) string {
	var sb strings.Builder
	for _, d := range ds {
		if d.EOS {
			sb.WriteString("<EOS>")
		}
		sb.WriteString(d.Piece)
	}
	return sb.String()
}

// TestStreamChunks: a whole answer in requests of DefaultChunk tokens,
// each continuing the raw prompt after the pieces so far with the next
// seed, then the end token as an EOS draft.
func TestStreamChunks(t *testing.T) {
	f := newFakeOllama(t, catSat)
	got, err := drafts(t, f.client(nil), llm.StreamRequest{Model: "m", Prompt: f.prompt, Temperature: 0.8, Seed: 40})
	if err != nil {
		t.Fatal(err)
	}
	if p := pieces(got); p != " The cat sat on the mat.<EOS>" {
		t.Fatalf("pieces %q", p)
	}
	wantRequest := []int{0, 0, 0, 1, 1, 1, 2, 2}
	for i, d := range got {
		if d.Request != wantRequest[i] {
			t.Errorf("draft %d from request %d, want %d", i, d.Request, wantRequest[i])
		}
		if d.EOS {
			if len(d.Candidates) != 0 {
				t.Errorf("EOS draft with candidates %v", d.Candidates)
			}
			continue
		}
		if len(d.Candidates) != 3 || d.Candidates[0].Piece != d.Piece || !d.Candidates[1].EOS || d.Candidates[1].Piece != eotToken || d.Candidates[2].EOS {
			t.Errorf("draft %d candidates %+v", i, d.Candidates)
		}
	}
	calls := f.calls()
	if len(calls) != 3 {
		t.Fatalf("%d requests, want 3", len(calls))
	}
	for i, c := range calls {
		wantPrompt := f.prompt + pieces(got[:3*i])
		if c.Prompt != wantPrompt || !c.Raw || c.Stream == nil || !*c.Stream || !c.Logprobs || c.TopLogprobs != TopK {
			t.Errorf("request %d: %+v", i, c)
		}
		if c.Options["num_predict"] != float64(DefaultChunk) || c.Options["seed"] != float64(40+i) || c.Options["top_k"] != float64(TopK) {
			t.Errorf("request %d options %v", i, c.Options)
		}
	}
}

// TestStreamOneTokenRequests: with Chunk 1 each request asks for one
// token, continuing after Generated, until MaxTokens; no EOS is reported
// for an answer cut by the budget.
func TestStreamOneTokenRequests(t *testing.T) {
	f := newFakeOllama(t, catSat)
	req := llm.StreamRequest{Model: "m", Prompt: f.prompt, Generated: []string{" The", " cat"}, MaxTokens: 3, Chunk: 1}
	got, err := drafts(t, f.client(nil), req)
	if err != nil {
		t.Fatal(err)
	}
	if p := pieces(got); p != " sat on the" {
		t.Fatalf("pieces %q", p)
	}
	calls := f.calls()
	if len(calls) != 3 {
		t.Fatalf("%d requests, want 3", len(calls))
	}
	for i, c := range calls {
		if c.Options["num_predict"] != 1.0 || got[i].Request != i {
			t.Errorf("request %d: num_predict %v, draft request %d", i, c.Options["num_predict"], got[i].Request)
		}
	}
}

// TestStreamBudgetShrinksLastChunk: the last request asks only for what
// is left of MaxTokens.
func TestStreamBudgetShrinksLastChunk(t *testing.T) {
	f := newFakeOllama(t, catSat)
	c := f.client(nil)
	c.Chunk = 4
	got, err := drafts(t, c, llm.StreamRequest{Model: "m", Prompt: f.prompt, MaxTokens: 5})
	if err != nil || len(got) != 5 {
		t.Fatalf("%d drafts, %v", len(got), err)
	}
	calls := f.calls()
	if len(calls) != 2 || calls[0].Options["num_predict"] != 4.0 || calls[1].Options["num_predict"] != 1.0 {
		t.Fatalf("requests %+v", calls)
	}
}

// TestStreamEOS: an answer that ends inside a chunk gives an EOS draft;
// what fn returns for it is Stream's error, ErrStop excepted.
func TestStreamEOS(t *testing.T) {
	f := newFakeOllama(t, words(" Yes", "."))
	c := f.client(nil)
	got, err := drafts(t, c, llm.StreamRequest{Model: "m", Prompt: f.prompt})
	if err != nil || pieces(got) != " Yes.<EOS>" || len(f.calls()) != 1 {
		t.Fatalf("pieces %q, %v, %d requests", pieces(got), err, len(f.calls()))
	}
	errRefused := errors.New("refused")
	for _, tt := range []struct {
		ret, want error
	}{{llm.ErrStop, nil}, {errRefused, errRefused}} {
		err := c.Stream(context.Background(), llm.StreamRequest{Model: "m", Prompt: f.prompt}, func(d llm.Draft) error {
			if d.EOS {
				return tt.ret
			}
			return nil
		})
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("fn returned %v at EOS: Stream returned %v", tt.ret, err)
		}
	}
}

// TestStreamEOSAfterFullChunk: an answer that ends exactly at a chunk's
// end is reported by the next request, which has no tokens and "stop".
func TestStreamEOSAfterFullChunk(t *testing.T) {
	f := newFakeOllama(t, catSat[:3])
	got, err := drafts(t, f.client(nil), llm.StreamRequest{Model: "m", Prompt: f.prompt})
	if err != nil || pieces(got) != " The cat sat<EOS>" || got[3].Request != 1 {
		t.Fatalf("drafts %+v, %v", got, err)
	}
}

// TestStreamContextFull: a request that ends with "length" before its
// num_predict (the model's context is full) ends the stream without EOS.
func TestStreamContextFull(t *testing.T) {
	f := newFakeOllama(t, catSat)
	f.contextSize = 4
	got, err := drafts(t, f.client(nil), llm.StreamRequest{Model: "m", Prompt: f.prompt})
	if err != nil || pieces(got) != " The cat sat on" || len(f.calls()) != 2 {
		t.Fatalf("pieces %q, %v, %d requests", pieces(got), err, len(f.calls()))
	}
}

// TestStreamRejectionDrains: fn stopping the stream ends Stream without
// error and without another request; the chunk is read to its end.
func TestStreamRejectionDrains(t *testing.T) {
	f := newFakeOllama(t, catSat)
	calls := 0
	err := f.client(nil).Stream(context.Background(), llm.StreamRequest{Model: "m", Prompt: f.prompt}, func(d llm.Draft) error {
		calls++
		if calls == 2 {
			return llm.ErrStop
		}
		return nil
	})
	if err != nil || calls != 2 || len(f.calls()) != 1 {
		t.Fatalf("err %v, fn called %d times, %d requests", err, calls, len(f.calls()))
	}
}

// TestStreamErrorMidStream: an {"error"} line after some tokens is
// Stream's error, with Ollama's message.
func TestStreamErrorMidStream(t *testing.T) {
	f := newFakeOllama(t, catSat)
	f.faults[4] = faultError
	got, err := drafts(t, f.client(nil), llm.StreamRequest{Model: "m", Prompt: f.prompt})
	if err == nil || !strings.Contains(err.Error(), "ollama generate") || !strings.Contains(err.Error(), "llama runner process has terminated") {
		t.Fatalf("error %v", err)
	}
	if pieces(got) != " The cat sat on" {
		t.Fatalf("pieces before the error %q", pieces(got))
	}
}

// TestStreamErrorStatus: an error before any output comes as a status;
// Stream's error carries it.
func TestStreamErrorStatus(t *testing.T) {
	f := newFakeOllama(t, catSat)
	f.failStatus = http.StatusInternalServerError
	got, err := drafts(t, f.client(nil), llm.StreamRequest{Model: "m", Prompt: f.prompt})
	var se api.StatusError
	if !errors.As(err, &se) || se.StatusCode != 500 || !strings.Contains(err.Error(), "model failed to load") || len(got) != 0 {
		t.Fatalf("error %v, %d drafts", err, len(got))
	}
}

// TestStreamLostConnection: a body cut mid-stream, or a message longer
// than the client's line buffer, ends the Ollama client's read without an
// error of its own; without the final message it is an error, not a short
// answer.
func TestStreamLostConnection(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    fault
	}{{"cut", faultCut}, {"oversized line", faultHuge}} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOllama(t, catSat)
			f.faults[5] = tt.f
			got, err := drafts(t, f.client(nil), llm.StreamRequest{Model: "m", Prompt: f.prompt})
			if err == nil || !strings.Contains(err.Error(), "after 2 tokens without completing (upstream connection lost)") {
				t.Fatalf("error %v", err)
			}
			if pieces(got) != " The cat sat on the" {
				t.Fatalf("pieces %q", pieces(got))
			}
		})
	}
}

// TestStreamStalledBody: a body that stops sending is cut by the HTTP
// client's timeout, and reported as a lost connection.
func TestStreamStalledBody(t *testing.T) {
	f := newFakeOllama(t, catSat)
	f.faults[1] = faultHang
	got, err := drafts(t, f.client(&http.Client{Timeout: 200 * time.Millisecond}), llm.StreamRequest{Model: "m", Prompt: f.prompt})
	if err == nil || !strings.Contains(err.Error(), "upstream connection lost") || pieces(got) != " The" {
		t.Fatalf("pieces %q, error %v", pieces(got), err)
	}
}

// TestStreamCancelDrains: a ctx cancelled mid-request stops the drafts at
// once, but the request outlives it (closing streams hangs Ollama
// v0.17.4): Stream returns ctx's error when the body ends, here when the
// client's timeout cuts a body that never ends. With Cancel set, the
// request is closed at once instead.
func TestStreamCancelDrains(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for _, cancelMode := range []bool{false, true} {
		f := newFakeOllama(t, catSat)
		f.faults[2] = faultHang
		hc := &http.Client{Timeout: timeout}
		if cancelMode {
			hc.Timeout = time.Minute
		}
		c := f.client(hc)
		c.Cancel = cancelMode
		ctx, cancel := context.WithCancel(context.Background())
		var calls atomic.Int32
		start := time.Now()
		err := c.Stream(ctx, llm.StreamRequest{Model: "m", Prompt: f.prompt}, func(llm.Draft) error {
			if calls.Add(1) == 1 {
				cancel()
			}
			return nil
		})
		took := time.Since(start)
		if !errors.Is(err, context.Canceled) || calls.Load() != 1 || len(f.calls()) != 1 {
			t.Errorf("cancel mode %v: err %v, fn called %d times, %d requests", cancelMode, err, calls.Load(), len(f.calls()))
		}
		if !cancelMode && took < timeout {
			t.Errorf("returned after %v, before the body ended (timeout %v): the request was cancelled", took, timeout)
		}
		if cancelMode && took > 10*time.Second {
			t.Errorf("cancel mode: returned after %v; the request was not closed", took)
		}
	}
}

// TestStreamMidCharacter: pieces that end inside a UTF-8 character cannot
// be sent back as a prompt; Stream says so instead of continuing.
func TestStreamMidCharacter(t *testing.T) {
	answer := []api.TokenLogprob{{Token: " caf"}, {Token: "\ufffd", Bytes: []int{0xc3}}, {Token: "\ufffd", Bytes: []int{0xa9}}}
	f := newFakeOllama(t, answer)
	got, err := drafts(t, f.client(nil), llm.StreamRequest{Model: "m", Prompt: f.prompt, Chunk: 2})
	if !errors.Is(err, llm.ErrMidCharacter) || pieces(got) != " caf\xc3" || len(f.calls()) != 1 {
		t.Fatalf("pieces %q, error %v, %d requests", pieces(got), err, len(f.calls()))
	}
	// Whole characters within a chunk are fine.
	got, err = drafts(t, f.client(nil), llm.StreamRequest{Model: "m", Prompt: f.prompt, Chunk: 3})
	if err != nil || pieces(got) != " café<EOS>" {
		t.Fatalf("pieces %q, error %v", pieces(got), err)
	}
}

// countingTransport counts the requests per path that go through it.
type countingTransport struct {
	n map[string]*atomic.Int32
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if n, ok := c.n[r.URL.Path]; ok {
		n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestShowUsesConfiguredClient: the model's end tokens come from
// /api/show, once per model, through the client's own HTTP client, whose
// timeout bounds it.
func TestShowUsesConfiguredClient(t *testing.T) {
	f := newFakeOllama(t, catSat)
	tr := countingTransport{n: map[string]*atomic.Int32{"/api/show": {}, "/api/generate": {}}}
	c := f.client(&http.Client{Transport: tr})
	for range 2 {
		if _, err := drafts(t, c, llm.StreamRequest{Model: "m", Prompt: f.prompt, MaxTokens: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if shows, gens := tr.n["/api/show"].Load(), tr.n["/api/generate"].Load(); shows != 1 || gens != 2 || f.showCount() != 1 {
		t.Fatalf("through the configured client: %d /api/show, %d /api/generate; the server saw %d /api/show", shows, gens, f.showCount())
	}

	f = newFakeOllama(t, catSat)
	f.showDelay = time.Minute
	start := time.Now()
	_, err := drafts(t, f.client(&http.Client{Timeout: 200 * time.Millisecond}), llm.StreamRequest{Model: "m", Prompt: f.prompt})
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("a stalled /api/show: error %v after %v", err, time.Since(start))
	}
}

// TestRender: a chat is rendered by /api/chat with _debug_render_only.
func TestRender(t *testing.T) {
	f := newFakeOllama(t, catSat)
	got, err := f.client(nil).Render(context.Background(), "m", []api.Message{{Role: "user", Content: "hi"}})
	if err != nil || got != "<|user|>hi" {
		t.Fatalf("rendered %q, %v", got, err)
	}
}
