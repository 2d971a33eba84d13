package watermark

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"

	"golang.org/x/sync/errgroup"

	"forensics/stats"
)

// Scoring one set of documents under many keys (the master key and every
// case key of a ledger). Fingerprinting, deduplication and prompt exclusion
// do not depend on the key, so they are done once, by NewTuples; what is
// left per key is one PRF evaluation and one comparison per distinct tuple.
//
// Nothing of the PRF can be hoisted out of the key loop: SipHash mixes the
// key into its state before the first message word, so no part of the
// computation is shared between keys.

// Tuples are the distinct scorable (context, piece) tuples of a set of
// documents, after leaving out every tuple that occurs in the prompts, for
// one context width h. Built once; scored under any number of keys of that
// width. A Tuples is immutable and safe for concurrent use.
//
// A Scorer deduplicates by PRF value, Tuples by the fingerprints
// themselves; the two differ only when two distinct tuples have the same
// 64-bit PRF value under the key (probability about n²/2⁶⁵ for n tuples),
// and then Tuples is the exact one.
type Tuples struct {
	h int
	// words holds h+1 fingerprints per tuple, the context's oldest first
	// and the piece's last, one tuple after the other.
	words  []uint64
	tokens int
	skip   Skipped
}

// NewTuples collects the tuples of docs for context width h, with the
// accounting of a Scorer that is given every promptPieces to ExcludePrompt
// and then each doc after StartDocument: each document starts its own
// context, a tuple counts once across all documents, and a tuple that
// occurs in any prompt is not counted. It panics if h is outside
// 0..MaxContextWidth.
func NewTuples(h int, promptPieces, docs [][]string) *Tuples {
	if h < 0 || h > MaxContextWidth {
		panic(fmt.Sprintf("watermark: context width %d is outside 0..%d", h, MaxContextWidth))
	}
	n := 0
	for _, d := range promptPieces {
		n += len(d)
	}
	for _, d := range docs {
		n += len(d)
	}
	b := newTupleTable(h, n)
	for _, pp := range promptPieces {
		b.addPrompt(pp)
	}
	b.nPrompt = b.n
	t := &Tuples{h: h}
	for _, d := range docs {
		b.addDoc(t, d)
	}
	t.words = slices.Clone(b.words[b.nPrompt*(h+1):])
	return t
}

// Len is the number of distinct scorable tuples: TokensScored under any key.
func (t *Tuples) Len() int { return len(t.words) / (t.h + 1) }

// ContextWidth is the h the tuples were built for.
func (t *Tuples) ContextWidth() int { return t.h }

// Stats returns the number of pieces in the documents and the pieces not
// scored, by reason, as a Scorer's Result counts them.
func (t *Tuples) Stats() (tokens int, skipped Skipped) { return t.tokens, t.skip }

// Green returns the number of green tuples under s. It panics if s's
// context width is not the tuples'.
func (t *Tuples) Green(s *Scheme) int {
	if err := t.check(s); err != nil {
		panic("watermark: " + err.Error())
	}
	return t.green(s)
}

// Result is what a Scorer fed the same prompts and documents returns under
// s, with the decision taken at alpha. It panics if s's context width is
// not the tuples'.
func (t *Tuples) Result(s *Scheme, alpha float64) Result {
	return t.result(s, t.Green(s), alpha)
}

// result fills a Result from a green count, as Scorer.Result does.
func (t *Tuples) result(s *Scheme, green int, alpha float64) Result {
	g, scored := s.params.Gamma, t.Len()
	r := Result{
		KeyID:        s.keyID,
		Tokens:       t.tokens,
		TokensScored: scored,
		Green:        green,
		Gamma:        g,
		Z:            stats.BinomZ(green, scored, g),
		Log10P:       stats.Log10BinomUpperTail(green, scored, g),
		Skipped:      t.skip,
		Alpha:        alpha,
	}
	if scored > 0 {
		r.GreenFraction = float64(green) / float64(scored)
	}
	r.DecisionLog10P = r.Log10P
	r.Watermarked = alpha > 0 && r.DecisionLog10P <= math.Log10(alpha)
	return r
}

func (t *Tuples) check(s *Scheme) error {
	if s == nil {
		return fmt.Errorf("no scheme")
	}
	if s.params.ContextWidth != t.h {
		return fmt.Errorf("key %s has context width %d, the tuples were collected for %d", s.keyID, s.params.ContextWidth, t.h)
	}
	return nil
}

// green is the per-key loop: one SipHash over each tuple's words. The
// comparison is added, not branched on: green is a coin flip the branch
// predictor cannot learn. (Two tuples hashed interleaved measured no
// faster: one SipHash round already keeps the ALUs busy.)
func (t *Tuples) green(s *Scheme) int {
	h, w := t.h, t.h+1
	k0, k1, thr := s.k0, s.k1, s.threshold
	n := 0
	for i := 0; i+w <= len(t.words); i += w {
		tu := t.words[i : i+w : i+w]
		n += b2i(sipHashWords(k0, k1, tu[:h], tu[h])>>11 < thr)
	}
	return n
}

// ScoreKeys returns the number of green tuples of t under each scheme, in
// the order of schemes, scoring up to workers keys at once (GOMAXPROCS when
// workers < 1). It stops between keys when ctx is done and then returns
// ctx's error; every scheme must have t's context width.
func ScoreKeys(ctx context.Context, t *Tuples, schemes []*Scheme, workers int) ([]int, error) {
	for i, s := range schemes {
		if err := t.check(s); err != nil {
			return nil, fmt.Errorf("scheme %d: %w", i, err)
		}
	}
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	green := make([]int, len(schemes))
	// No errgroup.WithContext: nothing here needs a derived context, each
	// key checks ctx.Err before it starts.
	var eg errgroup.Group
	eg.SetLimit(workers)
	for i, s := range schemes {
		if ctx.Err() != nil {
			break
		}
		eg.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			green[i] = t.green(s)
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, fmt.Errorf("score %d keys: %w", len(schemes), err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("score %d keys: %w", len(schemes), err)
	}
	return green, nil
}

// tupleTable deduplicates tuples while NewTuples collects them: an
// open-addressing table over a flat slice of the tuples' words. Its hash is
// SipHash under a random key, so that a suspect who chooses its answers
// (and knows the public fingerprints) cannot make the table's probes
// collide.
type tupleTable struct {
	h      int
	k0, k1 uint64
	words  []uint64 // every tuple seen, the prompts' first
	// slots hold the top 32 bits of a tuple's hash and its index + 1 in
	// the low 32 (0 marks an empty slot); a tuple's first slot is the top
	// bits of its hash, so that the table grows without the tuples'
	// words.
	slots []uint64
	shift uint // 64 - log2(len(slots))
	n     int  // tuples in words
	// nPrompt is how many tuples came from the prompts: tuples below it
	// are excluded.
	nPrompt int
	fps     []uint64 // the fingerprints of the text being added
	touched uint64   // keeps the touching loads from being optimised away
}

// maxTuples is both the most tuples a table holds and the mask of a
// slot's index bits.
const maxTuples = 1<<32 - 1

func newTupleTable(h, sizeHint int) *tupleTable {
	b := &tupleTable{h: h, k0: rand.Uint64(), k1: rand.Uint64(), words: make([]uint64, 0, sizeHint*(h+1))}
	b.resize(sizeHint)
	return b
}

// resize makes room for about n tuples (a load of at most one half) and
// puts the slots in use back in.
func (b *tupleTable) resize(n int) {
	bits := uint(6)
	for 1<<bits < 2*n {
		bits++
	}
	old := b.slots
	b.slots, b.shift = make([]uint64, 1<<bits), 64-bits
	for _, s := range old {
		if s != 0 {
			b.insert(s)
		}
	}
}

func (b *tupleTable) addPrompt(pieces []string) { b.add(pieces, nil) }

// addDoc adds a document's tuples to t and its pieces to t's accounting,
// in the order of Scorer.count: incomplete context, then prompt, then
// repeat.
func (b *tupleTable) addDoc(t *Tuples, pieces []string) {
	t.tokens += len(pieces)
	t.skip.Context += min(b.h, len(pieces))
	b.add(pieces, t)
}

// add indexes the tuples of one text, a block at a time: every hash of
// the block, then a touch of each one's first slot, then the lookups. The
// touches are independent loads the CPU overlaps; in the lookups alone,
// or between the hashes, the table's cache misses came one after the
// other. t is nil for
// a prompt.
func (b *tupleTable) add(pieces []string, t *Tuples) {
	b.fps = b.fps[:0]
	for _, p := range pieces {
		b.fps = append(b.fps, Fingerprint(p))
	}
	fps, h := b.fps, b.h
	var tops [blockSize]uint64
	touched := uint64(0)
	for start := h; start < len(fps); start += blockSize {
		end := min(start+blockSize, len(fps))
		for i := start; i < end; i++ {
			tops[i-start] = sipHashWords(b.k0, b.k1, fps[i-h:i], fps[i]) &^ maxTuples
		}
		for _, top := range tops[:end-start] {
			touched += b.slots[top>>b.shift]
		}
		for i := start; i < end; i++ {
			j, isNew := b.index(tops[i-start], fps[i-h:i], fps[i])
			switch {
			case t == nil:
			case j < b.nPrompt:
				t.skip.InPrompt++
			case !isNew:
				t.skip.Repeated++
			}
		}
	}
	b.touched += touched
}

// index returns the index of the tuple (ctx, fp), whose hash has top as
// its top 32 bits, adding it if it is new.
func (b *tupleTable) index(top uint64, ctx []uint64, fp uint64) (int, bool) {
	w, mask := b.h+1, uint64(len(b.slots)-1)
	for i := top >> b.shift; ; i = (i + 1) & mask {
		s := b.slots[i]
		if s == 0 {
			break
		}
		if s&^maxTuples == top {
			j := int(s&maxTuples) - 1
			tu := b.words[j*w : (j+1)*w]
			if slices.Equal(tu[:b.h], ctx) && tu[b.h] == fp {
				return j, false
			}
		}
	}
	if b.n == maxTuples {
		panic("watermark: more than 2^32-1 distinct tuples")
	}
	b.words = append(append(b.words, ctx...), fp)
	b.n++
	if 2*b.n > len(b.slots) {
		b.resize(b.n)
	}
	b.insert(top | uint64(b.n))
	return b.n - 1, true
}

func (b *tupleTable) insert(s uint64) {
	mask := uint64(len(b.slots) - 1)
	i := s >> b.shift
	for b.slots[i] != 0 {
		i = (i + 1) & mask
	}
	b.slots[i] = s
}

// ResultFor is the Result of a green count from ScoreKeys under s (alpha
// 0: no decision), without scoring again.
func (t *Tuples) ResultFor(s *Scheme, green int) Result { return t.result(s, green, 0) }
