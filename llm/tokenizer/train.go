package tokenizer

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/dlclark/regexp2"
)

// EndOfText is the end-of-sequence token TrainBPE adds.
const EndOfText = "<|endoftext|>"

// byteToRune is GPT-2's bytes_to_unicode table: printable Latin-1 bytes map
// to themselves and the rest, in order, to U+0100 onward, so that every
// token is a printable string. Ollama's BPE decoder inverts exactly this.
var byteToRune = func() [256]rune {
	var t [256]rune
	n := rune(0)
	for b := 0; b < 256; b++ {
		if '!' <= b && b <= '~' || '¡' <= b && b <= '¬' || '®' <= b && b <= 'ÿ' {
			t[b] = rune(b)
		} else {
			t[b] = 256 + n
			n++
		}
	}
	return t
}()

// TrainBPE learns a byte-level BPE vocabulary of vocabSize tokens (256
// bytes, the merges, and EndOfText) from texts, pre-tokenized with GPT-2's
// pattern (pre "gpt-2", which llama.cpp and Ollama read alike), and returns it as a File that New turns into a
// tokenizer. Training is deterministic: the most frequent pair is merged
// first, ties broken by the pair's token ids.
func TrainBPE(ctx context.Context, texts []string, vocabSize int) (*File, error) {
	if vocabSize < 257 {
		return nil, fmt.Errorf("vocabulary of %d is too small: the 256 bytes and end-of-text need 257", vocabSize)
	}
	re := regexp2.MustCompile(preGPT2[0], regexp2.RE2)
	counts := map[string]int{}
	for _, text := range texts {
		for m, _ := re.FindStringMatch(text); m != nil; m, _ = re.FindNextMatch(m) {
			counts[m.String()]++
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if len(counts) == 0 {
		return nil, errors.New("no text to train on")
	}
	// Words in sorted order: the training must not depend on map order.
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Strings(words)

	tokens := make([]string, 256, vocabSize)
	for b := 0; b < 256; b++ {
		tokens[b] = string(byteToRune[b])
	}
	t := &bpeTrainer{pairs: map[pair]*pairStat{}}
	for _, w := range words {
		sym := make([]int32, len(w))
		for i := 0; i < len(w); i++ {
			sym[i] = int32(w[i])
		}
		t.words = append(t.words, sym)
		t.freq = append(t.freq, counts[w])
	}
	for wi := range t.words {
		t.addPairs(wi, +1)
	}
	for p, st := range t.pairs {
		heap.Push(&t.heap, heapItem{p, st.count})
	}
	var merges []string
	for len(tokens) < vocabSize-1 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		best, ok := t.pop()
		if !ok {
			break // every word is a single token
		}
		id := int32(len(tokens))
		tokens = append(tokens, tokens[best.a]+tokens[best.b])
		merges = append(merges, tokens[best.a]+" "+tokens[best.b])
		t.merge(best, id)
	}
	tokens = append(tokens, EndOfText)
	types := make([]int32, len(tokens))
	for i := range types {
		types[i] = 1 // normal
	}
	types[len(types)-1] = 3 // control
	eos := int32(len(tokens) - 1)
	f := &File{Format: FileFormat, Model: "gpt2", Pre: "gpt-2", Tokens: tokens, TokenTypes: types, Merges: merges, EOS: []int32{eos}}
	return f, f.Validate()
}

type pair struct{ a, b int32 }

type pairStat struct {
	count int
	words map[int]struct{} // words that contain the pair
}

type heapItem struct {
	p     pair
	count int
}

type pairHeap []heapItem

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count > h[j].count
	}
	if h[i].p.a != h[j].p.a {
		return h[i].p.a < h[j].p.a
	}
	return h[i].p.b < h[j].p.b
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(heapItem)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type bpeTrainer struct {
	words [][]int32
	freq  []int
	pairs map[pair]*pairStat
	heap  pairHeap
}

// addPairs adds (sign +1) or removes (-1) the pairs of word wi.
func (t *bpeTrainer) addPairs(wi, sign int) {
	w := t.words[wi]
	for i := 0; i+1 < len(w); i++ {
		p := pair{w[i], w[i+1]}
		st := t.pairs[p]
		if st == nil {
			st = &pairStat{words: map[int]struct{}{}}
			t.pairs[p] = st
		}
		st.count += sign * t.freq[wi]
		if sign > 0 {
			st.words[wi] = struct{}{}
		}
	}
}

// pop returns the most frequent pair whose heap entry is current (entries
// go stale as counts change and are skipped).
func (t *bpeTrainer) pop() (pair, bool) {
	for t.heap.Len() > 0 {
		it := heap.Pop(&t.heap).(heapItem)
		st := t.pairs[it.p]
		if st == nil || st.count != it.count || st.count <= 0 {
			continue
		}
		return it.p, true
	}
	return pair{}, false
}

// merge replaces every occurrence of p by the new token id, updating the
// pair counts of the words touched and pushing their new counts.
func (t *bpeTrainer) merge(p pair, id int32) {
	st := t.pairs[p]
	affected := make([]int, 0, len(st.words))
	for wi := range st.words {
		affected = append(affected, wi)
	}
	sort.Ints(affected)
	changed := map[pair]struct{}{}
	for _, wi := range affected {
		w := t.words[wi]
		for i := 0; i+1 < len(w); i++ {
			changed[pair{w[i], w[i+1]}] = struct{}{}
		}
		t.addPairs(wi, -1)
		out := w[:0:0]
		for i := 0; i < len(w); i++ {
			if i+1 < len(w) && w[i] == p.a && w[i+1] == p.b {
				out = append(out, id)
				i++
			} else {
				out = append(out, w[i])
			}
		}
		t.words[wi] = out
		t.addPairs(wi, +1)
		for i := 0; i+1 < len(out); i++ {
			changed[pair{out[i], out[i+1]}] = struct{}{}
		}
	}
	delete(t.pairs, p)
	keys := make([]pair, 0, len(changed))
	for q := range changed {
		keys = append(keys, q)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].a != keys[j].a {
			return keys[i].a < keys[j].a
		}
		return keys[i].b < keys[j].b
	})
	for _, q := range keys {
		if qs := t.pairs[q]; qs != nil && qs.count > 0 && q != p {
			heap.Push(&t.heap, heapItem{q, qs.count})
		}
	}
}
