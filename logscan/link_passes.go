package logscan

import (
	"cmp"
	"slices"
)

// linkPasses bounds the linking passes. An item's rarity counts the
// independent users of it, not the heads of one operator: a hydra's
// hundred heads sharing its templates are one user of them, not a
// hundred. Which accounts are one operator is what linking finds, so
// linking is repeated with each item's users counted as distinct groups
// of the last pass:
//
//   - a network or a client string: the clusters using it;
//   - a template or an opening: the related accounts using it, where
//     accounts are related when in one cluster or when they share
//     networks whose weight is strong (½·ln N: at most √N accounts on
//     them, or several commoner ones). Accounts on the same rare networks
//     are not independent draws of what they send; a template shared
//     within such a group is judged by how many other groups use it.
//     Infrastructure kinds are counted by clusters only, so no item is
//     made rarer by evidence of its own kind.
//
// Each pass only merges groups (fewer users, so every weight can only grow
// and every link stays), so the passes converge; an item common among
// independent accounts (a browser string, a public benchmark's template,
// a carrier's network) stays common whatever the groups.
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
func (l *linker) regroup(clusters, related grouping) {
	l.clusters, l.related = clusters, related
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
		clusters := make([]int32, len(l.names))
		for _, members := range groups {
			for _, m := range members {
				clusters[m] = int32(members[0]) // members ascend: the smallest
			}
		}
		related := l.relatedGroups(clusters)
		if pass == linkPasses-1 || (slices.Equal(clusters, l.clusters.of) && slices.Equal(related, l.related.of)) {
			break
		}
		l.regroup(newGrouping(clusters, len(l.names)), newGrouping(related, len(l.names)))
	}
	return groups, edges
}

// relatedGroups joins the clusters with the pairs of accounts whose
// shared networks are strong evidence (a network counted as a sign-up
// burst's left out, as in the rule).
func (l *linker) relatedGroups(clusters []int32) []int32 {
	uf := make(unionFind, len(l.names))
	for i := range uf {
		uf[i] = i
	}
	for i, c := range clusters {
		uf.union(i, int(c))
	}
	for k, p := range l.pairs {
		burstNets := burstNetworks(p, l.items)
		net := 0.0
		for _, e := range p.ev {
			if it := l.items[e.item]; it.class == clNetwork && !burstNets[it.net] {
				net += e.weight
			}
		}
		if net >= l.rule.strong {
			uf.union(int(k>>32), int(uint32(k)))
		}
	}
	out := make([]int32, len(l.names))
	least := map[int]int32{}
	for i := range out {
		r := uf.find(i)
		if v, ok := least[r]; !ok || int32(i) < v {
			least[r] = int32(i)
		}
	}
	for i := range out {
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
