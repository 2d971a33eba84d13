package watermark

import "sync"

// u64set is an open-addressing hash set of PRF values. The values are
// already uniformly distributed, so the low bits index the table directly;
// this is several times faster than a map on the detection hot path.
type u64set struct {
	slots   []uint64
	mask    uint64
	n       int
	hasZero bool // 0 marks an empty slot, so it is tracked apart
}

func newU64Set(capHint int) *u64set {
	size := 64
	for size < 2*capHint {
		size <<= 1
	}
	return &u64set{slots: make([]uint64, size), mask: uint64(size - 1)}
}

// add inserts v and reports whether it was new.
func (s *u64set) add(v uint64) bool {
	if v == 0 {
		if s.hasZero {
			return false
		}
		s.hasZero = true
		return true
	}
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	for i := v & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case v:
			return false
		case 0:
			s.slots[i] = v
			s.n++
			return true
		}
	}
}

func (s *u64set) grow() {
	old := s.slots
	s.slots = make([]uint64, 2*len(old))
	s.mask = uint64(len(s.slots) - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		i := v & s.mask
		for s.slots[i] != 0 {
			i = (i + 1) & s.mask
		}
		s.slots[i] = v
	}
}

// has reports whether v is in the set.
func (s *u64set) has(v uint64) bool {
	if v == 0 {
		return s.hasZero
	}
	for i := v & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case v:
			return true
		case 0:
			return false
		}
	}
}

// setPool recycles dedup sets between documents: a detector scoring many
// short texts would otherwise spend much of its time allocating and
// collecting them.
var setPool sync.Pool

// getSet returns an empty set with room for about capHint values.
func getSet(capHint int) *u64set {
	if s, ok := setPool.Get().(*u64set); ok && len(s.slots) >= 2*capHint && len(s.slots) <= 8*max(capHint, 64) {
		clear(s.slots)
		s.n, s.hasZero = 0, false
		return s
	} else if ok {
		setPool.Put(s)
	}
	return newU64Set(capHint)
}

// putSet hands a set back for reuse; the caller must not use it again.
func putSet(s *u64set) {
	if s != nil && len(s.slots) <= 1<<22 {
		setPool.Put(s)
	}
}
