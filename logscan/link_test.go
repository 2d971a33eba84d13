package logscan

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func kindIndex(kind string) int { return slices.Index(kindNames[:], kind) }

func sortRecordsByTime(recs []Record) {
	slices.SortStableFunc(recs, func(a, b Record) int { return a.TS.Compare(b.TS) })
}

// clusterOf returns the accounts of the cluster holding acct (nil if none).
func clusterOf(rep *Report, acct string) *ClusterReport {
	for i, c := range rep.Clusters {
		if slices.Contains(c.Accounts, acct) {
			return &rep.Clusters[i]
		}
	}
	return nil
}

func TestLinkRuleThresholds(t *testing.T) {
	r := newLinkRule(640)
	cases := []struct {
		name  string
		kinds [nKinds]float64
		want  bool
	}{
		{"nothing", [nKinds]float64{}, false},
		{"one strong kind", [nKinds]float64{kInfra: r.strong}, false},
		{"one kind just below overwhelming", [nKinds]float64{kContent: r.overwhelming - 0.01}, false},
		{"one overwhelming kind", [nKinds]float64{kInfra: r.overwhelming}, true},
		{"two strong kinds", [nKinds]float64{kContent: r.strong, kInfra: r.strong}, true},
		{"one strong, one weak", [nKinds]float64{kContent: r.strong, kSchedule: r.strong - 0.01}, false},
		{"business payer", [nKinds]float64{kBusiness: r.overwhelming}, true},
	}
	for _, c := range cases {
		if got := r.links(c.kinds); got != c.want {
			t.Errorf("%s: links %v, want %v", c.name, got, c.want)
		}
	}
	// Weights: ln(N/u) within the cap, nothing beyond it or unshared.
	for _, c := range []struct {
		u    int
		want float64
	}{{1, 0}, {2, math.Log(320)}, {32, math.Log(20)}, {33, 0}} {
		if got := r.weight(c.u, rareCap(640)); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("weight(%d) = %v, want %v", c.u, got, c.want)
		}
	}
	if rareCap(100_000) != rareMax || netCap(100_000) != netMax || rareCap(50) != rareMin {
		t.Errorf("caps %d %d %d", rareCap(100_000), netCap(100_000), rareCap(50))
	}
	// Schedule, burst and lifecycle evidence are capped at strong: none
	// links alone, however much of it there is.
	items := []item{{class: clSchedule}, {class: clBurst}, {class: clLifecycle}}
	for i, it := range items {
		p := &pairEvidence{ev: []evItem{{int32(i), 50}, {int32(i), 50}}}
		if k := r.kinds(p, items); r.links(k) || k[kindIndex(it.class.kind())] != r.strong {
			t.Errorf("class %d alone: %v", it.class, k)
		}
	}
}

// TestLinkRarity runs the rarity rule on small logs: 120 people in the
// background and a few accounts that share one thing or two.
func TestLinkRarity(t *testing.T) {
	rareTmpl := "Internal job %d: classify the ticket about %s into one of our queues please"
	cases := []struct {
		name   string
		setup  func(p *population) []string // the accounts under test
		info   func(names []string) Accounts
		linked bool
	}{
		{"a browser string and an opening many accounts use", func(p *population) []string {
			var names []string
			for i := 0; i < 40; i++ {
				n := fmt.Sprintf("x%02d", i)
				names = append(names, n)
				ip := p.homeIP()
				for k := 0; k < 20; k++ {
					p.add(n, ip, "Mozilla/5.0 (Macintosh)", p.humanTime(), "can you help me with "+p.sentence(6))
				}
			}
			return names
		}, nil, false},
		{"a benchmark-like template many accounts use, with a common client", func(p *population) []string {
			var names []string
			for i := 0; i < 40; i++ {
				n := fmt.Sprintf("x%02d", i)
				names = append(names, n)
				ip := p.homeIP()
				for k := 0; k < 20; k++ {
					p.add(n, ip, "python-requests/2.31", p.humanTime(), fmt.Sprintf(publicTemplates[0], k, "Item"))
				}
			}
			return names
		}, nil, false},
		{"an office /24 alone", func(p *population) []string {
			var names []string
			for i := 0; i < 6; i++ {
				n := fmt.Sprintf("x%02d", i)
				names = append(names, n)
				ua := p.pick(genBrowsers)
				for k := 0; k < 20; k++ {
					p.add(n, fmt.Sprintf("172.16.4.%d", 10+i), ua, p.humanTime(), p.pick(genOpeners)+" "+p.sentence(6))
				}
			}
			return names
		}, nil, false},
		{"one rare template alone", func(p *population) []string {
			return p.twins(rareTmpl, false)
		}, nil, false},
		{"a rare template and a rare network", func(p *population) []string {
			return p.twins(rareTmpl, true)
		}, nil, true},
		{"org_id", func(p *population) []string {
			p.person("x00")
			p.person("x01")
			return []string{"x00", "x01"}
		}, func(names []string) Accounts {
			return Accounts{names[0]: {Account: names[0], OrgID: "org-7"}, names[1]: {Account: names[1], OrgID: "org-7"}}
		}, true},
		{"payment_id", func(p *population) []string {
			p.person("x00")
			p.person("x01")
			return []string{"x00", "x01"}
		}, func(names []string) Accounts {
			return Accounts{names[0]: {Account: names[0], PaymentID: "card-1"}, names[1]: {Account: names[1], PaymentID: "card-1"}}
		}, true},
		{"the same active minutes alone", func(p *population) []string {
			return p.lockstep(false)
		}, nil, false},
		{"the same active minutes and a rare template", func(p *population) []string {
			return p.lockstep(true)
		}, nil, true},
		{"a sign-up burst from one network alone", func(p *population) []string {
			return p.burst(false)
		}, burstInfo, false},
		{"a sign-up burst and a rare template", func(p *population) []string {
			return p.burst(true)
		}, burstInfo, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPopulation(7, 7)
			p.people("p", 120)
			names := c.setup(p)
			var info Accounts
			if c.info != nil {
				info = c.info(names)
			}
			rep := p.scan(t, info)
			for _, n := range names {
				cl := clusterOf(rep, n)
				if got := cl != nil && slices.Equal(cl.Accounts, names); got != c.linked {
					t.Errorf("%s: linked %v, want %v (cluster %+v)", n, got, c.linked, cl)
				}
			}
			for _, cl := range rep.Clusters {
				if !slices.Equal(cl.Accounts, names) {
					t.Errorf("unexpected cluster %v: %v", cl.Accounts, cl.Links)
				}
			}
			if c.linked && t.Failed() == false {
				cl := clusterOf(rep, names[0])
				t.Logf("%s", strings.Join(cl.Links, "\n"))
			}
		})
	}
}

// twins are two accounts that each send one private template 20 times,
// with different browsers, from their own home networks or (sameNet) one
// rare /24.
func (p *population) twins(tmpl string, sameNet bool) []string {
	names := []string{"x00", "x01"}
	net := fmt.Sprintf("45.%d.%d", p.rng.IntN(256), p.rng.IntN(256))
	for i, n := range names {
		ip := p.homeIP()
		if sameNet {
			ip = fmt.Sprintf("%s.%d", net, 1+p.rng.IntN(250))
		}
		for k := 0; k < 20; k++ {
			p.add(n, ip, genBrowsers[i], p.humanTime(), fmt.Sprintf(tmpl, k, "Subject"))
		}
	}
	return names
}

// lockstep is two accounts active in the same 60 minutes of the week,
// from their own networks with different browsers; withTemplate: they
// also share a private template.
func (p *population) lockstep(withTemplate bool) []string {
	names := []string{"x00", "x01"}
	var times []time.Time
	for k := 0; k < 60; k++ {
		times = append(times, p.humanTime())
	}
	for i, n := range names {
		ip := p.homeIP()
		for k, ts := range times {
			prompt := p.pick(genOpeners) + " " + p.sentence(6)
			if withTemplate {
				prompt = fmt.Sprintf("Nightly sync %d: rewrite the product page for %s in a friendly tone", k, "Subject")
			}
			p.add(n, ip, genBrowsers[i], ts.Add(time.Duration(i)*time.Second), prompt)
		}
	}
	return names
}

// burst is four accounts from one /24 whose sign-ups the accounts file
// puts within minutes (burstInfo); withTemplate: they also share a private
// template.
func (p *population) burst(withTemplate bool) []string {
	var names []string
	for i := 0; i < 4; i++ {
		n := fmt.Sprintf("x%02d", i)
		names = append(names, n)
		ip := fmt.Sprintf("46.10.20.%d", 10+i)
		for k := 0; k < 20; k++ {
			prompt := p.pick(genOpeners) + " " + p.sentence(6)
			if withTemplate {
				prompt = fmt.Sprintf("Fresh account task %d: write a full tutorial about %s with examples", k, "Subject")
			}
			p.add(n, ip, p.pick(genBrowsers), p.humanTime(), prompt)
		}
	}
	return names
}

func burstInfo(names []string) Accounts {
	out := Accounts{}
	t0 := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	for i, n := range names {
		out[n] = &AccountInfo{Account: n, Created: t0.Add(time.Duration(i) * 2 * time.Minute)}
	}
	return out
}

// TestRotatingHydraLinked: a 120-head hydra on rotating cloud addresses
// (five /24s of 64 per head, a client string of its own, four of 24
// private templates per head) lands in one cluster, and none of 500
// people and 20 evaluation labs (half of them on the same cloud range,
// all on public templates and a common client string) joins it or any
// other cluster — nor the reasoning harvester that sends the labs'
// public templates with their client string from their cloud range.
func TestRotatingHydraLinked(t *testing.T) {
	p := newPopulation(19, 7)
	p.people("person", 500)
	var labIPs []string
	for i := 0; i < 20; i++ {
		labIPs = append(labIPs, p.evalLab(fmt.Sprintf("lab%02d", i), i%2 == 0)...)
	}
	p.cotHarvester("cot", labIPs[0])
	heads := p.hydra("head", 120)
	rep := p.scan(t, nil)
	cl := clusterOf(rep, heads[0])
	if cl == nil || !slices.Equal(cl.Accounts, heads) {
		n := 0
		for _, h := range heads {
			if clusterOf(rep, h) != nil {
				n++
			}
		}
		t.Fatalf("hydra not one cluster: %d of 120 heads in clusters, %d clusters", n, len(rep.Clusters))
	}
	if len(cl.Links) != len(heads)-1 || len(cl.LinkDetails) < len(cl.Links) {
		t.Errorf("%d links, %d details for %d heads", len(cl.Links), len(cl.LinkDetails), len(heads))
	}
	for _, c := range rep.Clusters {
		if c.ID != cl.ID {
			t.Errorf("other cluster %v: %v", c.Accounts, c.Links[:min(2, len(c.Links))])
		}
	}
	t.Logf("hydra: one cluster of %d, risk %.2f, action %s; e.g. %s", len(cl.Accounts), cl.Risk, cl.Action, cl.Links[0])
}

// TestLifecycleChainLinked: eight throw-away accounts that replace each
// other within five minutes, sharing one private template from different
// home networks, link; the same accounts a day apart do not (one kind of
// evidence).
func TestLifecycleChainLinked(t *testing.T) {
	for _, c := range []struct {
		gap    time.Duration
		linked bool
	}{{5 * time.Minute, true}, {24 * time.Hour, false}} {
		p := newPopulation(3, 7)
		p.people("p", 200)
		names := p.chain("throw", 8, c.gap)
		rep := p.scan(t, nil)
		cl := clusterOf(rep, names[0])
		got := cl != nil && slices.Equal(cl.Accounts, names)
		if got != c.linked {
			t.Errorf("gap %s: linked %v, want %v (%+v)", c.gap, got, c.linked, cl)
			continue
		}
		if got {
			business := false
			for _, d := range cl.LinkDetails {
				business = business || d.Kind == LinkBusiness
			}
			if !business {
				t.Errorf("chain linked without lifecycle evidence: %v", cl.Links)
			}
			t.Logf("gap %s: %s", c.gap, cl.Links[0])
		}
	}
}

// TestClustersIndependentOfOrder: the report is the same whatever the
// order accounts are fed in (each account's own requests in time order),
// with a hydra, a cloud hydra past the rarity cap (linked over passes), a
// throw-away chain and a sign-up cohort of topic shards.
func TestClustersIndependentOfOrder(t *testing.T) {
	s0, err := NewScanner(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	topics := topicWords(s0.env.tax)
	p := newPopulation(5, 3)
	p.people("p", 150)
	p.hydra("h", 20)
	p.cloudHydra("k", 40)
	p.chain("c", 4, 3*time.Minute)
	info := Accounts{}
	for i := 0; i < 150; i++ {
		n := fmt.Sprintf("p%04d", i)
		info[n] = &AccountInfo{Account: n, Created: p.start.Add(-time.Duration(p.rng.Int64N(int64(900 * 24 * time.Hour))))}
	}
	var shards []string
	for h := 0; h < 22; h++ {
		shards = append(shards, fmt.Sprintf("s%02d", h))
		p.topical(shards[h], [][]string{topics[h%len(topics)]})
	}
	cohortInfo(info, p, shards, p.start.Add(-30*time.Hour), 2*time.Hour, "card")
	byAcct := map[string][]Record{}
	var accts []string
	for _, r := range p.recs {
		if byAcct[r.Account] == nil {
			accts = append(accts, r.Account)
		}
		byAcct[r.Account] = append(byAcct[r.Account], r)
	}
	report := func(order []string) string {
		s, err := NewScanner(DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		s.SetAccounts(info)
		for _, a := range order {
			recs := byAcct[a]
			sortRecordsByTime(recs)
			for _, r := range recs {
				s.Add(r)
			}
		}
		b, err := json.Marshal(s.Report())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	want := report(accts)
	for _, w := range []string{`"link_details"`, "signed up within"} {
		if !strings.Contains(want, w) {
			t.Fatalf("no %s in the report", w)
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 3; i++ {
		order := slices.Clone(accts)
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		if got := report(order); got != want {
			t.Fatalf("order %d: report differs", i)
		}
	}
}
