package openaicompat

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"forensics/llm"
)

// collect streams req and returns the drafts fn saw, stopping after stop
// drafts (0: never).
func collect(t *testing.T, c *Client, req llm.StreamRequest, stop int) ([]llm.Draft, error) {
	t.Helper()
	var ds []llm.Draft
	err := c.Stream(context.Background(), req, func(d llm.Draft) error {
		ds = append(ds, d)
		if stop > 0 && len(ds) == stop {
			return llm.ErrStop
		}
		return nil
	})
	return ds, err
}

func pieces(ds []llm.Draft) []string {
	var out []string
	for _, d := range ds {
		if d.EOS {
			out = append(out, "<EOS>")
			continue
		}
		out = append(out, d.Piece)
	}
	return out
}

func streamReq(max int) llm.StreamRequest {
	return llm.StreamRequest{Model: "m", Prompt: "Once upon a time", Temperature: 0.7, Seed: 1<<63 | 5, MaxTokens: max}
}

// TestStreamDrafts: the drafts are the engine's tokens in order, each with
// its candidates sorted and its end token marked, and the stream ends at
// the end token however the engine reports it (vLLM: as a last token;
// llama.cpp and Ollama: finish_reason "stop" alone), in both logprobs
// shapes.
func TestStreamDrafts(t *testing.T) {
	for _, tt := range []struct {
		name      string
		eosToken  string
		chatShape bool
	}{
		{"legacy, end token reported", fakeEOS, false},
		{"legacy, finish_reason only", "", false},
		{"chat shape with bytes", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEngine(t, " there", " was", " a", " king")
			f.eosToken, f.chatShape = tt.eosToken, tt.chatShape
			ds, err := collect(t, f.client(t, Options{}), streamReq(10), 0)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := pieces(ds), []string{" there", " was", " a", " king", "<EOS>"}; !slices.Equal(got, want) {
				t.Fatalf("drafts %q, want %q", got, want)
			}
			c := ds[1].Candidates
			if len(c) != TopK || c[0].Piece != " was" || !c[1].EOS || c[1].Piece != "" || c[2].Piece != " else" || c[0].LogProb != -0.25 {
				t.Fatalf("candidates %+v", c)
			}
			if n := len(f.calls()); n != 1 {
				t.Fatalf("%d requests for one unchunked stream", n)
			}
		})
	}
}

// TestRequestPinsSampling: every request pins the sampling that makes the
// engine's distribution p_T over its top 20, with the temperature, the
// seed (masked to the configured bits) and the budget.
func TestRequestPinsSampling(t *testing.T) {
	f := newFakeEngine(t, " there", " was")
	if _, err := collect(t, f.client(t, Options{SeedBits: 32}), streamReq(2), 0); err != nil {
		t.Fatal(err)
	}
	r := f.calls()[0]
	want := completionRequest{Model: "m", Prompt: "Once upon a time", Stream: true, MaxTokens: 2, Temperature: 0.7,
		Seed: 5, Logprobs: 20, N: 1, TopK: 20, TopP: 1, RepetitionPenalty: 1, RepeatPenalty: 1, Stop: []string{}}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("request %+v\nwant    %+v", r, want)
	}
}

// TestStreamChunksAndRestarts: with chunks, each request continues after
// the pieces so far with the next seed, and a stop from fn ends the call
// (its request closed) without an error.
func TestStreamChunksAndRestarts(t *testing.T) {
	f := newFakeEngine(t, " there", " was", " a", " king", " who")
	c := f.client(t, Options{Chunk: 2})
	ds, err := collect(t, c, streamReq(5), 3)
	if err != nil || len(ds) != 3 || ds[2].Request != 1 {
		t.Fatalf("drafts %q (request %d), err %v", pieces(ds), ds[len(ds)-1].Request, err)
	}
	calls := f.calls()
	// Each asks for its chunk and up to three more (to end on a character
	// boundary), within the budget: 2+3, then min(2+3, 3).
	if len(calls) != 2 || calls[1].Prompt != "Once upon a time there was" || calls[1].Seed != calls[0].Seed+1 || calls[0].MaxTokens != 5 || calls[1].MaxTokens != 3 {
		t.Fatalf("requests %+v", calls)
	}
	// A restart after the kept pieces, one token a request (paced).
	req := streamReq(2)
	req.Generated, req.Chunk = []string{" there", " was", " a"}, 1
	ds, err = collect(t, c, req, 0)
	if err != nil || !slices.Equal(pieces(ds), []string{" king", " who", "<EOS>"}) || len(f.calls()) != 4 {
		t.Fatalf("restart: %q, %v, %d requests", pieces(ds), err, len(f.calls()))
	}
}

// TestStreamFewerCandidates: an engine may report fewer than 20
// candidates when the rest have no probability (a small vocabulary,
// tokens at −inf left out): the draft has what was reported. Fewer whose
// probabilities do not sum to one (an engine reporting only its sampled
// token, or a few of the 20 it samples among) is refused: the acceptance
// would tilt a distribution the engine did not sample from (a review
// measured z = −2.3, no watermark, with one candidate reported).
func TestStreamFewerCandidates(t *testing.T) {
	f := newFakeEngine(t, " a", " b")
	f.fewCands = true
	f.cands = map[string]float64{" a": math.Log(0.7), " b": math.Log(0.3)}
	ds, err := collect(t, f.client(t, Options{}), streamReq(2), 0)
	if err != nil || len(ds) != 3 || len(ds[0].Candidates) != 2 {
		t.Fatalf("drafts %+v, err %v", ds, err)
	}
	for _, cands := range []map[string]float64{{" a": -0.1}, {" a": -0.1, " b": -2.4}} {
		f := newFakeEngine(t, " a", " b")
		f.fewCands, f.cands = true, cands
		if _, err := collect(t, f.client(t, Options{}), streamReq(2), 0); !errors.Is(err, ErrFewCandidates) {
			t.Errorf("%d candidates summing below one: err %v, want ErrFewCandidates", len(cands), err)
		}
	}
}

// TestStreamFaults: every way an engine can fail the acceptance ends the
// stream with an error that says what is wrong and quotes neither a token
// (a draft the gateway did not emit would show where it rejected one) nor
// the engine's own message (it can count the prompt's tokens, which after
// a restart places the last rejection).
func TestStreamFaults(t *testing.T) {
	tests := []struct {
		name   string
		fault  string
		status int
		want   error
	}{
		{"cut mid-way", "cut", 0, ErrLostStream},
		{"malformed chunk", "malformed", 0, nil},
		{"no logprobs", "no-logprobs", 0, ErrNoLogprobs},
		{"draft outside candidates", "outside", 0, ErrOutsideCandidates},
		{"bytes lost", "lost-bytes", 0, ErrLostBytes},
		{"error event", "error-event", 0, nil},
		{"event over the bound", "huge", 0, errEventTooLong},
		{"429", "", 429, nil},
		{"500", "", 500, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEngine(t, " there", " was", " a")
			f.faults[1], f.status = tt.fault, tt.status
			ds, err := collect(t, f.client(t, Options{}), streamReq(3), 0)
			if err == nil {
				t.Fatalf("no error; drafts %q", pieces(ds))
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), " there") {
				t.Fatalf("error quotes the engine: %v", err)
			}
			var ee *EngineError
			if tt.status != 0 || tt.fault == "error-event" {
				if !errors.As(err, &ee) || ee.StatusCode != tt.status || !strings.Contains(ee.Detail(), "SECRET-DETAIL") {
					t.Fatalf("engine error %#v from %v", ee, err)
				}
			}
			if tt.status == 429 && !ee.Temporary() {
				t.Fatal("429 is not temporary")
			}
		})
	}
}

// TestTwentyFirstCandidate: vLLM reports the sampled token besides the
// top 20 when it is not among them; 21 candidates mean top_k was not
// honoured.
func TestTwentyFirstCandidate(t *testing.T) {
	f := newFakeEngine(t, " w20")
	f.cands = map[string]float64{}
	for i := range 21 {
		f.cands[fmt.Sprintf(" w%d", i)] = -float64(i) / 4
	}
	if _, err := collect(t, f.client(t, Options{}), streamReq(1), 0); !errors.Is(err, ErrOutsideCandidates) {
		t.Fatalf("21 candidates: %v", err)
	}
	delete(f.cands, " w0")
	if _, err := collect(t, f.client(t, Options{}), streamReq(1), 0); err != nil {
		t.Fatalf("20 candidates: %v", err)
	}
}

// TestProcessedLogprobs: processed log-probabilities (log p_T) are
// rescaled to T·log p_T, what the acceptance takes; ones that do not sum
// to one over the candidates are refused (top_k not honoured).
func TestProcessedLogprobs(t *testing.T) {
	f := newFakeEngine(t, " a", " b")
	f.cands = map[string]float64{" a": math.Log(0.75), " b": math.Log(0.25)}
	ds, err := collect(t, f.client(t, Options{Logprobs: ProcessedLogprobs}), streamReq(2), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := ds[0].Candidates[0].LogProb; math.Abs(got-0.7*math.Log(0.75)) > 1e-12 {
		t.Fatalf("rescaled logprob %v", got)
	}
	f.cands = map[string]float64{" a": math.Log(0.6), " b": math.Log(0.25)}
	if _, err := collect(t, f.client(t, Options{Logprobs: ProcessedLogprobs}), streamReq(2), 0); !errors.Is(err, ErrNotNormalised) {
		t.Fatalf("unnormalised: %v", err)
	}
	// The same numbers as raw log-probabilities pass unchanged.
	ds, err = collect(t, f.client(t, Options{}), streamReq(2), 0)
	if err != nil || ds[0].Candidates[0].LogProb != math.Log(0.6) {
		t.Fatalf("raw: %+v, %v", ds, err)
	}
}

// TestCandidateOrderFixed: candidates come in a fixed order whatever the
// order of the engine's JSON object (the acceptance's draws index them).
func TestCandidateOrderFixed(t *testing.T) {
	f := newFakeEngine(t, " a")
	f.cands = map[string]float64{" a": -1, " b": -1, " c": -0.5, " d": -3, " e": -1}
	var first []llm.Candidate
	for range 5 {
		ds, err := collect(t, f.client(t, Options{}), streamReq(1), 0)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = ds[0].Candidates
		} else if !slices.Equal(first, ds[0].Candidates) {
			t.Fatalf("order changed: %v then %v", first, ds[0].Candidates)
		}
	}
	if first[0].Piece != " c" || first[1].Piece != " a" || first[2].Piece != " b" || first[4].Piece != " d" {
		t.Fatalf("order %v", first)
	}
}

// TestMidCharacterRestart: a paced stream (one token a request) whose
// engine splits a character across byte tokens reads on within the same
// request until the character is whole (a review found every such
// character redrawn away, or the request failing, when each request
// stopped at its chunk); an engine that never completes it ends the
// stream with ErrMidCharacter rather than continue inside it.
func TestMidCharacterRestart(t *testing.T) {
	f := newFakeEngine(t, " caf", "\xc3", "\xa9", " ok")
	f.cands = map[string]float64{" caf": -0.1, "bytes:\\xc3": -0.2, "bytes:\\xa9": -0.3, " ok": -0.4}
	f.answer = []string{" caf", "bytes:\\xc3", "bytes:\\xa9", " ok"}
	c := f.client(t, Options{Chunk: 1})
	ds, err := collect(t, c, streamReq(4), 0)
	if err != nil || !slices.Equal(pieces(ds), []string{" caf", "\xc3", "\xa9", " ok", "<EOS>"}) || len(f.calls()) != 3 {
		t.Fatalf("drafts %q, err %v, %d requests", pieces(ds), err, len(f.calls()))
	}

	f = newFakeEngine(t, " caf", "\xc3", "\xc3", "\xc3", "\xc3", " x")
	f.cands = map[string]float64{" caf": -0.1, "bytes:\\xc3": -0.2, " x": -0.3}
	f.answer = []string{" caf", "bytes:\\xc3", "bytes:\\xc3", "bytes:\\xc3", "bytes:\\xc3", " x"}
	ds, err = collect(t, f.client(t, Options{Chunk: 1}), streamReq(6), 0)
	if !errors.Is(err, llm.ErrMidCharacter) || len(ds) != 5 {
		t.Fatalf("drafts %q, err %v", pieces(ds), err)
	}
}
