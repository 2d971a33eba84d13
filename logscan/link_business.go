package logscan

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"
)

// SetAccounts gives the scan the accounts file (business context by
// account name). Linking reads org_id and payment_id (accounts of one
// payer are one operator) and sign-up and key-creation times (bursts from
// one network). Call it before Report.
func (s *Scanner) SetAccounts(a Accounts) { s.business = a }

// Business thresholds.
const (
	// burstGap: sign-ups or key creations from one network no further
	// apart than this form one burst; a burst needs burstMin accounts.
	burstGap = 10 * time.Minute
	burstMin = 3
	// lifecycleGap: an account that starts within this time after another
	// stopped may be its replacement.
	lifecycleGap = 30 * time.Minute
)

// payers links the accounts that share an org_id or a payment_id, each
// group as a chain (consecutive accounts in name order): the whole group
// is one operator and a chain is enough to join it, with no pairs to
// enumerate.
func (l *linker) payers() {
	fields := []struct {
		name string
		get  func(*AccountInfo) string
	}{
		{"org_id", func(a *AccountInfo) string { return a.OrgID }},
		{"payment_id", func(a *AccountInfo) string { return a.PaymentID }},
	}
	for _, f := range fields {
		held := map[string][]int32{}
		for i, n := range l.names {
			if inf := l.s.business[n]; inf != nil && f.get(inf) != "" {
				held[f.get(inf)] = append(held[f.get(inf)], int32(i))
			}
		}
		keys := make([]string, 0, len(held))
		for k, m := range held {
			if len(m) >= 2 {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			l.addItem(item{class: clPayer, text: fmt.Sprintf("%s %q", f.name, k), users: len(held[k]),
				weight: l.rule.overwhelming}, held[k], true)
		}
	}
}

// bursts finds sign-ups and key creations of several accounts within
// minutes of each other from one network (the network most of each
// account's requests came from).
func (l *linker) bursts() {
	type event struct {
		t    time.Time
		acct int32
	}
	byNet := map[string][]event{}
	for i, n := range l.names {
		inf := l.s.business[n]
		net := mainNet(l.accts[i])
		if inf == nil || net == "" {
			continue
		}
		if !inf.Created.IsZero() {
			byNet[net] = append(byNet[net], event{inf.Created, int32(i)})
		}
		for _, t := range inf.KeysCreated {
			byNet[net] = append(byNet[net], event{t, int32(i)})
		}
	}
	nets := make([]string, 0, len(byNet))
	for net := range byNet {
		nets = append(nets, net)
	}
	slices.Sort(nets)
	for _, net := range nets {
		ev := byNet[net]
		slices.SortFunc(ev, func(x, y event) int {
			if c := x.t.Compare(y.t); c != 0 {
				return c
			}
			return cmp.Compare(x.acct, y.acct)
		})
		for start := 0; start < len(ev); {
			end := start + 1
			for end < len(ev) && ev[end].t.Sub(ev[end-1].t) <= burstGap {
				end++
			}
			members := make([]int32, 0, end-start)
			for _, e := range ev[start:end] {
				members = append(members, e.acct)
			}
			slices.Sort(members)
			members = slices.Compact(members)
			if w := l.rule.weight(len(members), rareCap(len(l.names))); len(members) >= burstMin && w > 0 {
				l.addItem(item{class: clBurst, users: len(members), weight: w, net: net,
					text: fmt.Sprintf("%d accounts created or keyed from %s within %s from %s", len(members), net,
						ev[end-1].t.Sub(ev[start].t).Round(time.Second), ev[start].t.UTC().Format(time.RFC3339))}, members, false)
			}
			start = end
		}
	}
}

// mainNet is the network most of an account's requests came from (the
// smaller name on a tie).
func mainNet(a *account) string {
	best, bestN := "", 0
	for net, c := range a.nets {
		if c > bestN || (c == bestN && net < best) {
			best, bestN = net, c
		}
	}
	return best
}

// lifecycles pairs each account that stopped with the accounts that made
// their first request within lifecycleGap after it: throw-away accounts
// replacing each other. The weight is the rarity of such a start, ln(N/u)
// with u one more than the accounts starting in that window. Accounts that
// stop near the end of the log, or start near its beginning, are not
// taken to have stopped or started. Lifecycle evidence is capped at
// strong, so it can only add a second kind to a pair that already has
// evidence: only such pairs are looked at (it runs last), and a busy
// service's many unrelated starts cost a lookup each.
func (l *linker) lifecycles() {
	n := len(l.accts)
	order := make([]int32, 0, n)
	var logStart, logEnd time.Time
	for i, a := range l.accts {
		if a.requests == 0 {
			continue
		}
		order = append(order, int32(i))
		if logStart.IsZero() || a.first.Before(logStart) {
			logStart = a.first
		}
		if a.last.After(logEnd) {
			logEnd = a.last
		}
	}
	slices.SortStableFunc(order, func(x, y int32) int { return l.accts[x].first.Compare(l.accts[y].first) })
	after := func(t time.Time) int {
		return sort.Search(len(order), func(k int) bool { return l.accts[order[k]].first.After(t) })
	}
	limit := rareCap(n)
	for i, a := range l.accts {
		if a.requests == 0 || a.last.After(logEnd.Add(-lifecycleGap)) {
			continue
		}
		lo, hi := after(a.last), after(a.last.Add(lifecycleGap))
		w := l.rule.weight(hi-lo+1, limit)
		if lo == hi || w <= 0 {
			continue
		}
		for _, j := range order[lo:hi] {
			b := l.accts[j]
			if _, ok := l.pairs[pairKey(int32(i), j)]; !ok || b.first.Before(logStart.Add(lifecycleGap)) {
				continue
			}
			pair := []int32{min(int32(i), j), max(int32(i), j)}
			l.addItem(item{class: clLifecycle, users: hi - lo + 1, weight: w,
				text: fmt.Sprintf("%s stopped at %s; %s started %s later", a.name, a.last.UTC().Format(time.RFC3339),
					b.name, b.first.Sub(a.last).Round(time.Second))}, pair, false)
		}
	}
}
