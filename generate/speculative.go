package generate

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"forensics/llm"
	"forensics/watermark"
)

// StreamOptions control one generation through a Streamer.
type StreamOptions struct {
	Model string // the backend's model name
	// PromptPieces, when set, are the prompt's pieces, for backends that
	// tokenize (see llm.StreamRequest.PromptPieces).
	PromptPieces []string
	MaxTokens    int
	MinTokens    int // see llm.StreamRequest.MinTokens
	Temperature  float64
	TopK         int
	// Seed is the generation's secret randomness: the acceptance draws and
	// every upstream request's sampling seed derive from it. A gateway
	// must derive it from the watermark key (watermark.Scheme.SamplingSeed),
	// never take it from the client: with a known seed and the public
	// model, a client could replay the drafts and read every rejection.
	Seed [32]byte
	// Stop ends the text before the first occurrence of any of these.
	Stop []string
	// Chunk is llm.StreamRequest.Chunk.
	Chunk int
}

// SeedFromUint64 expands a public 64-bit seed, for tests, benchmarks and
// local tools whose user holds the key anyway. Never for serving.
func SeedFromUint64(x uint64) [32]byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], x)
	return sha256.Sum256(append([]byte("forensics/public-seed/v1\n"), b[:]...))
}

// acceptRand is the generator of a generation's acceptance draws.
func acceptRand(seed [32]byte) *rand.Rand {
	return rand.New(rand.NewChaCha8(sha256.Sum256(append([]byte("forensics/accept/v1\n"), seed[:]...))))
}

// draftSeed is the sampling seed sent upstream with request round.
func draftSeed(seed [32]byte, round int) uint64 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(round))
	d := sha256.Sum256(append(append([]byte("forensics/draft/v1\n"), seed[:]...), b[:]...))
	return binary.LittleEndian.Uint64(d[:8])
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
// emit is called once for every piece generated, with the text that
// became final with it (often the piece itself; empty while text is held
// back) and the number of pieces generated so far. Final text is whole
// UTF-8 characters only, and nothing that could still turn out to be the
// start of a stop sequence. Its error aborts the generation (a gone
// client).
//
// The watermark context starts empty at the first generated piece, so the
// first h pieces of every response are unwatermarked; detection skips
// them anyway.
//
// One deviation from exactness: when a restart would have to continue after
// a piece that ends inside a multi-byte character, that text cannot be sent
// back to the backend as a prompt, so the pieces since the last character
// boundary are discarded and re-drawn. Stats.Discarded counts them.
func Speculative(ctx context.Context, s llm.Streamer, scheme *watermark.Scheme, prompt string, opts StreamOptions, emit func(chunk string, pieces int) error) ([]Token, Stats, error) {
	if opts.TopK <= 0 {
		opts.TopK = 20
	}
	sp := newSpeculation(scheme, opts, emit)
	discards := 0 // consecutive restarts that had to drop a partial character
	for len(sp.pieces) < opts.MaxTokens {
		err := sp.stream(ctx, s, prompt)
		midChar := errors.Is(err, llm.ErrMidCharacter)
		if err != nil && !errors.Is(err, llm.ErrStop) && !midChar {
			return sp.toks, sp.st, err
		}
		if sp.ended {
			sp.st.Stop = "stop"
			break
		}
		if !sp.restart && !midChar {
			if len(sp.pieces) < opts.MaxTokens {
				// The stream ended without an end token and short of the
				// budget: the backend hit its context limit.
				sp.st.Stop = "length"
				break
			}
			continue
		}
		// A restart sends prompt+pieces as text: cut back to a character
		// boundary if the pieces end inside one.
		if n := incompleteTail(sp.pieces); n > 0 {
			if discards++; discards > maxDiscards {
				return sp.toks, sp.st, fmt.Errorf("backend ended %d streams in a row inside a character; giving up", discards)
			}
			sp.discard(n)
		} else {
			discards = 0
		}
	}
	if err := sp.out.flush(len(sp.pieces)); err != nil {
		return sp.toks, sp.st, err
	}
	return sp.toks, sp.st, nil
}

// speculation is one Speculative generation: what it has emitted so far
// and how the current stream is going.
type speculation struct {
	scheme *watermark.Scheme
	opts   StreamOptions
	rng    *rand.Rand         // the acceptance draws
	ctxFP  *watermark.Context // the watermark context (nil without a scheme)
	out    *textOut
	cands  []watermark.Candidate // reused for each draft
	st     Stats
	toks   []Token
	pieces []string
	// restart and ended say how the current stream stopped: a draft was
	// rejected (its replacement emitted), or the generation is over.
	restart, ended bool
}

func newSpeculation(scheme *watermark.Scheme, opts StreamOptions, emit func(string, int) error) *speculation {
	sp := &speculation{scheme: scheme, opts: opts, rng: acceptRand(opts.Seed), out: newTextOut(opts.Stop, emit),
		cands: make([]watermark.Candidate, 0, opts.TopK), st: Stats{Stop: "length"}}
	if scheme != nil {
		sp.ctxFP = watermark.NewContext(scheme.Params().ContextWidth)
	}
	return sp
}

// stream makes one Stream call continuing after the pieces so far; it
// returns the call's error (llm.ErrStop when a draft ended it).
func (sp *speculation) stream(ctx context.Context, s llm.Streamer, prompt string) error {
	sp.st.RoundTrips++
	sp.restart, sp.ended = false, false
	requests := 0
	o := sp.opts
	req := llm.StreamRequest{Model: o.Model, Prompt: prompt, PromptPieces: o.PromptPieces, Generated: sp.pieces,
		Temperature: o.Temperature, TopK: o.TopK, MaxTokens: o.MaxTokens - len(sp.pieces), MinTokens: o.MinTokens,
		Seed: draftSeed(o.Seed, sp.st.RoundTrips), Chunk: o.Chunk}
	err := s.Stream(ctx, req, func(d llm.Draft) error {
		requests = max(requests, d.Request)
		return sp.draft(d)
	})
	sp.st.RoundTrips += requests // chunked backends make several requests per Stream
	return err
}

// draft takes one drafted piece: accepts it or its replacement, emits
// it, and says (llm.ErrStop) when the stream must end.
func (sp *speculation) draft(d llm.Draft) error {
	if d.EOS {
		// q(EOS) = p_T(EOS): the end is always accepted.
		sp.ended = true
		return llm.ErrStop
	}
	tok := Token{Piece: d.Piece}
	if sp.scheme != nil {
		var eos bool
		var err error
		if tok, eos, err = sp.speculate(d); err != nil {
			return err
		}
		if eos {
			sp.ended = true
			return llm.ErrStop
		}
	}
	tok.Stream = sp.st.RoundTrips - 1
	sp.pieces = append(sp.pieces, tok.Piece)
	sp.toks = append(sp.toks, tok)
	sp.st.Tokens++
	if stop, err := sp.out.add(tok.Piece, len(sp.pieces)); err != nil || stop {
		if err == nil {
			sp.ended = true
			err = llm.ErrStop
		}
		return err
	}
	if sp.restart || len(sp.pieces) >= sp.opts.MaxTokens {
		return llm.ErrStop
	}
	return nil
}

// speculate accepts the drafted piece with probability min(1, q/p_T) or
// draws its replacement from the residual (and marks the stream for a
// restart); eos reports that the end token was drawn.
func (sp *speculation) speculate(d llm.Draft) (tok Token, eos bool, err error) {
	sp.cands = sp.cands[:0]
	drafted := -1
	for i, c := range d.Candidates {
		sp.cands = append(sp.cands, watermark.Candidate{Piece: c.Piece, LogProb: c.LogProb, EOS: c.EOS})
		if drafted < 0 && !c.EOS && c.Piece == d.Piece {
			drafted = i
		}
	}
	if drafted < 0 {
		return Token{}, false, fmt.Errorf("backend drafted %q, which is not among its %d candidates (is top_k pinned?)", d.Piece, len(d.Candidates))
	}
	tl := sp.scheme.Tilt(sp.ctxFP.Fingerprints(), sp.cands, sp.opts.Temperature)
	i, ok := tl.Speculate(drafted, sp.rng)
	if ok {
		sp.st.Accepted++
	} else {
		sp.st.Rejected++
		sp.restart = true
	}
	if sp.cands[i].EOS {
		return Token{}, true, nil
	}
	piece := sp.cands[i].Piece
	sp.ctxFP.Push(watermark.Fingerprint(piece))
	return Token{Piece: piece, Green: tl.Green[i], Watermarked: tl.Watermarked, TV: tl.TV}, false, nil
}

// discard drops the last n pieces (they end inside a character) before a
// restart, and rebuilds the watermark context from the pieces kept.
func (sp *speculation) discard(n int) {
	sp.pieces = sp.pieces[:len(sp.pieces)-n]
	sp.toks = sp.toks[:len(sp.toks)-n]
	sp.st.Tokens -= n
	sp.st.Discarded += n
	sp.out.truncate(strings.Join(sp.pieces, ""))
	if sp.ctxFP != nil {
		sp.ctxFP.Reset()
		for _, p := range sp.pieces[max(0, len(sp.pieces)-sp.scheme.Params().ContextWidth):] {
			sp.ctxFP.Push(watermark.Fingerprint(p))
		}
	}
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
	maxStop  int // longest stop sequence, in bytes
	emit     func(string, int) error
	text     string // everything generated (bytes)
	emitted  int    // bytes of text already emitted
	boundary int    // end of the last piece that ended on a character boundary
	stopped  bool
}

func newTextOut(stop []string, emit func(string, int) error) *textOut {
	o := &textOut{emit: emit}
	for _, x := range stop {
		if x != "" {
			o.stop = append(o.stop, x)
			o.maxStop = max(o.maxStop, len(x))
		}
	}
	return o
}

// add appends the n-th piece and emits what is final; it reports whether
// a stop sequence was reached. A stop sequence can only end in the new
// piece, so only the text that a match ending there could cover is
// searched: the cost per piece does not grow with the text.
func (o *textOut) add(piece string, n int) (bool, error) {
	if o.stopped {
		return true, nil
	}
	from := max(0, len(o.text)-o.maxStop+1)
	o.text += piece
	if !llm.EndsMidCharacter(o.text) {
		o.boundary = len(o.text)
	}
	cut := -1
	for _, s := range o.stop {
		if i := strings.Index(o.text[from:], s); i >= 0 && (cut < 0 || from+i < cut) {
			cut = from + i
		}
	}
	if cut >= 0 {
		o.text = o.text[:cut]
		o.stopped = true
		o.boundary = cut
	}
	safe := o.boundary
	if !o.stopped {
		// Hold back a suffix that is a prefix of a stop sequence.
		for _, s := range o.stop {
			for k := min(len(s)-1, safe); k > 0; k-- {
				if o.text[safe-1] == s[k-1] && strings.HasSuffix(o.text[:safe], s[:k]) {
					safe -= k
					break
				}
			}
		}
	}
	chunk := ""
	if safe > o.emitted {
		chunk = o.text[o.emitted:safe]
		o.emitted = safe
	}
	if err := o.emit(chunk, n); err != nil {
		return o.stopped, err
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
func (o *textOut) flush(n int) error {
	if o.emitted < len(o.text) {
		chunk := o.text[o.emitted:]
		o.emitted = len(o.text)
		return o.emit(chunk, n)
	}
	return nil
}
