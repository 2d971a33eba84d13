// Package tinymodel writes small but real llama-architecture GGUF models
// for the end-to-end tests: the embedded model's tokenizer, and weights
// derived from its bigram distribution so that Ollama serves text that
// resembles the corpus. Nothing here is committed as a binary; tests
// generate the files.
//
// The construction: L[x][y] = log P(y | x) from the embedded model (rows
// centred, which softmax ignores) is factorised to rank d with a randomised
// SVD (Halko, Martinsson & Tropp 2011, Algorithms 4.4 and 5.1), giving
// token_embd = U·√Σ and output = W·√Σ. Every transformer block has zero
// output projections, so the residual stream is the embedding itself. One
// extra embedding dimension pads every row to the same norm R, so the final
// RMSNorm divides all of them by the same R/√(d+1), which output_norm
// multiplies back. Ollama's logits are then exactly the rank-d
// approximation of the bigram log-probabilities.
package tinymodel

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"

	"github.com/ollama/ollama/fs/ggml"
	"gonum.org/v1/gonum/mat"

	"forensics/llm/embedded"
	"forensics/llm/tokenizer"
)

// Spec describes a model to write.
type Spec struct {
	Tokenizer *tokenizer.File
	Embd      *mat.Dense // vocab × dim
	Out       *mat.Dense // vocab × dim
	Norm      []float64  // dim: output_norm weights
	Blocks    int
	Heads     int
	FFN       int
	Context   int
}

// SuppressEOS makes the end token all but impossible (its logit becomes
// −strength·c_x, where c_x ≥ 0.14·R is the padding coordinate every
// embedding carries), for tests that need long generations: Ollama has no
// option to keep a model from ending.
func (s *Spec) SuppressEOS(strength float64) {
	if len(s.Tokenizer.EOS) == 0 {
		return
	}
	_, d := s.Out.Dims()
	row := s.Out.RawRowView(int(s.Tokenizer.EOS[0]))
	for k := range row {
		row[k] = 0
	}
	row[d-1] = -strength
}

// Widen pads the model to dim embedding dimensions with zero columns (and
// the final norm to match), keeping its logits: a wider model with more
// blocks (Blocks, FFN, Heads) costs more per token and says the same, for
// measuring how a gateway's overhead compares with a token's cost. dim
// must be at least the current width and dim/Heads even (RoPE).
func (s *Spec) Widen(dim int) error {
	v, d := s.Embd.Dims()
	if dim < d || s.Heads < 1 || dim%s.Heads != 0 || (dim/s.Heads)%2 != 0 {
		return fmt.Errorf("widen %d to %d with %d heads: want a width at least %d, a multiple of heads with an even head size", d, dim, s.Heads, d)
	}
	// Every embedding row has norm R = Norm·√d; padded with zeros it keeps
	// R, and RMSNorm now divides by R/√dim.
	r := s.Norm[0] * math.Sqrt(float64(d))
	pad := func(m *mat.Dense) *mat.Dense {
		out := mat.NewDense(v, dim, nil)
		out.Slice(0, v, 0, d).(*mat.Dense).Copy(m)
		return out
	}
	s.Embd, s.Out = pad(s.Embd), pad(s.Out)
	s.Norm = make([]float64, dim)
	for i := range s.Norm {
		s.Norm[i] = r / math.Sqrt(float64(dim))
	}
	return nil
}

// logFloor is the log-probability below which the factorisation does not
// care about the exact value (e^-9 ≈ 1.2e-4).
const logFloor = -9

// FromEmbedded derives a model of the given rank from the embedded model.
// The embedding is rank+1 wide, which must be even (RoPE rotates pairs).
func FromEmbedded(ctx context.Context, m *embedded.Model, rank int, seed uint64) (*Spec, error) {
	if (rank+1)%2 != 0 {
		return nil, fmt.Errorf("rank %d: rank+1 must be even for RoPE", rank)
	}
	v := m.Vocab().Size()
	L := mat.NewDense(v, v, nil)
	for x := 0; x < v; x++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		row := m.BigramLogProbs(uint16(x))
		mean := 0.0
		for y, lp := range row {
			// The tail below the floor is flattened: sampling happens among
			// the top candidates, and an unweighted factorisation would
			// otherwise spend its rank on the shape of the tail.
			row[y] = math.Max(lp, logFloor)
			mean += row[y]
		}
		mean /= float64(v)
		for y, lp := range row {
			L.Set(x, y, lp-mean)
		}
	}
	U, S, W := randomizedSVD(L, rank, 8, 1, seed)
	embd := mat.NewDense(v, rank+1, nil)
	out := mat.NewDense(v, rank+1, nil)
	maxNorm := 0.0
	for x := 0; x < v; x++ {
		n := 0.0
		for k := 0; k < rank; k++ {
			e := U.At(x, k) * math.Sqrt(S[k])
			embd.Set(x, k, e)
			out.Set(x, k, W.At(x, k)*math.Sqrt(S[k]))
			n += e * e
		}
		maxNorm = math.Max(maxNorm, math.Sqrt(n))
	}
	R := maxNorm * 1.01
	for x := 0; x < v; x++ {
		n := 0.0
		for k := 0; k < rank; k++ {
			n += embd.At(x, k) * embd.At(x, k)
		}
		embd.Set(x, rank, math.Sqrt(R*R-n)) // pad to norm R; output ignores it
	}
	dim := rank + 1
	norm := make([]float64, dim)
	for i := range norm {
		norm[i] = R / math.Sqrt(float64(dim))
	}
	return &Spec{Tokenizer: m.Vocab().File(), Embd: embd, Out: out, Norm: norm, Blocks: 1, Heads: 1, FFN: 8, Context: 4096}, nil
}

// randomizedSVD returns the top-k singular triplets of A (U: m×k, S, W:
// n×k) using oversampling p and q power iterations.
func randomizedSVD(A *mat.Dense, k, p, q int, seed uint64) (*mat.Dense, []float64, *mat.Dense) {
	_, n := A.Dims()
	rng := rand.New(rand.NewPCG(seed, 1))
	omega := mat.NewDense(n, k+p, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < k+p; j++ {
			omega.Set(i, j, rng.NormFloat64())
		}
	}
	var Y mat.Dense
	Y.Mul(A, omega)
	orth := func(M *mat.Dense) *mat.Dense {
		var qr mat.QR
		qr.Factorize(M)
		var Q mat.Dense
		qr.QTo(&Q)
		r, c := M.Dims()
		return mat.DenseCopyOf(Q.Slice(0, r, 0, c))
	}
	Q := orth(&Y)
	for i := 0; i < q; i++ {
		var Z mat.Dense
		Z.Mul(A.T(), Q)
		Zq := orth(&Z)
		var Y2 mat.Dense
		Y2.Mul(A, Zq)
		Q = orth(&Y2)
	}
	var B mat.Dense
	B.Mul(Q.T(), A)
	var svd mat.SVD
	svd.Factorize(&B, mat.SVDThin)
	var Ub, Vb mat.Dense
	svd.UTo(&Ub)
	svd.VTo(&Vb)
	var U mat.Dense
	U.Mul(Q, &Ub)
	s := svd.Values(nil)
	r, _ := U.Dims()
	return mat.DenseCopyOf(U.Slice(0, r, 0, k)), s[:k], mat.DenseCopyOf(Vb.Slice(0, n, 0, k))
}

// Write writes the model as a GGUF file.
func Write(path string, s *Spec) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write gguf %s: %w", path, err)
	}
	defer f.Close()
	v, dim := s.Embd.Dims()
	tok := s.Tokenizer
	types := tok.TokenTypes
	if len(types) == 0 {
		types = make([]int32, len(tok.Tokens))
		for i := range types {
			types[i] = 1
		}
	}
	kv := ggml.KV{
		"general.architecture":                   "llama",
		"general.name":                           "forensics-tiny",
		"llama.block_count":                      uint32(s.Blocks),
		"llama.context_length":                   uint32(s.Context),
		"llama.embedding_length":                 uint32(dim),
		"llama.feed_forward_length":              uint32(s.FFN),
		"llama.attention.head_count":             uint32(s.Heads),
		"llama.attention.head_count_kv":          uint32(s.Heads),
		"llama.attention.layer_norm_rms_epsilon": float32(1e-6),
		"llama.rope.dimension_count":             uint32(dim / s.Heads),
		"llama.vocab_size":                       uint32(v),
		"tokenizer.ggml.model":                   tok.Model,
		"tokenizer.ggml.pre":                     tok.Pre,
		"tokenizer.ggml.tokens":                  tok.Tokens,
		"tokenizer.ggml.token_type":              types,
		"tokenizer.ggml.merges":                  tok.Merges,
		"tokenizer.ggml.add_bos_token":           false,
	}
	if len(tok.EOS) > 0 {
		kv["tokenizer.ggml.eos_token_id"] = uint32(tok.EOS[0])
	}
	ones := make([]float64, dim)
	for i := range ones {
		ones[i] = 1
	}
	ts := []*ggml.Tensor{
		tensor("token_embd.weight", []uint64{uint64(dim), uint64(v)}, denseData(s.Embd)),
		tensor("output.weight", []uint64{uint64(dim), uint64(v)}, denseData(s.Out)),
		tensor("output_norm.weight", []uint64{uint64(dim)}, s.Norm),
	}
	for b := 0; b < s.Blocks; b++ {
		p := fmt.Sprintf("blk.%d.", b)
		ts = append(ts,
			tensor(p+"attn_norm.weight", []uint64{uint64(dim)}, ones),
			tensor(p+"ffn_norm.weight", []uint64{uint64(dim)}, ones),
			tensor(p+"attn_q.weight", []uint64{uint64(dim), uint64(dim)}, make([]float64, dim*dim)),
			tensor(p+"attn_k.weight", []uint64{uint64(dim), uint64(dim)}, make([]float64, dim*dim)),
			tensor(p+"attn_v.weight", []uint64{uint64(dim), uint64(dim)}, make([]float64, dim*dim)),
			tensor(p+"attn_output.weight", []uint64{uint64(dim), uint64(dim)}, make([]float64, dim*dim)),
			tensor(p+"ffn_gate.weight", []uint64{uint64(dim), uint64(s.FFN)}, make([]float64, dim*s.FFN)),
			tensor(p+"ffn_up.weight", []uint64{uint64(dim), uint64(s.FFN)}, make([]float64, dim*s.FFN)),
			tensor(p+"ffn_down.weight", []uint64{uint64(s.FFN), uint64(dim)}, make([]float64, dim*s.FFN)),
		)
	}
	if err := ggml.WriteGGUF(f, kv, ts); err != nil {
		return fmt.Errorf("write gguf %s: %w", path, err)
	}
	return f.Close()
}

// denseData flattens rows (each row one vocabulary entry, ne0 = columns).
func denseData(m *mat.Dense) []float64 {
	r, c := m.Dims()
	out := make([]float64, 0, r*c)
	for i := 0; i < r; i++ {
		out = append(out, m.RawRowView(i)...)
	}
	return out
}

type f32Writer []float64

func (w f32Writer) WriteTo(dst io.Writer) (int64, error) {
	var buf bytes.Buffer
	buf.Grow(4 * len(w))
	for _, x := range w {
		binary.Write(&buf, binary.LittleEndian, float32(x))
	}
	return buf.WriteTo(dst)
}

func tensor(name string, shape []uint64, data []float64) *ggml.Tensor {
	return &ggml.Tensor{Name: name, Kind: 0, Shape: shape, WriterTo: f32Writer(data)}
}
