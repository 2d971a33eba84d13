package reasoning

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

//go:embed weights.bin
var shippedWeights []byte

// The binary form: magic, then uvarints MinN, MaxN, HashBits, Window,
// Stride; the bias and the weight scale as float64 bits (8 bytes, little
// endian); the number of non-zero weights; then each as the uvarint gap
// from the previous one's index (the first from -1) and one int8 byte.
const magic = "RSNCLS1\n"

// MarshalBinary encodes the model (deterministically: a model trained
// twice on the same data encodes to the same bytes).
func (m *Model) MarshalBinary() ([]byte, error) {
	b := []byte(magic)
	for _, v := range []int{m.p.MinN, m.p.MaxN, m.p.HashBits, m.p.Window, m.p.Stride} {
		b = binary.AppendUvarint(b, uint64(v))
	}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.bias))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.scale))
	nz := 0
	for _, v := range m.q {
		if v != 0 {
			nz++
		}
	}
	b = binary.AppendUvarint(b, uint64(nz))
	prev := -1
	for i, v := range m.q {
		if v != 0 {
			b = binary.AppendUvarint(b, uint64(i-prev))
			b = append(b, byte(v))
			prev = i
		}
	}
	return b, nil
}

var errCorrupt = errors.New("reasoning: corrupt model")

// UnmarshalBinary decodes a model written by MarshalBinary. It reads
// outside input: every count and index is checked against the declared
// hash space, whose size is bounded (1<<20 weights) before anything is
// allocated.
func (m *Model) UnmarshalBinary(data []byte) error {
	if len(data) < len(magic) || string(data[:len(magic)]) != magic {
		return fmt.Errorf("%w: bad magic", errCorrupt)
	}
	r := reader{b: data[len(magic):]}
	var p Params
	for _, dst := range []*int{&p.MinN, &p.MaxN, &p.HashBits, &p.Window, &p.Stride} {
		*dst = int(r.uvarint(1 << 20))
	}
	bias, scale := math.Float64frombits(r.uint64()), math.Float64frombits(r.uint64())
	if r.err != nil {
		return r.err
	}
	if !p.valid() {
		return fmt.Errorf("%w: parameters %+v out of range", errCorrupt, p)
	}
	if math.IsNaN(bias) || math.IsInf(bias, 0) || math.IsNaN(scale) || math.IsInf(scale, 0) || scale < 0 {
		return fmt.Errorf("%w: bias %v or scale %v not finite", errCorrupt, bias, scale)
	}
	dims := 1 << p.HashBits
	nz := int(r.uvarint(uint64(dims)))
	if r.err == nil && nz > len(r.b)/2 {
		return fmt.Errorf("%w: %d weights in %d bytes", errCorrupt, nz, len(r.b))
	}
	q := make([]int8, dims)
	idx := -1
	for range nz {
		gap := int(r.uvarint(uint64(dims)))
		idx += gap
		v := int8(r.byte())
		if r.err != nil {
			return r.err
		}
		if gap == 0 || idx >= dims || v == 0 {
			return fmt.Errorf("%w: weight %d (%d) out of place", errCorrupt, idx, v)
		}
		q[idx] = v
	}
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(r.b))
	}
	m.set(p, bias, scale, q)
	return nil
}

// reader decodes the binary form, keeping the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint(limit uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > limit {
		r.err = fmt.Errorf("%w: bad number", errCorrupt)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) uint64() uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.err = fmt.Errorf("%w: truncated", errCorrupt)
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 1 {
		r.err = fmt.Errorf("%w: truncated", errCorrupt)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}
