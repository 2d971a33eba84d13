package logscan

import (
	"math/bits"
	"slices"
)

// bandSet is the set of SimHash bands an account has seen: keys of 18
// bits (the band's index in the top two, its 16 bits below). It is exact
// (near_duplicates counts as with a map of the keys) in a fraction of a
// map's memory: a sorted slice of 4-byte keys while small, a bitset of
// 32 KiB once larger (a map of 8,192 keys took about 300 KiB).
type bandSet struct {
	small []uint32
	bits  *[bandKeys / 64]uint64
	n     int
}

const (
	bandKeys = 4 << 16
	// smallBands is where the slice (4 bytes a key) gives way to the
	// bitset: at 8,192 keys both take 32 KiB, and the bitset answers in
	// constant time.
	smallBands = 2048
)

func (s *bandSet) len() int { return s.n }

func (s *bandSet) has(key uint32) bool {
	if s.bits != nil {
		return s.bits[key/64]&(1<<(key%64)) != 0
	}
	_, found := slices.BinarySearch(s.small, key)
	return found
}

// add inserts a key (not already in the set, below bandKeys).
func (s *bandSet) add(key uint32) {
	s.n++
	if s.bits == nil && s.n <= smallBands {
		i, _ := slices.BinarySearch(s.small, key)
		s.small = slices.Insert(s.small, i, key)
		return
	}
	if s.bits == nil {
		s.bits = new([bandKeys / 64]uint64)
		for _, k := range s.small {
			s.bits[k/64] |= 1 << (k % 64)
		}
		s.small = nil
	}
	s.bits[key/64] |= 1 << (key % 64)
}

// count recounts the keys (for tests).
func (s *bandSet) count() int {
	if s.bits == nil {
		return len(s.small)
	}
	n := 0
	for _, w := range s.bits {
		n += bits.OnesCount64(w)
	}
	return n
}
