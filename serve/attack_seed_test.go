package serve

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"forensics/llm"
	"forensics/llm/embedded"
	"forensics/stats"
	"forensics/watermark"
)

// greenLabel is an attacker's claim about one (context, piece) pair.
type greenLabel struct {
	ctx   []string // the h pieces before
	piece string
	green bool
}

// replayDrafts is the seed attack of issue 13: knowing the public model
// and assuming the gateway seeds its upstream drafts with the client's seed
// (as it once did: seed ^ round<<32 for the round-th stream), the attacker
// replays each stream locally and aligns it with the answer. Where the
// answer leaves the local draft, a draft was rejected: the draft is
// labelled red and the piece the answer has instead green.
func replayDrafts(m *embedded.Model, prompt, text string, seed uint64, h int) []greenLabel {
	var labels []greenLabel
	var generated []string
	pos := 0
	last := func() []string { return append([]string(nil), generated[max(0, len(generated)-h):]...) }
	for round := 1; pos < len(text) && round < 10000; round++ {
		progressed := false
		m.Stream(context.Background(), llm.StreamRequest{Prompt: prompt, Generated: generated, Temperature: 1, TopK: 20,
			MaxTokens: 1 << 20, MinTokens: 100, Seed: seed ^ uint64(round)<<32}, func(d llm.Draft) error {
			if d.EOS || pos >= len(text) {
				return llm.ErrStop
			}
			if d.Piece != "" && strings.HasPrefix(text[pos:], d.Piece) {
				generated = append(generated, d.Piece)
				pos += len(d.Piece)
				progressed = true
				return nil
			}
			repl := ""
			for _, c := range d.Candidates {
				if !c.EOS && len(c.Piece) > len(repl) && strings.HasPrefix(text[pos:], c.Piece) {
					repl = c.Piece
				}
			}
			if repl == "" {
				return errors.New("lost the alignment")
			}
			if len(generated) >= h {
				labels = append(labels, greenLabel{ctx: last(), piece: d.Piece}, greenLabel{ctx: last(), piece: repl, green: true})
			}
			generated = append(generated, repl)
			pos += len(repl)
			progressed = true
			return llm.ErrStop // the gateway restarts after a rejection
		})
		if !progressed {
			break
		}
	}
	return labels
}

// labelAccuracy scores labels against the key.
func labelAccuracy(s *watermark.Scheme, labels []greenLabel) (right int) {
	for _, l := range labels {
		fps := make([]uint64, len(l.ctx))
		for i, p := range l.ctx {
			fps[i] = watermark.Fingerprint(p)
		}
		if s.Green(fps, l.piece) == l.green {
			right++
		}
	}
	return right
}

// TestAttackSeedReplay runs the seed attack against the gateway: 60
// watermarked answers of 100 pieces at temperature 1, each requested with
// its own client seed, replayed with that seed and, as a control, with an
// unrelated seed. If the client's seed reached the gateway's randomness,
// the replay with it would label green and red far better than the
// control (the issue measured 99% correct labels); with keyed randomness
// both do equally well, at the rate the text alone gives (emitted pieces
// lean green because the watermark favours them). The test requires the
// 95% interval of the difference to hold 0 and to lie within ±5 points.
func TestAttackSeedReplay(t *testing.T) {
	key := testKey(t, 1)
	g := startClockedGateway(t, key, "", nil) // seeded answers the same every run
	m, _ := embedded.Load()
	s := watermark.NewScheme(key)
	const requests = 60
	prompts := []string{"It was in July, 1805, and the", "The letter said that", "In the morning the soldiers", "She turned to the window and"}
	var mu sync.Mutex
	var withSeed, control []greenLabel
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := 0; i < requests; i++ {
		prompt := prompts[i%len(prompts)]
		seed := uint64(1000 + i)
		resp := g.post("/api/generate", devKey, map[string]any{"model": "embedded", "prompt": prompt, "raw": true, "stream": false,
			"options": map[string]any{"num_predict": 100, "min_tokens": 100, "seed": seed, "temperature": 1.0}})
		text := responseText(t, "/api/generate", false, resp)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			a := replayDrafts(m, prompt, text, seed, 1)
			b := replayDrafts(m, prompt, text, seed^0x5deece66d, 1)
			mu.Lock()
			withSeed, control = append(withSeed, a...), append(control, b...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	k1, k2 := labelAccuracy(s, withSeed), labelAccuracy(s, control)
	d, lo, hi, err := stats.NewcombeDiff(k1, len(withSeed), k2, len(control), 0.95)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("labels from replaying the client's seed: %d/%d correct (%.3f); with an unrelated seed: %d/%d (%.3f); difference %.3f, 95%% CI [%.3f, %.3f]",
		k1, len(withSeed), float64(k1)/float64(len(withSeed)), k2, len(control), float64(k2)/float64(len(control)), d, lo, hi)
	if lo > 0 || hi < 0 || lo < -0.05 || hi > 0.05 {
		t.Errorf("the client's seed tells the attacker something: difference %.3f [%.3f, %.3f]", d, lo, hi)
	}
	if len(withSeed) < 1000 {
		t.Errorf("only %d labels: the attack was not exercised", len(withSeed))
	}
}

// TestSeedKeepsItsMeaning: the same account asking the same thing with the
// same seed gets the same answer; another seed, another account or no
// seed gets another.
func TestSeedKeepsItsMeaning(t *testing.T) {
	g := startClockedGateway(t, testKey(t, 1), "", nil) // one window: seeds repeat
	ask := func(key string, seed any) string {
		opts := map[string]any{"num_predict": 40, "min_tokens": 40, "temperature": 1.0}
		if seed != nil {
			opts["seed"] = seed
		}
		return responseText(t, "/api/generate", false, g.post("/api/generate", key, map[string]any{"model": "embedded", "prompt": "The letter said", "stream": false, "options": opts}))
	}
	a, b := ask(devKey, 7), ask(devKey, 7)
	if a != b {
		t.Fatalf("same seed, different answers:\n%q\n%q", a, b)
	}
	if c := ask(devKey, 8); c == a {
		t.Error("another seed gave the same answer")
	}
	if c := ask(dev2Key, 7); c == a {
		t.Error("another account with the same seed gave the same answer")
	}
	if c, d := ask(devKey, nil), ask(devKey, nil); c == d {
		t.Error("two requests without a seed gave the same answer")
	}
}
