package generate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"forensics/llm"
	"forensics/watermark"
)

// StreamOptions control one generation through a Streamer.
type StreamOptions struct {
	Model       string // the backend's model name
	MaxTokens   int
	MinTokens   int // see llm.StreamRequest.MinTokens
	Temperature float64
	TopK        int
	Seed        uint64
	// Stop ends the text before the first occurrence of any of these.
	Stop []string
}

// Stats describe how a speculative generation went.
type Stats struct {
	Tokens     int // pieces emitted
	RoundTrips int // Stream calls (upstream requests)
	Accepted   int // drafts emitted as drafted
	Rejected   int // drafts replaced from the residual (each ends a stream)
	// Discarded counts pieces dropped at a restart because they ended
	// inside a UTF-8 character (see Speculative).
	Discarded int
	Stop      string // "stop" (end token or stop sequence) or "length"
}

// Speculative generates after prompt through a backend that samples by
// itself (Ollama, or the embedded model's Streamer), so that every emitted
// piece is an exact sample from the watermarked distribution q: each
// drafted piece is accepted with probability min(1, q/p_T), and on
// rejection a replacement is drawn from the residual and the stream is
// restarted after it. With a nil scheme the drafts are passed through
// unchanged (one stream, no watermark).
//
// emit receives the text as it becomes final: whole UTF-8 characters only,
// and nothing that could still turn out to be the start of a stop
// sequence. Its error aborts the generation (a gone client).
//
// The watermark context starts empty at the first generated piece, so the
// first h pieces of every response are unwatermarked; detection skips
// them anyway.
//
// One deviation from exactness: when a restart would have to continue after
// a piece that ends inside a multi-byte character, that text cannot be sent
// back to the backend as a prompt, so the pieces since the last character
// boundary are discarded and re-drawn. Stats.Discarded counts them.
func Speculative(ctx context.Context, s llm.Streamer, scheme *watermark.Scheme, prompt string, opts StreamOptions, emit func(string) error) ([]Token, Stats, error) {
	if opts.TopK <= 0 {
		opts.TopK = 20
	}
	var st Stats
	var toks []Token
	var pieces []string
	var ctxFP *watermark.Context
	var rng = watermark.NewRand(opts.Seed)
	if scheme != nil {
		ctxFP = watermark.NewContext(scheme.Params().ContextWidth)
	}
	out := newTextOut(opts.Stop, emit)
	cands := make([]watermark.Candidate, 0, opts.TopK)
	st.Stop = "length"
	for len(pieces) < opts.MaxTokens {
		st.RoundTrips++
		restart, ended, requests := false, false, 0
		req := llm.StreamRequest{Model: opts.Model, Prompt: prompt, Generated: pieces, Temperature: opts.Temperature, TopK: opts.TopK,
			MaxTokens: opts.MaxTokens - len(pieces), MinTokens: opts.MinTokens, Seed: opts.Seed ^ uint64(st.RoundTrips)<<32}
		err := s.Stream(ctx, req, func(d llm.Draft) error {
			requests = max(requests, d.Request)
			if d.EOS {
				// q(EOS) = p_T(EOS): the end is always accepted.
				ended = true
				return llm.ErrStop
			}
			piece, green, marked := d.Piece, false, false
			if scheme != nil {
				cands = cands[:0]
				drafted := -1
				for i, c := range d.Candidates {
					cands = append(cands, watermark.Candidate{Piece: c.Piece, LogProb: c.LogProb, EOS: c.EOS})
					if drafted < 0 && !c.EOS && c.Piece == d.Piece {
						drafted = i
					}
				}
				if drafted < 0 {
					return fmt.Errorf("backend drafted %q, which is not among its %d candidates (is top_k pinned?)", d.Piece, len(d.Candidates))
				}
				tl := scheme.Tilt(ctxFP.Fingerprints(), cands, opts.Temperature)
				i, ok := tl.Speculate(drafted, rng)
				if ok {
					st.Accepted++
				} else {
					st.Rejected++
					restart = true
				}
				if cands[i].EOS {
					ended = true
					return llm.ErrStop
				}
				piece, green, marked = cands[i].Piece, tl.Green[i], tl.Watermarked
				ctxFP.Push(watermark.Fingerprint(piece))
			}
			pieces = append(pieces, piece)
			toks = append(toks, Token{Piece: piece, Green: green, Watermarked: marked, Stream: st.RoundTrips - 1})
			st.Tokens++
			if stop, err := out.add(piece); err != nil || stop {
				if err == nil {
					ended = true
					err = llm.ErrStop
				}
				return err
			}
			if restart || len(pieces) >= opts.MaxTokens {
				return llm.ErrStop
			}
			return nil
		})
		st.RoundTrips += requests // chunked backends make several requests per Stream
		midChar := errors.Is(err, llm.ErrMidCharacter)
		if err != nil && !errors.Is(err, llm.ErrStop) && !midChar {
			return toks, st, err
		}
		if ended {
			st.Stop = "stop"
			break
		}
		if !restart && !midChar {
			if len(pieces) < opts.MaxTokens {
				// The stream ended without an end token and short of the
				// budget: the backend hit its context limit.
				st.Stop = "length"
				break
			}
			continue
		}
		// A restart sends prompt+pieces as text: cut back to a character
		// boundary if the pieces end inside one.
		if n := incompleteTail(pieces); n > 0 {
			pieces = pieces[:len(pieces)-n]
			toks = toks[:len(toks)-n]
			st.Tokens -= n
			st.Discarded += n
			out.truncate(strings.Join(pieces, ""))
			if ctxFP != nil {
				ctxFP.Reset()
				for _, p := range pieces[max(0, len(pieces)-scheme.Params().ContextWidth):] {
					ctxFP.Push(watermark.Fingerprint(p))
				}
			}
		}
	}
	if err := out.flush(); err != nil {
		return toks, st, err
	}
	return toks, st, nil
}

// incompleteTail returns how many trailing pieces to drop so that the
// joined pieces end on a UTF-8 character boundary (0 if they already do).
func incompleteTail(pieces []string) int {
	text := strings.Join(pieces, "")
	if utf8.ValidString(text) {
		return 0
	}
	for n := 1; n <= len(pieces); n++ {
		if utf8.ValidString(strings.Join(pieces[:len(pieces)-n], "")) {
			return n
		}
	}
	return len(pieces)
}

// textOut turns pieces into emitted text: whole characters only, held back
// while a stop sequence may be starting, cut at a stop sequence.
type textOut struct {
	stop    []string
	emit    func(string) error
	text    string // everything generated (bytes)
	emitted int    // bytes of text already emitted
	stopped bool
}

func newTextOut(stop []string, emit func(string) error) *textOut {
	var s []string
	for _, x := range stop {
		if x != "" {
			s = append(s, x)
		}
	}
	return &textOut{stop: s, emit: emit}
}

// add appends a piece and emits what is final; it reports whether a stop
// sequence was reached.
func (o *textOut) add(piece string) (bool, error) {
	if o.stopped {
		return true, nil
	}
	o.text += piece
	for _, s := range o.stop {
		if i := strings.Index(o.text, s); i >= 0 {
			o.text = o.text[:i]
			o.stopped = true
		}
	}
	safe := len(o.text)
	if !o.stopped {
		// Hold back a suffix that is a prefix of a stop sequence.
		for _, s := range o.stop {
			for k := min(len(s)-1, len(o.text)); k > 0; k-- {
				if strings.HasSuffix(o.text, s[:k]) {
					safe = min(safe, len(o.text)-k)
					break
				}
			}
		}
	}
	// And an incomplete character at the end.
	for safe > o.emitted && !utf8.ValidString(o.text[o.emitted:safe]) {
		safe--
	}
	if safe > o.emitted {
		chunk := o.text[o.emitted:safe]
		o.emitted = safe
		if err := o.emit(chunk); err != nil {
			return o.stopped, err
		}
	}
	return o.stopped, nil
}

// truncate resets the text to a shorter prefix after discarded pieces; the
// cut is never inside emitted text because incomplete characters are held.
func (o *textOut) truncate(text string) {
	o.text = text
	o.emitted = min(o.emitted, len(text))
}

// flush emits whatever is held back at the end (a partial stop sequence is
// just text once generation is over).
func (o *textOut) flush() error {
	if o.emitted < len(o.text) {
		chunk := o.text[o.emitted:]
		o.emitted = len(o.text)
		return o.emit(chunk)
	}
	return nil
}
