package generate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"forensics/llm"
	"forensics/watermark"
)

// Options control one generation.
type Options struct {
	MaxTokens int
	// MinTokens suppresses end-of-sequence until this many pieces exist.
	MinTokens   int
	Temperature float64
	// TopK is how many candidates the model is asked for (Ollama reports at
	// most 20 log-probabilities, so the gateway samples among 20).
	TopK int
	Seed uint64
}

// Token is one generated piece.
type Token struct {
	Piece string `json:"piece"`
	// Green is the piece's green bit under the key; Watermarked says whether
	// the tilt was applied at this position (false for the first pieces
	// without full context, or without a key).
	Green       bool `json:"green"`
	Watermarked bool `json:"watermarked"`
	// Stream is the upstream request (0-based) whose draft produced the
	// piece; Speculative sets it, Run leaves it 0.
	Stream int `json:"-"`
	// TV is the probability mass the key moved at this position
	// (watermark.Tilted.TV): 0 where nothing was tilted.
	TV float64 `json:"-"`
}

// Output is a finished generation.
type Output struct {
	Text   string  `json:"text"`
	Tokens []Token `json:"tokens"`
	// Stop is "length" (MaxTokens reached) or "eos" (the model ended it).
	Stop string `json:"stop"`
}

// Run generates up to opts.MaxTokens pieces after prompt. With a nil
// scheme the pieces are sampled from the model's own distribution at the
// temperature (no watermark), with the same random stream.
func Run(ctx context.Context, m llm.Model, s *watermark.Scheme, prompt string, opts Options) (Output, error) {
	if opts.MaxTokens < 0 {
		return Output{}, errors.New("max tokens must not be negative")
	}
	if opts.TopK <= 0 {
		opts.TopK = 20
	}
	var prefix []string
	if prompt != "" {
		var err error
		if prefix, err = m.Tokenizer().Pieces(prompt); err != nil {
			return Output{}, fmt.Errorf("tokenize prompt: %w", err)
		}
	}
	plain := s == nil
	if plain {
		// The sampler needs a scheme for its green bits; an untilted run
		// samples p_T from the same generator instead.
		s = watermark.NewScheme(unusedKey)
	}
	sampler := watermark.NewSampler(s, opts.Seed)
	h := s.Params().ContextWidth
	// The context starts empty at the first generated piece, as in
	// Speculative (the gateway's path) and as detection scores: the first
	// h pieces are not tilted. Seeding it with the prompt tilted pieces
	// that detection then skipped (issue 14).
	ctxFP := watermark.NewContext(h)
	out := Output{Stop: "length"}
	var text strings.Builder
	cands := make([]watermark.Candidate, 0, opts.TopK)
	for len(out.Tokens) < opts.MaxTokens {
		next, err := m.Next(ctx, prefix, opts.TopK)
		if err != nil {
			return out, fmt.Errorf("model %s: %w", m.Name(), err)
		}
		if len(next) == 0 {
			out.Stop = "eos"
			break
		}
		if len(out.Tokens) < opts.MinTokens {
			next = llm.WithoutEOS(next)
		}
		cands = cands[:0]
		for _, c := range next {
			cands = append(cands, watermark.Candidate{Piece: c.Piece, LogProb: c.LogProb, EOS: c.EOS})
		}
		var i int
		var tl watermark.Tilted
		if plain {
			tl = s.Tilt(ctxFP.Fingerprints(), cands, opts.Temperature)
			i = watermark.Draw(tl.P, sampler.Rand())
			tl.Watermarked = false
		} else {
			i, tl = sampler.Sample(ctxFP.Fingerprints(), cands, opts.Temperature)
		}
		if next[i].EOS {
			out.Stop = "eos"
			break
		}
		piece := next[i].Piece
		out.Tokens = append(out.Tokens, Token{Piece: piece, Green: !plain && tl.Green[i], Watermarked: tl.Watermarked})
		text.WriteString(piece)
		prefix = append(prefix, piece)
		ctxFP.Push(watermark.Fingerprint(piece))
	}
	out.Text = text.String()
	return out, nil
}

var zeroTime time.Time

// unusedKey gives unwatermarked runs a scheme to call Tilt on; its green
// bits are never reported.
var unusedKey = func() *watermark.Key {
	k, err := watermark.NewKeyFromSecret("unwatermarked", watermark.DefaultParams(), [32]byte{}, zeroTime)
	if err != nil {
		panic(err)
	}
	return k
}()
