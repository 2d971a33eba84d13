package logscan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Thresholds for an account to hold an item as its own: a template or an
// opening used often, a network or a client string carrying a good share
// of its requests (a head rotating over five /24s sends a fifth from each).
const (
	linkTemplateMin = 5 // uses of a template or an opening in each account
	linkTemplateLen = 4 // masked words a template needs to be specific
	linkOpeningFrac = 0.1
	linkSourceMin   = 3 // requests from a network or with a client string
	linkSourceFrac  = 0.05
	linkNetRequests = 10 // requests an account needs for its sources to count
)

// linker gathers the evidence that two accounts (indices into names, which
// are sorted) are run by one hand. Pairs come only from items few accounts
// use (inverted indexes capped at rareCap users) and from sketches that
// agree on a band: no loop over all pairs.
type linker struct {
	s     *Scanner
	names []string
	accts []*account
	rule  linkRule
	items []item
	pairs map[uint64]*pairEvidence
	// An item's users are counted as the distinct groups using it (see
	// linkPasses): accounts sharing strong networks are one user of a
	// template or an opening, accounts sharing strong templates or
	// openings one user of a network or a client string.
	byNetwork, byContent grouping
}

// item is one piece of shared evidence: what it is, how many accounts use
// it, and its weight.
type item struct {
	class  itemClass
	text   string
	users  int
	weight float64
	net    string // the network of a network item or a sign-up burst
}

type pairEvidence struct{ ev []evItem }

type evItem struct {
	item   int32
	weight float64
}

func newLinker(s *Scanner, names []string) *linker {
	l := &linker{s: s, names: names, rule: newLinkRule(len(names)), pairs: map[uint64]*pairEvidence{}}
	l.accts = make([]*account, len(names))
	for i, n := range names {
		l.accts[i] = s.accounts[n]
	}
	l.regroup(newGrouping(nil, len(names)), newGrouping(nil, len(names)))
	return l
}

func pairKey(a, b int32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(uint32(b))
}

// addPair records item it (already in l.items) between accounts a and b.
func (l *linker) addPair(id int32, w float64, a, b int32) {
	k := pairKey(a, b)
	p := l.pairs[k]
	if p == nil {
		p = &pairEvidence{}
		l.pairs[k] = p
	}
	p.ev = append(p.ev, evItem{id, w})
}

// addItem records it between every two of members (ascending, at most
// rareCap of them), or between consecutive members when chain is set.
func (l *linker) addItem(it item, members []int32, chain bool) {
	id := int32(len(l.items))
	l.items = append(l.items, it)
	for x := range members {
		if chain {
			if x > 0 {
				l.addPair(id, it.weight, members[x-1], members[x])
			}
			continue
		}
		for y := x + 1; y < len(members); y++ {
			l.addPair(id, it.weight, members[x], members[y])
		}
	}
}

// index turns an inverted index (item key → accounts holding it) into
// evidence, in key order (each key's accounts ascending, as the scans
// append them): users counts the independent users of each key (see
// linkPasses), limit is the rarity cap. An item held by more than rareMax
// accounts makes no pairs however few its independent users, so that the
// pairs stay linear in the accounts (a larger operator links through its
// other items).
func index[K cmp.Ordered](l *linker, class itemClass, held map[K][]int32, users func(K) int, limit int, text func(K) string) {
	keys := make([]K, 0, len(held))
	for k, m := range held {
		if len(m) >= 2 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		// An item held within one group only is still shared (by its
		// heads): at least two users.
		u := max(users(k), 2)
		w := l.rule.weight(u, limit)
		if w <= 0 || len(held[k]) > rareMax {
			continue
		}
		it := item{class: class, text: text(k), users: u, weight: w}
		if class == clNetwork {
			it.net = fmt.Sprint(k)
		}
		l.addItem(it, held[k], false)
	}
}

// templates indexes the specific templates accounts use often.
func (l *linker) templates() {
	held := map[uint64][]int32{}
	text := map[uint64]string{}
	for i, a := range l.accts {
		for sig, c := range a.templates {
			if c >= linkTemplateMin && len(strings.Fields(a.templateText[sig])) >= linkTemplateLen {
				held[sig] = append(held[sig], int32(i))
				text[sig] = a.templateText[sig]
			}
		}
	}
	users := countUsers(l.byNetwork, held, func(i int, f func(uint64)) {
		for sig := range l.accts[i].templates {
			f(sig)
		}
	})
	index(l, clTemplate, held, func(k uint64) int { return users[k] }, rareCap(len(l.names)),
		func(k uint64) string { return fmt.Sprintf("template %q", text[k]) })
}

// openings indexes the five-word openings accounts use often.
func (l *linker) openings() {
	held := map[uint64][]int32{}
	text := map[uint64]string{}
	for i, a := range l.accts {
		for h, c := range a.prefixes {
			if c >= linkTemplateMin && float64(c) >= linkOpeningFrac*float64(a.prompts) {
				held[h] = append(held[h], int32(i))
				if t, ok := a.prefixText[h]; ok {
					text[h] = t
				}
			}
		}
	}
	users := countUsers(l.byNetwork, held, func(i int, f func(uint64)) {
		for h := range l.accts[i].prefixes {
			f(h)
		}
	})
	index(l, clOpening, held, func(k uint64) int { return users[k] }, rareCap(len(l.names)),
		func(k uint64) string { return fmt.Sprintf("opening %q", text[k]) })
}

// sources indexes the networks and the client strings accounts send a good
// share of their requests from.
func (l *linker) sources() {
	nets, agents := map[string][]int32{}, map[string][]int32{}
	for i, a := range l.accts {
		if a.requests < linkNetRequests {
			continue
		}
		holds := func(c int) bool { return c >= linkSourceMin && float64(c) >= linkSourceFrac*float64(a.requests) }
		for net, c := range a.nets {
			if holds(c) {
				nets[net] = append(nets[net], int32(i))
			}
		}
		for ua, c := range a.agents {
			if holds(c) {
				agents[ua] = append(agents[ua], int32(i))
			}
		}
	}
	netUsers := countUsers(l.byContent, nets, func(i int, f func(string)) {
		for net := range l.accts[i].nets {
			f(net)
		}
	})
	agentUsers := countUsers(l.byContent, agents, func(i int, f func(string)) {
		for ua := range l.accts[i].agents {
			f(ua)
		}
	})
	n := len(l.names)
	index(l, clNetwork, nets, func(k string) int { return netUsers[k] }, netCap(n), func(k string) string { return "network " + k })
	index(l, clClient, agents, func(k string) int { return agentUsers[k] }, rareCap(n), func(k string) string { return fmt.Sprintf("client %q", k) })
}
