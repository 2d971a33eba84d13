// Package embedded is the reference language model that ships inside the
// binary: an interpolated Kneser-Ney n-gram model over a byte-level BPE
// vocabulary of 4,096 tokens, both trained by this project's own code on the
// public-domain prose in corpora/. It needs no download and no GPU, and it
// answers the same question as an Ollama backend: the top-k next pieces
// with their log-probabilities.
//
// The package ships the trained tokenizer and the training corpus as token
// ids (data/); Load counts the n-grams from them. Regenerate both with
// `go generate ./llm/embedded` after changing the corpus or the trainer; a
// test fails if the shipped files are not what training produces.
package embedded

//go:generate go run ./gen -out data

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"math"
	"sync"

	"forensics/llm"
	"forensics/llm/tokenizer"
)

var (
	//go:embed data/tokenizer.json
	shippedTokenizer []byte
	//go:embed data/corpus.ids.gz
	shippedIDs []byte
)

// DefaultOrder is the n of the shipped model.
const DefaultOrder = 4

// Model is the embedded n-gram model. It is safe for concurrent use.
type Model struct {
	tk      *tokenizer.Vocab
	kn      *kn
	pieceID map[string]uint16
	eos     uint16
	// eosPiece is the end-of-text token's text.
	eosPiece string
	name     string
	scratch  sync.Pool
}

var loadDefault = sync.OnceValues(func() (*Model, error) {
	return New(&Artifacts{Tokenizer: shippedTokenizer, IDs: shippedIDs}, DefaultOrder)
})

// Load returns the shipped model, built once per process.
func Load() (*Model, error) { return loadDefault() }

// Shipped returns the artifacts compiled into the binary.
func Shipped() *Artifacts { return &Artifacts{Tokenizer: shippedTokenizer, IDs: shippedIDs} }

// New builds a model of the given order from artifacts.
func New(a *Artifacts, order int) (*Model, error) {
	f, err := tokenizer.ReadFile(bytes.NewReader(a.Tokenizer))
	if err != nil {
		return nil, fmt.Errorf("embedded tokenizer: %w", err)
	}
	tk, err := tokenizer.New(f)
	if err != nil {
		return nil, fmt.Errorf("embedded tokenizer: %w", err)
	}
	if tk.Size() > 1<<16 || len(f.EOS) == 0 {
		return nil, fmt.Errorf("embedded tokenizer: %d tokens, %d end tokens", tk.Size(), len(f.EOS))
	}
	ids, err := decodeIDs(a.IDs)
	if err != nil {
		return nil, fmt.Errorf("embedded corpus ids: %w", err)
	}
	for _, id := range ids {
		if int(id) >= tk.Size() {
			return nil, fmt.Errorf("embedded corpus ids: id %d outside the vocabulary", id)
		}
	}
	m := &Model{tk: tk, eos: uint16(f.EOS[0]), eosPiece: tk.Piece(f.EOS[0]), pieceID: make(map[string]uint16, tk.Size())}
	for i := 0; i < tk.Size(); i++ {
		if i != int(m.eos) {
			m.pieceID[tk.Piece(int32(i))] = uint16(i)
		}
	}
	if m.kn, err = newKN(ids, order, tk.Size()); err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(a.Tokenizer)
	h.Write(a.IDs)
	m.name = fmt.Sprintf("embedded-kn%d-%s", order, hex.EncodeToString(h.Sum(nil))[:12])
	m.scratch.New = func() any { return &buffers{p: make([]float64, tk.Size()), s: make([]float64, tk.Size())} }
	return m, nil
}

type buffers struct{ p, s []float64 }

// Name implements llm.Model: the order and a hash of the shipped data.
func (m *Model) Name() string { return m.name }

// Tokenizer implements llm.Model.
func (m *Model) Tokenizer() tokenizer.Tokenizer { return m.tk }

// Vocab returns the model's tokenizer with its id-level methods.
func (m *Model) Vocab() *tokenizer.Vocab { return m.tk }

// history maps the last order−1 pieces of prefix to ids, starting after an
// end-of-text token as the training paragraphs do. The end-of-text piece
// itself (which ends a rendered chat turn) maps to its id, so an answer is
// conditioned on the end of the prompt as a paragraph is on the one before.
// A piece outside the vocabulary cuts the history there.
func (m *Model) history(prefix []string) []uint16 {
	n := m.kn.order - 1
	h := make([]uint16, 0, n)
	start := max(0, len(prefix)-n)
	if start == 0 {
		h = append(h, m.eos)
	}
	for _, p := range prefix[start:] {
		id, ok := m.pieceID[p]
		if !ok && p == m.eosPiece {
			id, ok = m.eos, true
		}
		if !ok {
			h = h[:0]
			continue
		}
		h = append(h, id)
	}
	return h
}

// Next implements llm.Model: the k most likely next pieces after prefix.
// The end-of-text token comes back as a candidate with EOS set.
func (m *Model) Next(ctx context.Context, prefix []string, k int) ([]llm.Candidate, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := m.scratch.Get().(*buffers)
	defer m.scratch.Put(b)
	m.kn.dist(b.p, b.s, m.history(prefix))
	top := topK(b.p, k)
	out := make([]llm.Candidate, len(top))
	for i, id := range top {
		out[i] = llm.Candidate{Piece: m.tk.Piece(int32(id)), LogProb: math.Log(b.p[id])}
		if uint16(id) == m.eos {
			out[i] = llm.Candidate{LogProb: out[i].LogProb, EOS: true}
		}
	}
	return out, nil
}

// topK returns the indices of the k largest entries of p, largest first
// (ties: lower index first).
func topK(p []float64, k int) []int {
	k = min(k, len(p))
	top := make([]int, 0, k)
	for i, v := range p {
		if len(top) == k && v <= p[top[k-1]] {
			continue
		}
		j := len(top)
		if j < k {
			top = append(top, i)
		} else {
			j = k - 1
		}
		for j > 0 && p[top[j-1]] < v {
			top[j] = top[j-1]
			j--
		}
		top[j] = i
	}
	return top
}

// CrossEntropy is the model's average −log2 P(token | history) over the
// given paragraphs (each preceded by end-of-text and followed by it, as in
// training), in bits per token, and the number of tokens scored.
func (m *Model) CrossEntropy(paragraphs []string) (float64, int, error) {
	b := m.scratch.Get().(*buffers)
	defer m.scratch.Put(b)
	total, n := 0.0, 0
	for _, para := range paragraphs {
		ids32, err := m.tk.Encode(para)
		if err != nil {
			return 0, 0, err
		}
		seq := []uint16{m.eos}
		for _, id := range ids32 {
			seq = append(seq, uint16(id))
		}
		seq = append(seq, m.eos)
		for i := 1; i < len(seq); i++ {
			h := seq[max(0, i-(m.kn.order-1)):i]
			m.kn.dist(b.p, b.s, h)
			total -= math.Log2(b.p[seq[i]])
			n++
		}
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("no tokens to score")
	}
	return total / float64(n), n, nil
}

// BigramLogProbs returns log P(y | x) for every token y after the single
// token x (the model's order-2 estimate), for building derived models.
func (m *Model) BigramLogProbs(x uint16) []float64 {
	b := m.scratch.Get().(*buffers)
	defer m.scratch.Put(b)
	m.kn.dist(b.p, b.s, []uint16{x})
	out := make([]float64, len(b.p))
	for i, p := range b.p {
		out[i] = math.Log(p)
	}
	return out
}
