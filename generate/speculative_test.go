package generate

import (
	"context"
	"errors"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"forensics/internal/measure"
	"forensics/llm"
	"forensics/llm/embedded"
	"forensics/watermark"
)

// TestSpeculativeFollowsQ runs the speculative loop on the embedded model's
// streamer (which samples from p_T like Ollama) and checks that every
// emitted piece, including those emitted right after a restart, follows the
// watermarked distribution q of its position: counts by candidate rank
// against the summed q of each position (chi-square, fixed seeds). The
// unit test makes 2,000 four-piece generations, FORENSICS_MEASURE=1 6,000:
// fewer only lowers the test's power, not its level (ranks expected fewer
// than 5 times are left out at any size).
func TestSpeculativeFollowsQ(t *testing.T) {
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := key(t, 50)
	ctx := context.Background()
	runs := 2000
	if measure.Enabled() {
		runs = 6000
	}
	const k = 20
	all := make([]float64, k)
	allN := make([]int, k)
	after := make([]float64, k) // positions that start a restarted stream
	afterN := make([]int, k)
	var total Stats
	prompt := "It was in July, 1805, and the"
	promptPieces, _ := m.Tokenizer().Pieces(prompt)
	for r := 0; r < runs; r++ {
		toks, st, err := Speculative(ctx, m, s, prompt, StreamOptions{MaxTokens: 4, Temperature: 1, Seed: SeedFromUint64(uint64(r))}, func(string, int) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		total.Tokens += st.Tokens
		total.RoundTrips += st.RoundTrips
		total.Rejected += st.Rejected
		// Recompute q at every position and find the emitted rank.
		ctxFP := watermark.NewContext(s.Params().ContextWidth)
		prefix := append([]string{}, promptPieces...)
		restartAt := restartPositions(toks, st)
		for pos, tok := range toks {
			next, _ := m.Next(ctx, prefix, k)
			cands := make([]watermark.Candidate, len(next))
			rank := -1
			for i, c := range next {
				cands[i] = watermark.Candidate{Piece: c.Piece, LogProb: c.LogProb, EOS: c.EOS}
				if !c.EOS && c.Piece == tok.Piece {
					rank = i
				}
			}
			if rank < 0 {
				t.Fatalf("emitted %q is not a candidate", tok.Piece)
			}
			tl := s.Tilt(ctxFP.Fingerprints(), cands, 1)
			for i := range tl.Q {
				all[i] += tl.Q[i]
				if restartAt[pos] {
					after[i] += tl.Q[i]
				}
			}
			allN[rank]++
			if restartAt[pos] {
				afterN[rank]++
			}
			prefix = append(prefix, tok.Piece)
			ctxFP.Push(watermark.Fingerprint(tok.Piece))
		}
	}
	check := func(name string, want []float64, got []int) {
		n := 0
		for _, c := range got {
			n += c
		}
		stat, df := 0.0, -1
		for i := range want {
			if want[i] < 5 {
				continue // pool nothing: ranks with tiny expectation are skipped
			}
			d := float64(got[i]) - want[i]
			stat += d * d / want[i]
			df++
		}
		p := distuv.ChiSquared{K: float64(df)}.Survival(stat)
		t.Logf("%s: %d pieces, χ²=%.1f df=%d p=%.3f", name, n, stat, df, p)
		if p < 1e-3 {
			t.Errorf("%s: emitted pieces do not follow q (p=%.2g)", name, p)
		}
	}
	check("all positions", all, allN)
	check("after a restart", after, afterN)
	t.Logf("%d pieces in %d round trips (%.2f pieces per round trip), %d rejections",
		total.Tokens, total.RoundTrips, float64(total.Tokens)/float64(total.RoundTrips), total.Rejected)
}

// restartPositions marks the positions that begin a restarted stream:
// their previous piece was a replacement drawn from the residual. Selecting
// on that depends only on the past, so q still describes them.
func restartPositions(toks []Token, _ Stats) []bool {
	marks := make([]bool, len(toks))
	for i := 1; i < len(toks); i++ {
		marks[i] = toks[i].Stream != toks[i-1].Stream
	}
	return marks
}

func TestSpeculativePassThrough(t *testing.T) {
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	toks, st, err := Speculative(context.Background(), m, nil, "The", StreamOptions{MaxTokens: 50, Temperature: 1, Seed: SeedFromUint64(1)},
		func(s string, _ int) error { got.WriteString(s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if st.RoundTrips != 1 || st.Rejected != 0 {
		t.Fatalf("pass-through took %d round trips", st.RoundTrips)
	}
	var joined strings.Builder
	for _, tok := range toks {
		joined.WriteString(tok.Piece)
		if tok.Green || tok.Watermarked {
			t.Fatal("pass-through marked a piece")
		}
	}
	if got.String() != joined.String() {
		t.Fatalf("emitted %q, pieces %q", got.String(), joined.String())
	}
}

func TestSpeculativeStopAndErrors(t *testing.T) {
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := key(t, 51)
	var got strings.Builder
	_, st, err := Speculative(context.Background(), m, s, "The", StreamOptions{MaxTokens: 300, Temperature: 1, Seed: SeedFromUint64(2), Stop: []string{","}},
		func(x string, _ int) error { got.WriteString(x); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.String(), ",") || st.Stop != "stop" {
		t.Fatalf("stop sequence not honoured: %q (%s)", got.String(), st.Stop)
	}
	// A client that goes away aborts the generation with its error.
	gone := errors.New("client gone")
	_, _, err = Speculative(context.Background(), m, s, "The", StreamOptions{MaxTokens: 100, Temperature: 1, Seed: SeedFromUint64(3)},
		func(string, int) error { return gone })
	if !errors.Is(err, gone) {
		t.Fatalf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Speculative(ctx, m, s, "The", StreamOptions{MaxTokens: 10, Temperature: 1}, func(string, int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestTextOut(t *testing.T) {
	var chunks []string
	o := newTextOut([]string{"STOP"}, func(s string, _ int) error {
		if s != "" {
			chunks = append(chunks, s)
		}
		return nil
	})
	for i, p := range []string{"ab", "S", "T", "x", "\xe2\x82", "\xac", "ST", "OP", "never"} {
		if stop, _ := o.add(p, i+1); stop {
			break
		}
	}
	o.flush(8)
	if got := strings.Join(chunks, "|"); got != "ab|STx|€" {
		t.Fatalf("chunks %q", got)
	}
	if incompleteTail([]string{"a", "\xe2", "\x82"}) != 2 || incompleteTail([]string{"a", "€"}) != 0 {
		t.Fatal("incompleteTail")
	}
	// A stray invalid byte is not "mid-character": no discards, no loop.
	if incompleteTail([]string{"a", "\xff", "b"}) != 0 || incompleteTail([]string{"\xff"}) != 0 {
		t.Fatal("invalid byte treated as a partial character")
	}
}

// TestTextOutNeverSendsDiscardedBytes: a piece holding a whole character
// and the start of the next ("b\xe4") must not be sent, because a restart
// may discard it.
func TestTextOutNeverSendsDiscardedBytes(t *testing.T) {
	var sent strings.Builder
	o := newTextOut(nil, func(s string, _ int) error { sent.WriteString(s); return nil })
	o.add("a", 1)
	o.add("b\xe4", 2)
	if sent.String() != "a" {
		t.Fatalf("sent %q before the character was complete", sent.String())
	}
	o.truncate("a") // the restart drops "b\xe4"
	o.add("c", 2)
	o.flush(2)
	if sent.String() != "ac" {
		t.Fatalf("client got %q, generation is %q", sent.String(), "ac")
	}
	var sent2 strings.Builder
	o2 := newTextOut(nil, func(s string, _ int) error { sent2.WriteString(s); return nil })
	o2.add("x\xffy", 1)
	if sent2.String() != "x\xffy" {
		t.Fatalf("invalid byte held the stream back: %q", sent2.String())
	}
}

var _ llm.Streamer = (*embedded.Model)(nil)
