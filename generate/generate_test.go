package generate

import (
	"context"
	"errors"
	"testing"
	"time"

	"forensics/llm/toy"
	"forensics/watermark"
)

func key(t *testing.T, b byte) *watermark.Scheme {
	t.Helper()
	var secret [32]byte
	secret[0] = b
	k, err := watermark.NewKeyFromSecret("gen-test", watermark.DefaultParams(), secret, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return watermark.NewScheme(k)
}

func TestRunWatermarksAndDetects(t *testing.T) {
	m := toy.New(5000)
	s := key(t, 1)
	d := &watermark.Detector{Scheme: s, Tokenizer: m.Tokenizer(), Normalize: true, Alpha: 1e-6}
	opts := Options{MaxTokens: 200, Temperature: 1, Seed: 9}
	wm, err := Run(context.Background(), m, s, "Tell me a story.", opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(wm.Tokens) != 200 || wm.Stop != "length" {
		t.Fatalf("%d tokens, stop %q", len(wm.Tokens), wm.Stop)
	}
	greens := 0
	for _, tok := range wm.Tokens {
		if tok.Green {
			greens++
		}
	}
	if r, _ := d.DetectText("Tell me a story.", wm.Text); !r.Watermarked {
		t.Fatalf("watermarked generation not detected: %+v", r)
	}
	plain, err := Run(context.Background(), m, nil, "Tell me a story.", opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range plain.Tokens {
		if tok.Green || tok.Watermarked {
			t.Fatal("unwatermarked run reports green pieces")
		}
	}
	if r, _ := d.DetectText("", plain.Text); r.Watermarked {
		t.Fatalf("unwatermarked generation detected: %+v", r)
	}
	again, _ := Run(context.Background(), m, s, "Tell me a story.", opts)
	if again.Text != wm.Text {
		t.Fatal("same seed, different text")
	}
	t.Logf("200 tokens: %d green reported by the sampler", greens)
	// As in Speculative and as detection scores: the first h pieces,
	// whose context would reach into the prompt, are not tilted.
	h := s.Params().ContextWidth
	for i, tok := range wm.Tokens {
		if tok.Watermarked != (i >= h) {
			t.Fatalf("piece %d (h = %d): watermarked %v", i, h, tok.Watermarked)
		}
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, toy.New(100), key(t, 2), "", Options{MaxTokens: 5, Temperature: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if _, err := Run(context.Background(), toy.New(100), nil, "", Options{MaxTokens: -1}); err == nil {
		t.Fatal("negative max tokens accepted")
	}
}
