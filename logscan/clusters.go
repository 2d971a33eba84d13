package logscan

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

type unionFind []int

func (u unionFind) find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

func (u unionFind) union(a, b int) { u[u.find(a)] = u.find(b) }

// clusters links accounts by rare shared evidence (see linkRule) and
// judges each group of two or more as one account: a "hydra" keeps every
// head under the per-account limits, but the body covers the model's
// abilities all the same.
func (s *Scanner) clusters(rep *Report, ref *reference) []ClusterReport {
	names := make([]string, len(rep.Accounts))
	idx := map[string]int{}
	for i, ar := range rep.Accounts {
		names[i] = ar.Account
		idx[ar.Account] = i
	}
	l := newLinker(s, names)
	groups, edges := l.link()
	roots := make([]int, 0, len(groups))
	for r, members := range groups {
		if len(members) >= 2 {
			roots = append(roots, r)
		}
	}
	slices.Sort(roots)
	var out []ClusterReport
	for _, r := range roots {
		out = append(out, s.clusterReport(l, groups[r], edges[r], rep, ref))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Accounts[0] < out[j].Accounts[0]
	})
	for i := range out {
		out[i].ID = i + 1
		for _, n := range out[i].Accounts {
			rep.Accounts[idx[n]].Cluster = out[i].ID
		}
	}
	return out
}

// gather collects every kind of evidence (lifecycles last: they only
// add to pairs with other evidence). Names must be sorted, so that the
// items, their pairs and every sum come out in one order whatever the
// order the log was read in.
func (l *linker) gather() {
	l.templates()
	l.openings()
	l.sources()
	l.schedules()
	if len(l.s.business) > 0 {
		l.payers()
		l.bursts()
	}
	l.cohorts()
	l.lifecycles()
}

// edge is a linked pair with its evidence per kind.
type edge struct {
	a, b  int32
	kinds [nKinds]float64
	total float64
	ev    *pairEvidence
}

// linked applies the rule to every pair with evidence and joins the linked
// pairs strongest first (Kruskal's algorithm): the edges kept are a
// maximum spanning forest of the link graph, the fewest links that explain
// each cluster, each the strongest available. It returns the groups
// (singletons included) and the kept edges, both keyed by the group's
// representative.
func (l *linker) linked() (map[int][]int, map[int][]edge) {
	var all []edge
	for k, p := range l.pairs {
		kinds := l.rule.kinds(p, l.items)
		if !l.rule.links(kinds) {
			continue
		}
		e := edge{a: int32(k >> 32), b: int32(uint32(k)), kinds: kinds, ev: p}
		for _, v := range kinds {
			e.total += v
		}
		all = append(all, e)
	}
	slices.SortFunc(all, func(x, y edge) int {
		if c := cmp.Compare(y.total, x.total); c != 0 {
			return c
		}
		return cmp.Compare(pairKey(x.a, x.b), pairKey(y.a, y.b))
	})
	uf := make(unionFind, len(l.names))
	for i := range uf {
		uf[i] = i
	}
	var kept []edge
	for _, e := range all {
		if uf.find(int(e.a)) != uf.find(int(e.b)) {
			uf.union(int(e.a), int(e.b))
			kept = append(kept, e)
		}
	}
	groups := map[int][]int{}
	for i := range l.names {
		groups[uf.find(i)] = append(groups[uf.find(i)], i)
	}
	edges := map[int][]edge{}
	for _, e := range kept {
		r := uf.find(int(e.a))
		edges[r] = append(edges[r], e)
	}
	return groups, edges
}

// linkItemsShown is how many items of each kind a link reports.
const linkItemsShown = 4

// details lists a kept edge's evidence item by item, by kind and then by
// weight (a network counted as a sign-up burst's is left out, as in the
// rule).
func (l *linker) details(e edge) []Link {
	burstNets := burstNetworks(e.ev, l.items)
	var out []Link
	for _, x := range e.ev.ev {
		it := l.items[x.item]
		if it.class == clNetwork && burstNets[it.net] {
			continue
		}
		out = append(out, Link{A: l.names[e.a], B: l.names[e.b], Kind: it.class.kind(), Item: it.text,
			Weight: math.Round(x.weight*100) / 100})
	}
	kindRank := func(k string) int { return slices.Index(kindNames[:], k) }
	slices.SortStableFunc(out, func(x, y Link) int {
		if c := cmp.Compare(kindRank(x.Kind), kindRank(y.Kind)); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Weight, x.Weight); c != 0 {
			return c
		}
		return cmp.Compare(x.Item, y.Item)
	})
	shown := map[string]int{}
	return slices.DeleteFunc(out, func(x Link) bool { shown[x.Kind]++; return shown[x.Kind] > linkItemsShown })
}

// summary is a link's line in ClusterReport.Links: each kind's capped
// evidence and its items.
func (l *linker) summary(e edge, details []Link) string {
	var parts []string
	for k, name := range kindNames {
		if e.kinds[k] == 0 {
			continue
		}
		var items []string
		for _, d := range details {
			if d.Kind == name {
				items = append(items, d.Item)
			}
		}
		parts = append(parts, fmt.Sprintf("%s %.1f (%s)", name, e.kinds[k], strings.Join(items, ", ")))
	}
	return fmt.Sprintf("%s–%s: %s", l.names[e.a], l.names[e.b], strings.Join(parts, "; "))
}

// clusterReport judges a group of linked accounts as one: the members'
// features are merged, so the union's topic coverage is judged.
func (s *Scanner) clusterReport(l *linker, members []int, edges []edge, rep *Report, ref *reference) ClusterReport {
	sort.Ints(members)
	merged := newAccount("cluster", len(s.env.tax.Names))
	cr := ClusterReport{}
	for _, m := range members {
		cr.Accounts = append(cr.Accounts, l.names[m])
		merged.merge(s.accounts[l.names[m]])
	}
	slices.SortFunc(edges, func(x, y edge) int { return cmp.Compare(pairKey(x.a, x.b), pairKey(y.a, y.b)) })
	for _, e := range edges {
		d := l.details(e)
		cr.LinkDetails = append(cr.LinkDetails, d...)
		cr.Links = append(cr.Links, l.summary(e, d))
	}
	cr.Requests = merged.requests
	cr.Indicators = s.judge(merged, false)
	var accts []*account
	for _, m := range members {
		accts = append(accts, s.accounts[l.names[m]])
	}
	campaignBreadth(cr.Indicators, accts)
	reports := make([]*AccountReport, len(members))
	for i, m := range members {
		reports[i] = &rep.Accounts[m] // names are rep.Accounts' in order (clusters)
	}
	cr.Verdict = ref.clusterVerdict(cr.Indicators, s.cfg, reports, merged.value.completionTok)
	return cr
}

// merge adds another account's countable features and its active minutes
// (not the rest of its timing).
func (a *account) merge(b *account) {
	a.requests += b.requests
	a.tokens += b.tokens
	a.prompts += b.prompts
	a.cot += b.cot
	a.nearDup += b.nearDup
	a.logprobs += b.logprobs
	a.logitBias += b.logitBias
	a.multiN += b.multiN
	a.lowTemp += b.lowTemp
	a.value.merge(&b.value)
	if a.first.IsZero() || b.first.Before(a.first) {
		a.first = b.first
	}
	if b.last.After(a.last) {
		a.last = b.last
	}
	a.minutes.merge(&b.minutes)
	for i, h := range b.topicHits {
		a.topicHits[i] += h
	}
	for k, v := range b.templates {
		a.templates[k] += v
		if _, ok := a.templateText[k]; !ok {
			a.templateText[k] = b.templateText[k]
		}
	}
	for k, v := range b.temps {
		a.temps[k] += v
	}
	// Prompt-length moments combine exactly (Chan et al.'s parallel
	// variance formula).
	if b.lenN > 0 {
		n := a.lenN + b.lenN
		d := b.lenMean - a.lenMean
		a.lenM2 += b.lenM2 + d*d*float64(a.lenN)*float64(b.lenN)/float64(n)
		a.lenMean += d * float64(b.lenN) / float64(n)
		a.lenN = n
	}
}
