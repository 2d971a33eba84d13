package logscan

import (
	"cmp"
	"slices"
)

// linkPasses bounds the linking passes. An item's rarity counts the
// independent users of it, not the heads of one operator: a hydra's
// hundred heads sharing its templates are one user of them, not a
// hundred. Which accounts are one operator is what linking finds, so
// linking is repeated, each pass counting an item's users as the distinct
// groups using it, where accounts are grouped by strong evidence of the
// other kind than the item's (not by the clusters, which the item's own
// evidence helped to make: a vendor's batch customers, sharing its
// template and client string, would otherwise merge step by step, each
// merge making the shared items rarer):
//
//   - a template or an opening: accounts sharing networks whose weight is
//     strong (½·ln N: at most √N accounts on them, or several commoner
//     ones) are one user: accounts on the same rare networks are not
//     independent draws of what they send;
//   - a network or a client string: accounts whose shared templates or
//     openings are strong are one user.
//
// Each pass only merges groups (fewer users, so every weight can only grow
// and every link stays), so the passes converge; an item common among
// accounts with nothing else in common (a browser string, a public
// benchmark's template, a carrier's network) stays common.
const linkPasses = 6

// grouping assigns each account a group (its smallest member) and lists
// the accounts group by group.
type grouping struct {
	of    []int32
	order []int32
}

// newGrouping is the grouping of of (nil: each account alone).
func newGrouping(of []int32, n int) grouping {
	if of == nil {
		of = make([]int32, n)
		for i := range of {
			of[i] = int32(i)
		}
	}
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(x, y int32) int { return cmp.Compare(of[x], of[y]) })
	return grouping{of: of, order: order}
}

// regroup sets the groupings for the next pass and clears the evidence.
func (l *linker) regroup(byNetwork, byContent grouping) {
	l.byNetwork, l.byContent = byNetwork, byContent
	l.items, l.pairs = nil, map[uint64]*pairEvidence{}
}

// link links the accounts, pass after pass (see linkPasses), and returns
// the last pass's groups and kept edges.
func (l *linker) link() (map[int][]int, map[int][]edge) {
	var groups map[int][]int
	var edges map[int][]edge
	for pass := 0; pass < linkPasses; pass++ {
		l.gather()
		groups, edges = l.linked()
		byNetwork := l.strongGroups(func(c *[nClasses]float64) float64 { return c[clNetwork] })
		byContent := l.strongGroups(func(c *[nClasses]float64) float64 { return max(c[clTemplate], c[clOpening]) })
		if pass == linkPasses-1 || (slices.Equal(byNetwork, l.byNetwork.of) && slices.Equal(byContent, l.byContent.of)) {
			break
		}
		l.regroup(newGrouping(byNetwork, len(l.names)), newGrouping(byContent, len(l.names)))
	}
	return groups, edges
}

// strongGroups joins the accounts of each pair whose evidence, as kind
// sums it from the pair's per-class sums (a network counted as a sign-up
// burst's left out, as in the rule), is strong; each account's group is
// its smallest member.
func (l *linker) strongGroups(kind func(*[nClasses]float64) float64) []int32 {
	uf := make(unionFind, len(l.names))
	for i := range uf {
		uf[i] = i
	}
	for k, p := range l.pairs {
		if c := classSums(p, l.items); kind(&c) >= l.rule.strong {
			uf.union(int(k>>32), int(uint32(k)))
		}
	}
	out := make([]int32, len(l.names))
	least := map[int]int32{}
	for i := range out {
		if _, ok := least[uf.find(i)]; !ok {
			least[uf.find(i)] = int32(i) // i ascends: the first is the smallest
		}
		out[i] = least[uf.find(i)]
	}
	return out
}

// countUsers counts, for each key in held, the independent users of it:
// the distinct groups of g among the accounts using it at all (uses yields
// an account's keys). Accounts are visited group by group, so a key's
// count grows when its last group differs; only held keys are counted, so
// memory stays with the candidate items.
func countUsers[K comparable](g grouping, held map[K][]int32, uses func(i int, f func(K))) map[K]int {
	type seen struct {
		n    int
		last int32
	}
	counts := make(map[K]*seen, len(held))
	for _, i := range g.order {
		grp := g.of[i]
		uses(int(i), func(k K) {
			if _, ok := held[k]; !ok {
				return
			}
			c := counts[k]
			if c == nil {
				c = &seen{last: -1}
				counts[k] = c
			}
			if c.last != grp {
				c.n++
				c.last = grp
			}
		})
	}
	out := make(map[K]int, len(counts))
	for k, c := range counts {
		out[k] = c.n
	}
	return out
}
