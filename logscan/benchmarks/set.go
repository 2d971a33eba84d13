package benchmarks

import (
	"slices"
	"sort"
)

const (
	// PerItem is the most shingles an item keeps: its PerItem smallest
	// informative hashes. 16 keeps the shipped file small and still
	// estimates the shared fraction to ±12% (one standard deviation at
	// one half).
	PerItem = 16
	// MinShingles is the fewest informative shingles an item needs to be
	// fingerprinted; an item with fewer (a one-line question in everyday
	// words) cannot be told from an ordinary request and is skipped.
	MinShingles = 6
	// MinShared is the fewest of an item's shingles a text must contain
	// to match it, beside half of them.
	MinShared = 4
	// bucketBits index the sorted hashes by their top bits, so a lookup
	// scans a short run instead of a binary search over the whole array.
	bucketBits = 12
	// presentBits index a bitmap of the hashes' top bits, which rejects
	// most shingles of a text (nearly all are in no item) with one read
	// of 32 KiB that stays in cache; the shipped set fills a sixth of it.
	presentBits = 18
)

// A Set holds the fingerprints of one or more benchmark suites: 64-bit
// shingle hashes sorted, each with the item it belongs to. Items are
// numbered from 0 suite after suite. A Set is immutable and safe for
// concurrent use.
type Set struct {
	suites  []SuiteInfo
	firsts  []uint32 // first item of each suite, ascending
	hashes  []uint64 // sorted; equal hashes of different items adjacent
	items   []uint32 // items[i] owns hashes[i]
	shingle []uint8  // shingles each item keeps (≤ PerItem)
	bucket  []uint32 // bucket[b] is the first index whose hash has top bits ≥ b
	present []uint64 // bit p is set when a stored hash has top bits p (presentBits of them)
}

// SuiteInfo names a suite and counts its items.
type SuiteInfo struct {
	Name string `json:"name"`
	// Items is the number of fingerprinted items.
	Items int `json:"items"`
	// Skipped counts items given to Build with fewer than MinShingles
	// informative shingles (nothing of them is kept).
	Skipped int `json:"skipped"`
}

// Hit is the item a text matched best.
type Hit struct {
	Suite  string `json:"suite"`
	Item   int    `json:"item"`   // index among the suite's fingerprinted items
	Shared int    `json:"shared"` // of the item's kept shingles, how many the text has
	Of     int    `json:"of"`     // the item's kept shingles
}

// Suites lists the suites with their item counts, in the set's order.
func (s *Set) Suites() []SuiteInfo { return slices.Clone(s.suites) }

// Items is the number of fingerprinted items over all suites.
func (s *Set) Items() int { return len(s.shingle) }

// Shingles is the number of hashes stored.
func (s *Set) Shingles() int { return len(s.hashes) }

// Match reports the suite of the benchmark item text carries, if any.
func (s *Set) Match(text string) (suite string, ok bool) {
	h, ok := s.Lookup(text)
	return h.Suite, ok
}

// Lookup is Match with the item and how much of it the text shares: of
// the items the text matches (several in a few-shot prompt), the one with
// the largest share of its shingles present, then the most shingles.
func (s *Set) Lookup(text string) (Hit, bool) {
	if s == nil || len(s.hashes) == 0 {
		return Hit{}, false
	}
	words, ends := normalize(make([]byte, 0, len(text)+8), make([]int, 0, len(text)/4+4), text)
	var found []uint64 // item<<32 | index in hashes, one per (item, stored shingle) present
	shingles(words, ends, func(_ int, h uint64) {
		if !s.has(h) {
			return
		}
		for i := s.find(h); i < len(s.hashes) && s.hashes[i] == h; i++ {
			found = append(found, uint64(s.items[i])<<32|uint64(i))
		}
	})
	return s.best(found)
}

// has reports whether h may be stored: false means it is not.
func (s *Set) has(h uint64) bool {
	p := h >> (64 - presentBits)
	return s.present[p/64]&(1<<(p%64)) != 0
}

// find returns the first index i with hashes[i] ≥ h.
func (s *Set) find(h uint64) int {
	b := h >> (64 - bucketBits)
	lo, hi := int(s.bucket[b]), int(s.bucket[b+1])
	if hi-lo > linearRun {
		return lo + sort.Search(hi-lo, func(j int) bool { return s.hashes[lo+j] >= h })
	}
	for lo < hi && s.hashes[lo] < h {
		lo++
	}
	return lo
}

// linearRun is the longest bucket find scans in order rather than by
// bisection (the shipped set's buckets hold about 11 hashes).
const linearRun = 32

// best counts the distinct stored shingles found per item (a text may
// repeat a shingle) and picks the best item that passes the threshold.
func (s *Set) best(found []uint64) (Hit, bool) {
	if len(found) < MinShared {
		return Hit{}, false
	}
	slices.Sort(found)
	found = slices.Compact(found)
	var best Hit
	bestItem := -1
	for i := 0; i < len(found); {
		item := uint32(found[i] >> 32)
		j := i
		for j < len(found) && uint32(found[j]>>32) == item {
			j++
		}
		shared, of := j-i, int(s.shingle[item])
		i = j
		if !matches(shared, of) {
			continue
		}
		if bestItem < 0 || shared*best.Of > best.Shared*of || (shared*best.Of == best.Shared*of && shared > best.Shared) {
			bestItem, best.Shared, best.Of = int(item), shared, of
		}
	}
	if bestItem < 0 {
		return Hit{}, false
	}
	suite := s.suiteOf(uint32(bestItem))
	best.Suite, best.Item = s.suites[suite].Name, bestItem-int(s.firsts[suite])
	return best, true
}

// suiteOf is the index of the suite an item belongs to.
func (s *Set) suiteOf(item uint32) int {
	return sort.Search(len(s.firsts), func(k int) bool { return s.firsts[k] > item }) - 1
}

// matches is the rule: at least half of the item's shingles, and at least
// MinShared.
func matches(shared, of int) bool { return shared >= MinShared && 2*shared >= of }

// entry is one stored shingle while a set is assembled.
type entry struct {
	hash uint64
	item uint32
}

// assemble makes a Set from its suites and entries (items numbered
// globally), sorting the entries and building the index.
func assemble(suites []SuiteInfo, entries []entry) *Set {
	s := &Set{suites: suites}
	total := 0
	for _, su := range suites {
		s.firsts = append(s.firsts, uint32(total))
		total += su.Items
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if a.hash != b.hash {
			return cmpU64(a.hash, b.hash)
		}
		return int(a.item) - int(b.item)
	})
	entries = slices.Compact(entries)
	s.hashes = make([]uint64, len(entries))
	s.items = make([]uint32, len(entries))
	s.shingle = make([]uint8, total)
	for i, e := range entries {
		s.hashes[i], s.items[i] = e.hash, e.item
		if s.shingle[e.item] < 255 {
			s.shingle[e.item]++
		}
	}
	s.present = make([]uint64, 1<<presentBits/64)
	for _, h := range s.hashes {
		p := h >> (64 - presentBits)
		s.present[p/64] |= 1 << (p % 64)
	}
	s.bucket = make([]uint32, 1<<bucketBits+1)
	for b := range s.bucket {
		s.bucket[b] = uint32(sort.Search(len(s.hashes), func(i int) bool { return s.hashes[i]>>(64-bucketBits) >= uint64(b) }))
	}
	return s
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// entries lists the set's shingles with global item numbers, for Merge and
// WriteTo.
func (s *Set) entries() []entry {
	out := make([]entry, len(s.hashes))
	for i := range s.hashes {
		out[i] = entry{s.hashes[i], s.items[i]}
	}
	return out
}
