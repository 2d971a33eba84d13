package logscan

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
)

// Link thresholds.
const (
	linkTemplateMin  = 5   // uses of a shared template in each account
	linkTemplateLen  = 4   // masked words a template needs to be specific
	linkNetShare     = 0.5 // share of each account's requests from one /24
	linkNetRequests  = 10
	linkMinuteJacc   = 0.5 // Jaccard of active minutes
	linkMinutesLeast = 30
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

// Kinds of evidence that two accounts are run by one hand. A link needs
// two different kinds: colleagues share an office network, batch jobs share
// a template, busy people share working hours, and none of those alone
// makes a campaign; a hydra shares its harvest template and its servers.
const (
	evContent  = 1 << iota // a specific prompt template used often by both
	evInfra                // the same /24 (or /48) for most requests, or a rare client string
	evSchedule             // mostly the same active minutes
)

// A user agent, a prompt opening or a template counts as evidence only if
// few accounts use it at all: at most linkRareShare of them, or
// linkRareMin in a small log (a browser string, a common phrase or a
// common task does not count).
const (
	linkRareShare   = 0.05
	linkRareMin     = 10
	linkPrefixShare = 0.3 // share of an account's prompts with the opening
	// A network shared by more accounts than this (or this share of all)
	// is shared infrastructure (a carrier NAT, a cloud range), not evidence.
	linkNetMax      = 64
	linkNetShareMax = 0.05
)

// clusters links accounts with at least two kinds of shared evidence and
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
	l := &linker{s: s, names: names, pairs: map[[2]int]*evidence{}, text: map[string]string{},
		rare: max(linkRareMin, int(linkRareShare*float64(len(names))))}
	// The order matters: a pair keeps the first few reasons of each kind.
	l.templates()
	l.openings()
	l.infrastructure()
	l.schedules()
	groups, reasons := l.linked()
	var out []ClusterReport
	for _, members := range groups {
		if len(members) >= 2 {
			out = append(out, s.clusterReport(rep, names, members, reasons, ref))
		}
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

// linker gathers the evidence that two accounts (indices into names) are
// run by one hand.
type linker struct {
	s     *Scanner
	names []string
	// rare is how many accounts may share a client string, an opening or
	// a template for it to count as evidence.
	rare  int
	pairs map[[2]int]*evidence
	text  map[string]string // template and opening keys → their text
}

type evidence struct {
	kinds   int
	reasons []string
}

// note records evidence of a kind between accounts a and b.
func (l *linker) note(a, b, kind int, why string) {
	if a > b {
		a, b = b, a
	}
	e := l.pairs[[2]int{a, b}]
	if e == nil {
		e = &evidence{}
		l.pairs[[2]int{a, b}] = e
	}
	if e.kinds&kind == 0 || len(e.reasons) < 4 {
		e.reasons = append(e.reasons, why)
	}
	e.kinds |= kind
}

// noteGroups records evidence between every two members of each group
// (groups are keyed in sorted order, so the result is deterministic).
func (l *linker) noteGroups(groups map[string][]int, kind int, why func(key string) string) {
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m := groups[k]
		for x := 0; x < len(m); x++ {
			for y := x + 1; y < len(m); y++ {
				l.note(m[x], m[y], kind, why(k))
			}
		}
	}
}

// templates links accounts by the frequent, specific templates they share.
func (l *linker) templates() {
	byTemplate := map[string][]int{}
	for i, n := range l.names {
		a := l.s.accounts[n]
		for sig, c := range a.templates {
			if c >= linkTemplateMin && len(strings.Fields(a.templateText[sig])) >= linkTemplateLen {
				k := fmt.Sprintf("%016x", sig)
				byTemplate[k] = append(byTemplate[k], i)
				l.text[k] = a.templateText[sig]
			}
		}
	}
	for k, m := range byTemplate {
		if len(m) > l.rare {
			delete(byTemplate, k) // a template many accounts use is a common task, not a link
		}
	}
	l.noteGroups(byTemplate, evContent, func(k string) string { return fmt.Sprintf("template %q", l.text[k]) })
}

// openings links accounts by the same first words in a good share of
// both accounts' prompts, where few accounts use them at all (a phrase
// everyone uses, "can you help me with", is language, not a link).
func (l *linker) openings() {
	byPrefix := map[string][]int{}
	prefixUsers := map[uint64]int{} // accounts using an opening at all
	prefixOf := map[string]uint64{}
	for i, n := range l.names {
		a := l.s.accounts[n]
		for h, c := range a.prefixes {
			prefixUsers[h]++
			if c >= linkTemplateMin && float64(c) >= linkPrefixShare*float64(a.prompts) {
				k := fmt.Sprintf("%016x", h)
				byPrefix[k] = append(byPrefix[k], i)
				prefixOf[k] = h
				if t, ok := a.prefixText[h]; ok {
					l.text[k] = t
				}
			}
		}
	}
	for k, m := range byPrefix {
		if prefixUsers[prefixOf[k]] > l.rare || len(m) > l.rare {
			delete(byPrefix, k)
		}
	}
	l.noteGroups(byPrefix, evContent, func(k string) string { return fmt.Sprintf("opening %q", l.text[k]) })
}

// infrastructure links accounts that send most of their requests from one
// network, or with one rare client string.
func (l *linker) infrastructure() {
	byNet := map[string][]int{}
	byAgent := map[string][]int{}
	agentUsers := map[string]int{}
	for _, n := range l.names {
		for ua := range l.s.accounts[n].agents {
			agentUsers[ua]++
		}
	}
	for i, n := range l.names {
		a := l.s.accounts[n]
		if a.requests < linkNetRequests {
			continue
		}
		for net, c := range a.nets {
			if float64(c) >= linkNetShare*float64(a.requests) {
				byNet[net] = append(byNet[net], i)
			}
		}
		for ua, c := range a.agents {
			if float64(c) >= linkNetShare*float64(a.requests) {
				byAgent[ua] = append(byAgent[ua], i)
			}
		}
	}
	for net, m := range byNet {
		if len(m) > max(linkNetMax, int(linkNetShareMax*float64(len(l.names)))) {
			delete(byNet, net) // a carrier NAT or a cloud range, not one operator
		}
	}
	l.noteGroups(byNet, evInfra, func(k string) string { return "network " + k })
	for ua, m := range byAgent {
		if agentUsers[ua] > l.rare || len(m) > l.rare {
			delete(byAgent, ua)
		}
	}
	l.noteGroups(byAgent, evInfra, func(k string) string { return fmt.Sprintf("client %q", k) })
}

// schedules links accounts active in mostly the same minutes (pairwise
// over accounts active enough; the count of such accounts is small in
// practice).
func (l *linker) schedules() {
	var busy []int
	for i, n := range l.names {
		if len(l.s.accounts[n].minutes) >= linkMinutesLeast {
			busy = append(busy, i)
		}
	}
	for x := 0; x < len(busy); x++ {
		for y := x + 1; y < len(busy); y++ {
			a, b := l.s.accounts[l.names[busy[x]]], l.s.accounts[l.names[busy[y]]]
			inter := 0
			for m := range a.minutes {
				if _, ok := b.minutes[m]; ok {
					inter++
				}
			}
			union := len(a.minutes) + len(b.minutes) - inter
			if union > 0 && float64(inter)/float64(union) >= linkMinuteJacc {
				l.note(busy[x], busy[y], evSchedule, fmt.Sprintf("%d shared active minutes", inter))
			}
		}
	}
}

// linked joins the pairs with two kinds of evidence or more into groups
// (keyed by a representative; singletons included), and returns the
// reasons of each linked pair.
func (l *linker) linked() (map[int][]int, map[[2]int][]string) {
	uf := make(unionFind, len(l.names))
	for i := range uf {
		uf[i] = i
	}
	reasons := map[[2]int][]string{}
	for k, e := range l.pairs {
		if bits.OnesCount(uint(e.kinds)) >= 2 {
			reasons[k] = e.reasons
			uf.union(k[0], k[1])
		}
	}
	groups := map[int][]int{}
	for i := range l.names {
		groups[uf.find(i)] = append(groups[uf.find(i)], i)
	}
	return groups, reasons
}

// clusterReport judges a group of linked accounts as one.
func (s *Scanner) clusterReport(rep *Report, names []string, members []int, reasons map[[2]int][]string, ref *reference) ClusterReport {
	sort.Ints(members)
	merged := newAccount("cluster", len(s.env.tax.Names))
	cr := ClusterReport{}
	in := map[int]bool{}
	for _, m := range members {
		in[m] = true
		cr.Accounts = append(cr.Accounts, names[m])
		merged.merge(s.accounts[names[m]])
	}
	for k, why := range reasons {
		if in[k[0]] {
			cr.Links = append(cr.Links, fmt.Sprintf("%s–%s: %s", names[k[0]], names[k[1]], strings.Join(why, ", ")))
		}
	}
	sort.Strings(cr.Links)
	cr.Requests = merged.requests
	cr.Indicators = s.judge(merged, false)
	var accts []*account
	for _, m := range members {
		accts = append(accts, s.accounts[names[m]])
	}
	campaignBreadth(cr.Indicators, accts)
	cr.Verdict = ref.clusterVerdict(cr.Indicators, s.cfg, rep, names, members)
	return cr
}

// merge adds another account's countable features (not its timing).
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
