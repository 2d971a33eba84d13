package hf

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// bpe is Hugging Face's BPE model: a word is split into characters (each
// a vocabulary entry, or its bytes as <0xXX> tokens with byte_fallback,
// or the unknown token), then the pair of adjacent symbols whose merge
// ranks first is merged, leftmost first among equals, until no pair has a
// merge.
type bpe struct {
	vocab        map[string]int32
	merges       map[uint64]merge
	unk          int32 // -1 when there is no unknown token
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	byteTokens   [256]int32 // <0xXX> ids, -1 where missing
	cache        wordCache
}

// wordCache remembers the ids of short words, as Hugging Face's BPE
// does: text repeats its words, and merging is most of the work. It
// holds at most maxCachedWords words of at most maxCachedWordBytes, then
// stops adding, so its memory is bounded; it is safe for concurrent use.
type wordCache struct {
	m sync.Map // string → []int32
	n atomic.Int64
}

const (
	maxCachedWords     = 1 << 16
	maxCachedWordBytes = 64
)

func (c *wordCache) get(w string) ([]int32, bool) {
	if len(w) > maxCachedWordBytes {
		return nil, false
	}
	v, ok := c.m.Load(w)
	if !ok {
		return nil, false
	}
	return v.([]int32), true
}

func (c *wordCache) put(w string, ids []int32) {
	if len(w) > maxCachedWordBytes || c.n.Load() >= maxCachedWords {
		return
	}
	if _, loaded := c.m.LoadOrStore(strings.Clone(w), slices.Clone(ids)); !loaded {
		c.n.Add(1)
	}
}

// merge is what a pair of symbols merges into, and its rank.
type merge struct{ rank, id int32 }

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// newBPE builds the model from its definition, refusing what it does not
// implement (dropout, subword prefixes and suffixes).
func newBPE(m *model) (*bpe, error) {
	if m.Type != "BPE" {
		return nil, fmt.Errorf("model %s is not supported (only BPE)", clip(m.Type))
	}
	if m.Dropout != nil && *m.Dropout != 0 {
		return nil, fmt.Errorf("BPE dropout (random merges) is not supported")
	}
	for name, v := range map[string]*string{"continuing_subword_prefix": m.ContinuingSubwordPrefix, "end_of_word_suffix": m.EndOfWordSuffix} {
		if v != nil && *v != "" {
			return nil, fmt.Errorf("BPE %s is not supported", name)
		}
	}
	if len(m.Vocab) == 0 || len(m.Vocab) > maxTokens {
		return nil, fmt.Errorf("BPE vocabulary has %d tokens (1 to %d)", len(m.Vocab), maxTokens)
	}
	if len(m.Merges) > maxMerges {
		return nil, fmt.Errorf("BPE has %d merges, more than %d", len(m.Merges), maxMerges)
	}
	b := &bpe{vocab: make(map[string]int32, len(m.Vocab)), unk: -1, fuseUnk: m.FuseUnk, byteFallback: m.ByteFallback, ignoreMerges: m.IgnoreMerges}
	for tok, id := range m.Vocab {
		if id < 0 || id >= maxTokens {
			return nil, fmt.Errorf("token %s has id %d, outside 0 to %d", clip(tok), id, maxTokens-1)
		}
		if len(tok) > maxTokenBytes {
			return nil, fmt.Errorf("token %d is %d bytes, more than %d", id, len(tok), maxTokenBytes)
		}
		b.vocab[tok] = int32(id)
	}
	if m.UnkToken != nil {
		id, ok := b.vocab[*m.UnkToken]
		if !ok {
			return nil, fmt.Errorf("unk_token %s is not in the vocabulary", clip(*m.UnkToken))
		}
		b.unk = id
	}
	for i := range b.byteTokens {
		b.byteTokens[i] = -1
		if id, ok := b.vocab[fmt.Sprintf("<0x%02X>", i)]; ok {
			b.byteTokens[i] = id
		}
	}
	b.merges = make(map[uint64]merge, len(m.Merges))
	for rank, mg := range m.Merges {
		a, okA := b.vocab[mg[0]]
		c, okC := b.vocab[mg[1]]
		id, okID := b.vocab[mg[0]+mg[1]]
		if !okA || !okC || !okID {
			return nil, fmt.Errorf("merge %d (%s %s) names a token not in the vocabulary", rank, clip(mg[0]), clip(mg[1]))
		}
		// A repeated pair takes its last rank, as in Hugging Face.
		b.merges[pairKey(a, c)] = merge{int32(rank), id}
	}
	return b, nil
}

// symbol is a run of the word in the merge loop, linked to its neighbours.
type symbol struct {
	id         int32
	prev, next int32
	gone       bool
}

// candidate is a possible merge at the symbol at pos.
type candidate struct {
	rank, pos, id int32
}

// candidates is a min-heap of merges by rank, then position (typed, so
// that pushing and popping allocate nothing).
type candidates []candidate

func (c candidate) before(d candidate) bool {
	if c.rank != d.rank {
		return c.rank < d.rank
	}
	return c.pos < d.pos
}

func (h *candidates) push(c candidate) {
	*h = append(*h, c)
	q := *h
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if !q[i].before(q[parent]) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
}

func (h *candidates) pop() candidate {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	for i := 0; ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && q[l].before(q[small]) {
			small = l
		}
		if r < len(q) && q[r].before(q[small]) {
			small = r
		}
		if small == i {
			break
		}
		q[i], q[small] = q[small], q[i]
		i = small
	}
	*h = q
	return top
}

// encodeWord appends the ids of one pre-tokenized word to ids.
func (b *bpe) encodeWord(ids []int32, w string) []int32 {
	if b.ignoreMerges {
		if id, ok := b.vocab[w]; ok {
			return append(ids, id)
		}
	}
	if cached, ok := b.cache.get(w); ok {
		return append(ids, cached...)
	}
	syms := b.symbols(w)
	b.mergeAll(syms)
	start := len(ids)
	for _, s := range syms {
		if !s.gone {
			ids = append(ids, s.id)
		}
	}
	b.cache.put(w, ids[start:])
	return ids
}

// symbols splits a word into its initial symbols, as Hugging Face's
// BPE::merge_word does, including where it leaves a pending unknown token
// (byte-fallback tokens that follow one are added before it).
func (b *bpe) symbols(w string) []symbol {
	syms := make([]symbol, 0, len(w))
	add := func(id int32) {
		syms = append(syms, symbol{id: id, prev: int32(len(syms)) - 1, next: int32(len(syms)) + 1})
	}
	pendingUnk := false
	for i := 0; i < len(w); {
		_, n := utf8.DecodeRuneInString(w[i:])
		c := w[i : i+n]
		i += n
		if id, ok := b.vocab[c]; ok {
			if pendingUnk {
				add(b.unk)
				pendingUnk = false
			}
			add(id)
			continue
		}
		if b.byteFallback && b.addBytes(c, add) {
			continue
		}
		if b.unk >= 0 {
			if pendingUnk && !b.fuseUnk {
				add(b.unk)
			}
			pendingUnk = true
		}
	}
	if pendingUnk {
		add(b.unk)
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	return syms
}

// addBytes adds the <0xXX> tokens of c's bytes if all of them exist.
func (b *bpe) addBytes(c string, add func(int32)) bool {
	for i := 0; i < len(c); i++ {
		if b.byteTokens[c[i]] < 0 {
			return false
		}
	}
	for i := 0; i < len(c); i++ {
		add(b.byteTokens[c[i]])
	}
	return true
}

// mergeAll merges symbols by rank, as Hugging Face's Word::merge_all does
// without dropout: in O(n log n) for a word of n symbols.
func (b *bpe) mergeAll(syms []symbol) {
	if len(syms) < 2 {
		return
	}
	q := make(candidates, 0, len(syms))
	for i := 0; i+1 < len(syms); i++ {
		if m, ok := b.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
			q.push(candidate{m.rank, int32(i), m.id})
		}
	}
	for len(q) > 0 {
		top := q.pop()
		s := &syms[top.pos]
		if s.gone || s.next < 0 {
			continue
		}
		right := &syms[s.next]
		if m, ok := b.merges[pairKey(s.id, right.id)]; !ok || m.id != top.id {
			continue
		}
		s.id = top.id
		right.gone = true
		s.next = right.next
		if s.next >= 0 {
			syms[s.next].prev = top.pos
		}
		if s.prev >= 0 {
			if m, ok := b.merges[pairKey(syms[s.prev].id, s.id)]; ok {
				q.push(candidate{m.rank, s.prev, m.id})
			}
		}
		if s.next >= 0 {
			if m, ok := b.merges[pairKey(s.id, syms[s.next].id)]; ok {
				q.push(candidate{m.rank, top.pos, m.id})
			}
		}
	}
}
