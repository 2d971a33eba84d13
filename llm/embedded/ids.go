package embedded

// NextProbs returns P(next token | prefix) over the whole vocabulary (a
// fresh slice indexed by token id) for a prefix of token ids, conditioned
// as Next conditions on pieces: on the last order−1 ids, after an
// end-of-text token when the prefix is shorter. Engines' samplers (vLLM's
// watermark) work on ids and full-vocabulary logits; Next's top-k over
// pieces is too slow for the whole vocabulary.
func (m *Model) NextProbs(prefix []int32) []float64 {
	n := m.kn.order - 1
	h := make([]uint16, 0, n)
	start := max(0, len(prefix)-n)
	if start == 0 {
		h = append(h, m.eos)
	}
	for _, id := range prefix[start:] {
		h = append(h, uint16(id))
	}
	b := m.scratch.Get().(*buffers)
	defer m.scratch.Put(b)
	m.kn.dist(b.p, b.s, h)
	out := make([]float64, len(b.p))
	copy(out, b.p)
	return out
}

// EOS is the end-of-text token's id.
func (m *Model) EOS() int32 { return int32(m.eos) }
