package watermark_test

import (
	"fmt"
	"math"
	"strings"
	"time"

	"forensics/llm/tokenizer"
	"forensics/watermark"
)

// vocabulary stands in for a model's next-piece candidates: 64 words,
// equally likely, each piece with its leading space as a BPE model's are.
var vocabulary = strings.Fields(`the of and to in a is that for it as was with be
	by on not he this are or his from at which but have an they you were her
	she there would their we him been has when who will more no if out so said
	what up its about into than them can only other new some could time these`)

// sampleText draws n pieces from the uniform vocabulary, tilted towards the
// scheme's green lists as the gateway does with a model's distribution;
// with a nil scheme, untilted.
func sampleText(s *watermark.Scheme, seed uint64, n int) string {
	cands := make([]watermark.Candidate, len(vocabulary))
	for i, w := range vocabulary {
		cands[i] = watermark.Candidate{Piece: " " + w, LogProb: -math.Log(float64(len(vocabulary)))}
	}
	var b strings.Builder
	if s == nil {
		rng := watermark.NewRand(seed)
		for range n {
			b.WriteString(cands[rng.IntN(len(cands))].Piece)
		}
		return b.String()
	}
	sampler := watermark.NewSampler(s, seed)
	ctx := watermark.NewContext(s.Params().ContextWidth)
	for range n {
		i, _ := sampler.Sample(ctx.Fingerprints(), cands, 1)
		b.WriteString(cands[i].Piece)
		ctx.Push(watermark.Fingerprint(cands[i].Piece))
	}
	return b.String()
}

// A key (what `forensics keygen` writes), text sampled under it, and
// detection under that key and under another. NewKey draws the secret from
// the operating system, so the p-values differ from run to run; the
// verdicts do not, short of a false positive under the other key (at most
// α = 10⁻⁶ a run).
func Example() {
	ours, err := watermark.NewKey("ours", watermark.DefaultParams())
	if err != nil {
		fmt.Println(err)
		return
	}
	other, err := watermark.NewKey("other", watermark.DefaultParams())
	if err != nil {
		fmt.Println(err)
		return
	}
	text := sampleText(watermark.NewScheme(ours), 1, 200)

	for _, k := range []*watermark.Key{ours, other} {
		d := watermark.Detector{Scheme: watermark.NewScheme(k), Tokenizer: tokenizer.Words{}, Normalize: true, Alpha: 1e-6}
		r, err := d.DetectText("", text)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("key %s: watermarked %v\n", k.ID, r.Watermarked)
	}
	// Output:
	// key ours: watermarked true
	// key other: watermarked false
}

// With a key built from a known secret (as the published test vectors are)
// the whole result is reproducible: N distinct (context, piece) tuples
// scored, S of them green, and the exact binomial tail P(Binomial(N, γ) ≥ S).
func ExampleDetector_DetectText() {
	var secret [32]byte
	copy(secret[:], "an example secret, never use one")
	key, err := watermark.NewKeyFromSecret("example", watermark.DefaultParams(), secret, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	scheme := watermark.NewScheme(key)
	d := watermark.Detector{Scheme: scheme, Tokenizer: tokenizer.Words{}, Normalize: true, Alpha: 1e-6}

	// Text sampled under the key, then the same amount sampled without it.
	for _, text := range []string{sampleText(scheme, 7, 200), sampleText(nil, 7, 200)} {
		r, err := d.DetectText("", text)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d pieces, %d scored, %d green, log10 p = %.1f, watermarked %v\n",
			r.Tokens, r.TokensScored, r.Green, r.Log10P, r.Watermarked)
	}
	// Output:
	// 200 pieces, 198 scored, 137 green, log10 p = -38.1, watermarked true
	// 200 pieces, 198 scored, 55 green, log10 p = -0.7, watermarked false
}
