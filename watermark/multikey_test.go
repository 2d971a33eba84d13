package watermark

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
)

// scoreWithScorer is the per-key path the probe takes: one Scorer, every
// prompt excluded, each document started on its own.
func scoreWithScorer(s *Scheme, promptPieces, docs [][]string, alpha float64) Result {
	sc := s.NewScorer(false)
	for _, pp := range promptPieces {
		sc.ExcludePrompt(pp)
	}
	for _, d := range docs {
		sc.StartDocument()
		sc.AddPieces(d)
	}
	return sc.Result(alpha)
}

func split(docs ...string) [][]string {
	var out [][]string
	for _, d := range docs {
		out = append(out, strings.Fields(d))
	}
	return out
}

func TestTuplesAccounting(t *testing.T) {
	tests := []struct {
		name          string
		h             int
		prompts, docs [][]string
		tokens, n     int
		skip          Skipped
	}{
		{"empty", 2, nil, nil, 0, 0, Skipped{}},
		{"short docs only", 2, nil, split("a b", "c", ""), 3, 0, Skipped{Context: 3}},
		{"h=0 repeats", 0, nil, split("a b a a c"), 5, 3, Skipped{Repeated: 2}},
		{"repeat across docs", 1, nil, split("a b c", "a b d"), 6, 3, Skipped{Context: 2, Repeated: 1}},
		{"prompt copied", 1, split("x a b"), split("a b c", "a b"), 5, 1, Skipped{Context: 2, InPrompt: 2}},
		{"prompt tuple repeated is InPrompt each time", 1, split("a b"), split("a b a b"), 4, 1, Skipped{Context: 1, InPrompt: 2}},
		{"prompt shorter than h excludes nothing", 2, split("a b"), split("a b c"), 3, 1, Skipped{Context: 2}},
		{"h=4", 4, split("q r s t u v"), split("q r s t u v w", "1 2 3 4 5 6 1 2 3 4 5"), 18, 7, Skipped{Context: 8, InPrompt: 2, Repeated: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tu := NewTuples(tt.h, tt.prompts, tt.docs)
			tokens, skip := tu.Stats()
			if tokens != tt.tokens || tu.Len() != tt.n || skip != tt.skip {
				t.Errorf("tokens %d, len %d, skipped %+v; want %d, %d, %+v", tokens, tu.Len(), skip, tt.tokens, tt.n, tt.skip)
			}
			for kb := range byte(5) {
				s := NewScheme(testKey(tt.h, 10+kb))
				if got, want := tu.Result(s, 0.01), scoreWithScorer(s, tt.prompts, tt.docs, 0.01); got != want {
					t.Errorf("key %d: Tuples gives %+v, Scorer %+v", kb, got, want)
				}
			}
		})
	}
}

// randomSet draws prompts and documents from a small vocabulary, so that
// repeated tuples, prompts overlapping documents and short documents are
// all common.
func randomSet(rng *rand.Rand) (prompts, docs [][]string) {
	vocab := make([]string, 2+rng.IntN(12))
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%d", i)
	}
	draw := func(maxLen int) []string {
		d := make([]string, rng.IntN(maxLen+1))
		for i := range d {
			d[i] = vocab[rng.IntN(len(vocab))]
		}
		return d
	}
	for range rng.IntN(4) {
		prompts = append(prompts, draw(12))
	}
	for range rng.IntN(8) {
		d := draw(40)
		if len(prompts) > 0 && rng.IntN(3) == 0 {
			d = append(d, prompts[rng.IntN(len(prompts))]...) // an answer that quotes a prompt
		}
		docs = append(docs, d)
	}
	return prompts, docs
}

func TestTuplesMatchScorerRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 1))
	const sets, keys = 300, 6
	for _, h := range []int{0, 1, 2, 4} {
		schemes := make([]*Scheme, keys)
		for k := range schemes {
			schemes[k] = NewScheme(testKey(h, byte(40+k)))
		}
		for i := range sets {
			prompts, docs := randomSet(rng)
			tu := NewTuples(h, prompts, docs)
			green, err := ScoreKeys(context.Background(), tu, schemes, 3)
			if err != nil {
				t.Fatal(err)
			}
			for k, s := range schemes {
				want := scoreWithScorer(s, prompts, docs, 1e-3)
				if got := tu.Result(s, 1e-3); got != want {
					t.Fatalf("h=%d set %d key %d: Tuples gives %+v, Scorer %+v\nprompts %q\ndocs %q", h, i, k, got, want, prompts, docs)
				}
				if green[k] != want.Green {
					t.Fatalf("h=%d set %d key %d: ScoreKeys counts %d green, Scorer %d", h, i, k, green[k], want.Green)
				}
			}
		}
	}
}

// TestTuplesMatchScorerText: the same on human text, where most tuples
// are distinct and a few repeat.
func TestTuplesMatchScorerText(t *testing.T) {
	docs, _ := humanDocs(t, 60, 50)
	prompts := docs[50:]
	docs = append(docs[:50:50], prompts[0][10:30]) // one answer quotes a prompt
	for _, h := range []int{0, 1, 2, 4} {
		tu := NewTuples(h, prompts, docs)
		for kb := range byte(4) {
			s := NewScheme(testKey(h, 100+kb))
			if got, want := tu.Result(s, 1e-6), scoreWithScorer(s, prompts, docs, 1e-6); got != want {
				t.Errorf("h=%d key %d: Tuples gives %+v, Scorer %+v", h, kb, got, want)
			}
		}
	}
}

func TestScoreKeysContextWidthMismatch(t *testing.T) {
	tu := NewTuples(2, nil, split("a b c d"))
	schemes := []*Scheme{NewScheme(testKey(2, 1)), NewScheme(testKey(1, 2))}
	if _, err := ScoreKeys(context.Background(), tu, schemes, 1); err == nil || !strings.Contains(err.Error(), "context width 1") {
		t.Errorf("ScoreKeys with an h=1 key on h=2 tuples: err = %v, want a context width error", err)
	}
	if _, err := ScoreKeys(context.Background(), tu, []*Scheme{nil}, 1); err == nil {
		t.Error("ScoreKeys with a nil scheme: no error")
	}
	for name, f := range map[string]func(){
		"Green":  func() { tu.Green(schemes[1]) },
		"Result": func() { tu.Result(schemes[1], 0.01) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with an h=1 key on h=2 tuples did not panic", name)
				}
			}()
			f()
		})
	}
}

// countdownCtx reports itself cancelled from its n-th Err call on, so a
// test can cancel between two given keys.
type countdownCtx struct {
	context.Context
	left atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestScoreKeysCancelled(t *testing.T) {
	tu := NewTuples(1, nil, split("a b c d e f g"))
	schemes := make([]*Scheme, 20)
	for i := range schemes {
		schemes[i] = NewScheme(testKey(1, byte(i)))
	}
	for _, n := range []int64{0, 1, 7, 30} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ctx := &countdownCtx{Context: context.Background()}
			ctx.left.Store(n)
			green, err := ScoreKeys(ctx, tu, schemes, 1)
			if !errors.Is(err, context.Canceled) || green != nil {
				t.Errorf("cancelled after %d checks: green %v, err %v; want nil, context.Canceled", n, green, err)
			}
		})
	}
	green, err := ScoreKeys(context.Background(), tu, schemes, 0)
	if err != nil || len(green) != len(schemes) {
		t.Fatalf("not cancelled: %v, %v", green, err)
	}
	for i, s := range schemes {
		if green[i] != tu.Green(s) {
			t.Errorf("key %d: ScoreKeys %d, Green %d", i, green[i], tu.Green(s))
		}
	}
}

func TestNewTuplesContextWidthRange(t *testing.T) {
	for _, h := range []int{-1, MaxContextWidth + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewTuples(%d) did not panic", h)
				}
			}()
			NewTuples(h, nil, nil)
		}()
	}
}
