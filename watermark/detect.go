package watermark

import (
	"fmt"
	"math"

	"forensics/llm/tokenizer"
	"forensics/stats"
)

// Token states in a Result's mask, one byte per piece.
const (
	MaskGreen    = 'G' // scored, green
	MaskRed      = 'r' // scored, not green
	MaskContext  = '.' // not scored: fewer than h pieces before it
	MaskRepeat   = '=' // not scored: its (context, piece) tuple was scored before
	MaskInPrompt = 'p' // not scored: its tuple occurs in the prompt
)

// Skipped counts the pieces that were not scored, by reason.
type Skipped struct {
	Context  int `json:"context"`   // the first h pieces, whose context is incomplete
	Repeated int `json:"repeated"`  // repeats of an already scored (context, piece) tuple
	InPrompt int `json:"in_prompt"` // tuples that occur in the prompt
}

// Result is the outcome of zero-bit detection under one key.
type Result struct {
	KeyID     string `json:"key_id"`
	Tokenizer string `json:"tokenizer,omitempty"`
	// Tokens is the number of pieces in the text; TokensScored (N) those
	// counted, each distinct (context, piece) tuple once.
	Tokens        int     `json:"tokens"`
	TokensScored  int     `json:"tokens_scored"`
	Green         int     `json:"green"`          // S, green among the scored
	GreenFraction float64 `json:"green_fraction"` // S/N (0 when N = 0)
	Gamma         float64 `json:"gamma"`          // expected green fraction without a watermark
	// Z is (S - γN)/sqrt(γ(1-γ)N), for information; decisions use Log10P.
	Z float64 `json:"z"`
	// Log10P is log10 P(Binomial(N, γ) ≥ S), exact: the chance that text
	// written without this key has at least this many green tuples.
	Log10P  float64 `json:"log10_p"`
	Skipped Skipped `json:"skipped"`
	// Window is the most significant local span, when windows were searched.
	Window *Window `json:"window,omitempty"`
	// DecisionLog10P is what is compared with Alpha: Log10P alone, or with a
	// window search, the Bonferroni combination of Log10P and the window's
	// corrected p (each doubled).
	DecisionLog10P float64 `json:"decision_log10_p"`
	Alpha          float64 `json:"alpha"`
	Watermarked    bool    `json:"watermarked"`
	// Mask has one byte per piece (see the Mask* constants), when asked for.
	Mask string `json:"mask,omitempty"`
	// Payload is reserved for multi-bit decoding (position allocation).
	Payload *Payload `json:"payload,omitempty"`
}

// Payload is the decoded multi-bit message. Reserved: no detector fills it yet.
type Payload struct {
	Bits   string  `json:"bits"`
	Log10P float64 `json:"log10_p"`
}

// Scorer accumulates detection over a stream of pieces in memory bounded by
// the number of distinct tuples. Use one Scorer per document.
type Scorer struct {
	scheme *Scheme
	ctx    Context
	seen   *u64set
	prompt *u64set
	tokens int
	// docStart is tokens at the start of the current document.
	docStart int
	scored   int
	green    int
	skip     Skipped
	mask     []byte
	keep     bool
}

// NewScorer returns a scorer; keepMask records a per-piece mask (one byte a
// piece), needed for windows and for showing which pieces were green.
func (s *Scheme) NewScorer(keepMask bool) *Scorer {
	return s.newScorer(keepMask, 256)
}

// newScorer sizes the dedup set for about sizeHint tuples, so that a text of
// known length is scored without rehashing.
func (s *Scheme) newScorer(keepMask bool, sizeHint int) *Scorer {
	sc := &Scorer{scheme: s, ctx: Context{h: s.params.ContextWidth}, seen: getSet(sizeHint), keep: keepMask}
	if keepMask {
		sc.mask = make([]byte, 0, sizeHint)
	}
	return sc
}

// ExcludePrompt marks every (context, piece) tuple of the prompt so that text
// copied from it is not counted as evidence. Call it before Add.
func (sc *Scorer) ExcludePrompt(pieces []string) {
	if len(pieces) == 0 {
		return
	}
	if sc.prompt == nil {
		sc.prompt = newU64Set(len(pieces))
	}
	ctx := Context{h: sc.scheme.params.ContextWidth}
	for _, p := range pieces {
		fp := Fingerprint(p)
		if ctx.Full() {
			sc.prompt.add(sc.scheme.Value(ctx.Fingerprints(), fp))
		}
		ctx.Push(fp)
	}
}

// StartDocument begins a new text in the same scoring: the context starts
// over, while the dedup set and the prompt exclusions carry over, so a
// tuple repeated across a set of answers is counted once for the set.
func (sc *Scorer) StartDocument() {
	sc.ctx.Reset()
	sc.docStart = sc.tokens
}

// Add scores the next piece.
func (sc *Scorer) Add(piece string) { sc.AddFingerprint(Fingerprint(piece)) }

// AddFingerprint scores the next piece given its Fingerprint.
func (sc *Scorer) AddFingerprint(fp uint64) {
	if sc.ctx.Full() {
		sc.count(sc.scheme.Value(sc.ctx.Fingerprints(), fp), true)
	} else {
		sc.count(0, false)
	}
	sc.ctx.Push(fp)
}

// blockSize is how many pieces AddPieces hashes before it touches the dedup
// set: the set lookups of a block are independent loads the CPU overlaps,
// where interleaving them with hashing would serialise the cache misses.
const blockSize = 256

// AddPieces scores the next pieces; the same as calling Add on each, faster.
func (sc *Scorer) AddPieces(pieces []string) {
	var vals [blockSize]uint64
	for len(pieces) > 0 {
		n := min(blockSize, len(pieces))
		// Pieces before the context fills are the first ones of the stream.
		short := min(n, max(0, sc.scheme.params.ContextWidth-(sc.tokens-sc.docStart)))
		for i, p := range pieces[:n] {
			fp := Fingerprint(p)
			if i >= short {
				vals[i] = sc.scheme.Value(sc.ctx.Fingerprints(), fp)
			}
			sc.ctx.Push(fp)
		}
		if sc.keep || sc.prompt != nil || short > 0 {
			for i := range n {
				sc.count(vals[i], i >= short)
			}
		} else {
			sc.countFast(vals[:n])
		}
		pieces = pieces[n:]
	}
}

// countFast is count for full contexts without a prompt set or mask, with
// branch-free tallies: whether a tuple is green is a coin flip the branch
// predictor cannot learn.
func (sc *Scorer) countFast(vals []uint64) {
	scored, green := 0, 0
	for _, v := range vals {
		isNew := b2i(sc.seen.add(v))
		scored += isNew
		green += isNew & b2i(sc.scheme.IsGreen(v))
	}
	sc.tokens += len(vals)
	sc.scored += scored
	sc.green += green
	sc.skip.Repeated += len(vals) - scored
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// count records one piece with PRF value v; full is false for the pieces
// whose context is incomplete.
func (sc *Scorer) count(v uint64, full bool) {
	sc.tokens++
	var m byte
	switch {
	case !full:
		sc.skip.Context++
		m = MaskContext
	case sc.prompt != nil && sc.prompt.has(v):
		sc.skip.InPrompt++
		m = MaskInPrompt
	case !sc.seen.add(v):
		sc.skip.Repeated++
		m = MaskRepeat
	case sc.scheme.IsGreen(v):
		sc.scored++
		sc.green++
		m = MaskGreen
	default:
		sc.scored++
		m = MaskRed
	}
	if sc.keep {
		sc.mask = append(sc.mask, m)
	}
}

// Result returns the statistics so far, with Alpha and the decision filled
// in for alpha.
func (sc *Scorer) Result(alpha float64) Result {
	g := sc.scheme.params.Gamma
	r := Result{
		KeyID:        sc.scheme.keyID,
		Tokens:       sc.tokens,
		TokensScored: sc.scored,
		Green:        sc.green,
		Gamma:        g,
		Z:            stats.BinomZ(sc.green, sc.scored, g),
		Log10P:       stats.Log10BinomUpperTail(sc.green, sc.scored, g),
		Skipped:      sc.skip,
		Alpha:        alpha,
	}
	if sc.scored > 0 {
		r.GreenFraction = float64(sc.green) / float64(sc.scored)
	}
	if sc.keep {
		r.Mask = string(sc.mask)
	}
	r.DecisionLog10P = r.Log10P
	r.Watermarked = alpha > 0 && r.DecisionLog10P <= math.Log10(alpha)
	return r
}

// Detector runs detection on text: normalise, tokenize, score, and
// optionally search windows for a watermarked passage inside other text.
type Detector struct {
	Scheme    *Scheme
	Tokenizer tokenizer.Tokenizer
	// Normalize applies Normalize to prompt and text before tokenizing.
	Normalize bool
	// Windows are the window sizes, in scored tuples, for localised
	// detection; empty means none.
	Windows []int
	// KeepMask puts the per-piece mask in the result.
	KeepMask bool
	// Alpha is the false-positive rate the decision is taken at.
	Alpha float64
}

// DetectText detects the watermark in text written in answer to prompt
// (which may be empty). It fails only if the tokenizer does.
func (d *Detector) DetectText(prompt, text string) (Result, error) {
	pp, err := d.Pieces(prompt)
	if err != nil {
		return Result{}, fmt.Errorf("tokenize prompt: %w", err)
	}
	pieces, err := d.Pieces(text)
	if err != nil {
		return Result{}, fmt.Errorf("tokenize text: %w", err)
	}
	r := d.DetectPieces(pp, pieces)
	r.Tokenizer = d.Tokenizer.ID()
	return r, nil
}

// Pieces normalises (if the detector does) and tokenizes text the way
// DetectText does, so callers can show the pieces next to a mask.
func (d *Detector) Pieces(text string) ([]string, error) {
	if text == "" {
		return nil, nil
	}
	if d.Normalize {
		text = Normalize(text)
	}
	return d.Tokenizer.Pieces(text)
}

// DetectPieces detects the watermark in a sequence of pieces; promptPieces
// (may be nil) are excluded from scoring.
func (d *Detector) DetectPieces(promptPieces, pieces []string) Result {
	keep := d.KeepMask || len(d.Windows) > 0
	sc := d.Scheme.newScorer(keep, len(pieces))
	sc.ExcludePrompt(promptPieces)
	sc.AddPieces(pieces)
	r := sc.Result(d.Alpha)
	putSet(sc.seen)
	sc.seen = nil
	if len(d.Windows) > 0 {
		w := searchWindows(sc.mask, pieces, d.Windows, d.Scheme.params.Gamma)
		if w != nil {
			r.Window = w
			r.DecisionLog10P = math.Min(stats.BonferroniLog10(r.Log10P, 2), stats.BonferroniLog10(w.Log10PCorrected, 2))
			r.Watermarked = d.Alpha > 0 && r.DecisionLog10P <= math.Log10(d.Alpha)
		}
	}
	if !d.KeepMask {
		r.Mask = ""
	}
	return r
}
