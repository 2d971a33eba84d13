package monitor

import (
	"fmt"
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

// clusters links accounts that share a specific prompt template, a network,
// or an activity schedule, and judges each group of two or more as one
// account: a "hydra" keeps every head under the per-account limits, but
// the body covers the model's abilities all the same.
func (s *Scanner) clusters(rep *Report) []ClusterReport {
	names := make([]string, len(rep.Accounts))
	idx := map[string]int{}
	for i, ar := range rep.Accounts {
		names[i] = ar.Account
		idx[ar.Account] = i
	}
	uf := make(unionFind, len(names))
	for i := range uf {
		uf[i] = i
	}
	reasons := map[[2]int][]string{}
	link := func(a, b int, why string) {
		if a > b {
			a, b = b, a
		}
		reasons[[2]int{a, b}] = append(reasons[[2]int{a, b}], why)
		uf.union(a, b)
	}
	// Shared templates: index accounts by their frequent, specific ones.
	byTemplate := map[uint64][]int{}
	for i, n := range names {
		a := s.accounts[n]
		for sig, c := range a.templates {
			if c >= linkTemplateMin && len(strings.Fields(a.templateText[sig])) >= linkTemplateLen {
				byTemplate[sig] = append(byTemplate[sig], i)
			}
		}
	}
	sigs := make([]uint64, 0, len(byTemplate))
	for sig := range byTemplate {
		sigs = append(sigs, sig)
	}
	sort.Slice(sigs, func(i, j int) bool { return sigs[i] < sigs[j] })
	for _, sig := range sigs {
		members := byTemplate[sig]
		for _, m := range members[1:] {
			link(members[0], m, fmt.Sprintf("template %q", s.accounts[names[members[0]]].templateText[sig]))
		}
	}
	// Shared networks.
	byNet := map[string][]int{}
	for i, n := range names {
		a := s.accounts[n]
		if a.requests < linkNetRequests {
			continue
		}
		for net, c := range a.nets {
			if float64(c) >= linkNetShare*float64(a.requests) {
				byNet[net] = append(byNet[net], i)
			}
		}
	}
	nets := make([]string, 0, len(byNet))
	for n := range byNet {
		nets = append(nets, n)
	}
	sort.Strings(nets)
	for _, net := range nets {
		members := byNet[net]
		for _, m := range members[1:] {
			link(members[0], m, "network "+net)
		}
	}
	// Shared schedules (pairwise over accounts active enough; the count of
	// such accounts is small in practice).
	var busy []int
	for i, n := range names {
		if len(s.accounts[n].minutes) >= linkMinutesLeast {
			busy = append(busy, i)
		}
	}
	for x := 0; x < len(busy); x++ {
		for y := x + 1; y < len(busy); y++ {
			a, b := s.accounts[names[busy[x]]], s.accounts[names[busy[y]]]
			inter := 0
			for m := range a.minutes {
				if _, ok := b.minutes[m]; ok {
					inter++
				}
			}
			union := len(a.minutes) + len(b.minutes) - inter
			if union > 0 && float64(inter)/float64(union) >= linkMinuteJacc {
				link(busy[x], busy[y], fmt.Sprintf("%d shared active minutes", inter))
			}
		}
	}
	groups := map[int][]int{}
	for i := range names {
		groups[uf.find(i)] = append(groups[uf.find(i)], i)
	}
	var out []ClusterReport
	for _, members := range groups {
		if len(members) < 2 {
			continue
		}
		sort.Ints(members)
		merged := newAccount("cluster", len(s.tax.Names))
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
		cr.Risk, cr.Fired = combine(cr.Indicators, s.cfg.Rules)
		cr.Action, _ = s.action(cr.Risk)
		out = append(out, cr)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Risk != out[j].Risk {
			return out[i].Risk > out[j].Risk
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
