package benchmarks

import (
	"slices"
)

// Build fingerprints a suite's items. Shingles found in more than
// maxItemsSharing(len(items)) items are the suite's boilerplate (a shared
// instruction, "write a python function to") and are dropped with the
// function-word-only ones; items left with fewer than MinShingles are
// counted as skipped.
func Build(suite string, items []string) *Set {
	perItem := make([][]uint64, len(items))
	df := map[uint64]int{}
	var words []byte
	var ends []int
	for i, text := range items {
		words, ends = normalize(words[:0], ends[:0], text)
		var hs []uint64
		shingles(words, ends, func(last int, h uint64) {
			if hasContentWord(words, ends, last-Shingle+1, last) {
				hs = append(hs, h)
			}
		})
		slices.Sort(hs)
		hs = slices.Compact(hs)
		for _, h := range hs {
			df[h]++
		}
		perItem[i] = hs
	}
	limit := maxItemsSharing(len(items))
	info := SuiteInfo{Name: suite}
	var entries []entry
	for _, hs := range perItem {
		kept := hs[:0]
		for _, h := range hs {
			if df[h] <= limit {
				kept = append(kept, h)
			}
		}
		if len(kept) < MinShingles {
			info.Skipped++
			continue
		}
		for _, h := range kept[:min(len(kept), PerItem)] { // sorted: the bottom-k sample
			entries = append(entries, entry{h, uint32(info.Items)})
		}
		info.Items++
	}
	return assemble([]SuiteInfo{info}, entries)
}

// maxItemsSharing is how many items of a suite of n may share a shingle
// before it counts as the suite's boilerplate: 3, or one item in 200 of a
// large suite.
func maxItemsSharing(n int) int { return max(3, n/200) }

// Merge returns a set with the suites of s followed by those of o; a suite
// of s that o also names is replaced by o's (so rebuilding a suite and
// merging it into the shipped set updates it). Each suite keeps its own
// boilerplate filtering.
func (s *Set) Merge(o *Set) *Set {
	replaced := map[string]bool{}
	for _, su := range o.suites {
		replaced[su.Name] = true
	}
	var suites []SuiteInfo
	newItem := make([]int64, len(s.shingle)) // -1: the item's suite is replaced
	next := int64(0)
	for k, su := range s.suites {
		for i := 0; i < su.Items; i++ {
			newItem[int(s.firsts[k])+i] = -1
			if !replaced[su.Name] {
				newItem[int(s.firsts[k])+i] = next
				next++
			}
		}
		if !replaced[su.Name] {
			suites = append(suites, su)
		}
	}
	var entries []entry
	for _, e := range s.entries() {
		if n := newItem[e.item]; n >= 0 {
			entries = append(entries, entry{e.hash, uint32(n)})
		}
	}
	for _, e := range o.entries() {
		entries = append(entries, entry{e.hash, e.item + uint32(next)})
	}
	return assemble(append(suites, o.suites...), entries)
}
