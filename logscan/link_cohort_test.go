package logscan

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLogPoissonTail(t *testing.T) {
	direct := func(k int, mean float64) float64 {
		sum := 0.0
		for j := k; j < k+200; j++ {
			lg, _ := math.Lgamma(float64(j) + 1)
			sum += math.Exp(-mean + float64(j)*math.Log(mean) - lg)
		}
		return math.Log(sum)
	}
	for _, c := range []struct {
		k    int
		mean float64
	}{{3, 0.5}, {5, 1}, {10, 2.5}, {40, 0.1}, {2, 1.9}} {
		if got, want := logPoissonTail(c.k, c.mean), direct(c.k, c.mean); math.Abs(got-want) > 1e-9*math.Abs(want)+1e-12 {
			t.Errorf("k=%d mean=%g: %g, want %g", c.k, c.mean, got, want)
		}
	}
	if got := logPoissonTail(3, 5); got != 0 {
		t.Errorf("k below the mean: %g, want 0", got)
	}
	// Far in the tail, where the probability underflows a float64.
	if got := logPoissonTail(400, 0.01); got > -2000 || math.IsInf(got, 0) || math.IsNaN(got) {
		t.Errorf("k=400 mean=0.01: %g", got)
	}
}

// uniformSignUps are n sign-ups at random over days days.
func uniformSignUps(p *population, n, days int) []signUp {
	ups := make([]signUp, n)
	for i := range ups {
		ups[i] = signUp{p.start.Add(-time.Duration(p.rng.Int64N(int64(days) * int64(24*time.Hour)))), int32(i)}
	}
	slices.SortFunc(ups, func(x, y signUp) int { return x.t.Compare(y.t) })
	return ups
}

// TestFindBurstsNull: sign-ups at a steady rate make no burst (200 logs of
// 1,000 accounts over 900 days, 200 of 1,000 over one week); 40 sign-ups
// within two hours on top of them make one, holding them.
func TestFindBurstsNull(t *testing.T) {
	for seed := range 200 {
		p := newPopulation(uint64(seed), 7)
		for _, days := range []int{900, 7} {
			if b := findBursts(uniformSignUps(p, 1000, days)); len(b) > 0 {
				t.Errorf("seed %d, %d days: %d bursts, the first p = %.2g", seed, days, len(b), math.Exp(b[0].logP))
			}
		}
	}
	p := newPopulation(1, 7)
	ups := uniformSignUps(p, 1000, 900)
	at := p.start.Add(-100 * 24 * time.Hour)
	for i := range 40 {
		ups = append(ups, signUp{at.Add(time.Duration(p.rng.IntN(7200)) * time.Second), int32(1000 + i)})
	}
	slices.SortFunc(ups, func(x, y signUp) int { return x.t.Compare(y.t) })
	bursts := findBursts(ups)
	if len(bursts) != 1 {
		t.Fatalf("%d bursts, want 1", len(bursts))
	}
	held := 0
	for _, u := range ups[bursts[0].lo : bursts[0].hi+1] {
		if u.acct >= 1000 {
			held++
		}
	}
	if held != 40 || bursts[0].hi-bursts[0].lo+1 > 41 {
		t.Errorf("burst holds %d accounts, %d of the 40", bursts[0].hi-bursts[0].lo+1, held)
	}
}

// topicWords are each topic's keywords, in order.
func topicWords(tax *Taxonomy) [][]string {
	out := make([][]string, len(tax.Names))
	for w, ts := range tax.exact {
		for _, t := range ts {
			out[t] = append(out[t], w)
		}
	}
	for _, ws := range out {
		slices.Sort(ws)
	}
	return out
}

// topical plays an account asking about its topics (keyword lists) at
// human hours from home with a common browser.
func (p *population) topical(name string, topics [][]string) {
	ip, ua := p.homeIP(), p.pick(genBrowsers)
	for k := 0; k < 25+p.rng.IntN(20); k++ {
		kw := topics[k%len(topics)]
		p.add(name, ip, ua, p.humanTime(), fmt.Sprintf("%s %s: what should I read first about %s, part %d?", p.pick(genOpeners), p.pick(kw), p.pick(kw), k))
	}
}

// cohortInfo gives accounts sign-up times at from plus up to within, each
// its own card but the first two of every eleven on one.
func cohortInfo(info Accounts, p *population, names []string, from time.Time, within time.Duration, card string) {
	for i, n := range names {
		pay := "card-" + n
		if i%11 < 2 {
			pay = fmt.Sprintf("%s-%d", card, i/11)
		}
		info[n] = &AccountInfo{Account: n, Created: from.Add(time.Duration(p.rng.Int64N(int64(within)))), PaymentID: pay}
	}
}

// TestCohortRule: a 40-head sharded hydra (each head on one topic, the
// shards covering the taxonomy) that signed up within two hours, two
// heads of every eleven on one card, lands in one cluster among 500
// people who signed up over 900 days; a company onboarding 40 staff in an
// hour (each on one to three of five popular topics) and a class of 30
// students signing up together (the course's two topics), each with the
// same share of cards in common, are not linked by the cohort rule.
func TestCohortRule(t *testing.T) {
	s, err := NewScanner(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	topics := topicWords(s.env.tax)
	p := newPopulation(29, 7)
	info := Accounts{}
	p.people("person", 500)
	for i := 0; i < 500; i++ {
		n := fmt.Sprintf("person%04d", i)
		info[n] = &AccountInfo{Account: n, Created: p.start.Add(-time.Duration(p.rng.Int64N(int64(900 * 24 * time.Hour)))), PaymentID: "card-" + n}
	}
	var heads, staff, class []string
	for h := 0; h < 40; h++ {
		heads = append(heads, fmt.Sprintf("head%02d", h))
		p.topical(heads[h], [][]string{topics[h%len(topics)]})
	}
	popular := p.rng.Perm(len(topics))[:5]
	for i := 0; i < 40; i++ {
		staff = append(staff, fmt.Sprintf("staff%02d", i))
		var mine [][]string
		for _, j := range p.rng.Perm(5)[:1+p.rng.IntN(3)] {
			mine = append(mine, topics[popular[j]])
		}
		p.topical(staff[i], mine)
	}
	course := p.rng.Perm(len(topics))[:2]
	for i := 0; i < 30; i++ {
		class = append(class, fmt.Sprintf("student%02d", i))
		p.topical(class[i], [][]string{topics[course[0]], topics[course[1]]})
	}
	cohortInfo(info, p, heads, p.start.Add(-50*time.Hour), 2*time.Hour, "hydra-card")
	cohortInfo(info, p, staff, p.start.Add(-200*24*time.Hour), time.Hour, "company-card")
	cohortInfo(info, p, class, p.start.Add(-400*24*time.Hour), time.Hour, "family-card")
	var ups []signUp
	for _, inf := range info {
		ups = append(ups, signUp{t: inf.Created})
	}
	slices.SortFunc(ups, func(x, y signUp) int { return x.t.Compare(y.t) })
	if b := findBursts(ups); len(b) != 3 {
		t.Errorf("%d sign-up bursts, want 3 (hydra, company, class)", len(b))
	}
	rep := p.scan(t, info)
	cl := clusterOf(rep, heads[0])
	if cl == nil || !slices.Equal(cl.Accounts, heads) {
		t.Fatalf("sharded hydra not one cluster: %+v", cl)
	}
	cohort := func(c *ClusterReport) bool {
		return slices.ContainsFunc(c.LinkDetails, func(l Link) bool { return strings.Contains(l.Item, "signed up within") })
	}
	if !cohort(cl) {
		t.Errorf("hydra linked without its cohort: %v", cl.Links[:min(3, len(cl.Links))])
	}
	for i := range rep.Clusters {
		c := &rep.Clusters[i]
		if c.ID != cl.ID && (cohort(c) || len(c.Accounts) > 2) {
			t.Errorf("cluster %v: %v", c.Accounts, c.Links[:min(3, len(c.Links))])
		}
	}
	t.Logf("hydra: %s", cl.LinkDetails[0].Item)
}
