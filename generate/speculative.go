package generate

import (
	"context"
	"errors"
	"fmt"
	"strings"

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

// maxDiscards bounds consecutive restarts that drop a partial character, so
// a backend that keeps producing them cannot hold a request forever.
const maxDiscards = 16

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
	discards := 0 // consecutive restarts that had to drop a partial character
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
			if discards++; discards > maxDiscards {
				return toks, st, fmt.Errorf("backend ended %d streams in a row inside a character; giving up", discards)
			}
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
		} else {
			discards = 0
		}
	}
	if err := out.flush(); err != nil {
		return toks, st, err
	}
	return toks, st, nil
}

// incompleteTail returns how many trailing pieces to drop so that the
// joined pieces do not end inside a character (0 if they do not).
func incompleteTail(pieces []string) int {
	text := strings.Join(pieces, "")
	for n := 0; n <= len(pieces); n++ {
		if !llm.EndsMidCharacter(text) {
			return n
		}
		if n < len(pieces) {
			text = text[:len(text)-len(pieces[len(pieces)-1-n])]
		}
	}
	return len(pieces)
}

// textOut turns pieces into emitted text: only text up to the end of the
// last piece that did not end inside a character (so pieces a restart may
// discard were never sent), held back while a stop sequence may be
// starting, and cut at a stop sequence.
type textOut struct {
	stop     []string
	emit     func(string) error
	text     string // everything generated (bytes)
	emitted  int    // bytes of text already emitted
	boundary int    // end of the last piece that ended on a character boundary
	stopped  bool
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
	if !llm.EndsMidCharacter(o.text) {
		o.boundary = len(o.text)
	}
	for _, s := range o.stop {
		if i := strings.Index(o.text, s); i >= 0 {
			o.text = o.text[:i]
			o.stopped = true
			o.boundary = len(o.text)
		}
	}
	safe := o.boundary
	if !o.stopped {
		// Hold back a suffix that is a prefix of a stop sequence.
		for _, s := range o.stop {
			for k := min(len(s)-1, safe); k > 0; k-- {
				if strings.HasSuffix(o.text[:safe], s[:k]) {
					safe -= k
					break
				}
			}
		}
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

// truncate resets the text to a shorter prefix after discarded pieces. The
// discarded pieces came after the last character boundary, so none of
// their bytes were emitted.
func (o *textOut) truncate(text string) {
	o.text = text
	o.boundary = len(text)
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
