package logscan

import (
	"math"
)

// Kinds of evidence that two accounts are run by one hand.
const (
	LinkContent  = "content"        // the same rare templates or openings
	LinkInfra    = "infrastructure" // the same rare networks or client strings
	LinkSchedule = "schedule"       // mostly the same active minutes
	LinkBusiness = "business"       // one payer, a sign-up burst, a lifecycle chain
)

// Link is one piece of evidence between two linked accounts: the report's
// cluster graph.
type Link struct {
	A      string  `json:"a"`
	B      string  `json:"b"`
	Kind   string  `json:"kind"`
	Item   string  `json:"item"`
	Weight float64 `json:"weight"` // ln(accounts / accounts using the item)
}

// itemClass is what an item of evidence is; several classes make a kind.
type itemClass uint8

const (
	clTemplate  itemClass = iota // a prompt template used ≥ linkTemplateMin times
	clOpening                    // a five-word opening used as often
	clNetwork                    // a /24 or /48 the account sends from
	clClient                     // a client string
	clSchedule                   // similar active minutes
	clBurst                      // sign-ups or key creations in one burst from one network
	clLifecycle                  // one account stopped, the other started soon after
	clPayer                      // a shared org_id or payment_id
	clCohort                     // a sign-up burst whose accounts take disjoint topic shards
	nClasses
)

func (c itemClass) kind() string {
	switch c {
	case clTemplate, clOpening:
		return LinkContent
	case clNetwork, clClient:
		return LinkInfra
	case clSchedule:
		return LinkSchedule
	}
	return LinkBusiness
}

// The linking rule. Every shared item weighs w = ln(N/u) nats, N the
// accounts in the log and u the independent users of the item (accounts
// using it at all, those tied by strong evidence of the other kind counted
// once: see linkPasses); items used by more than rareCap weigh nothing. A pair's evidence of a kind is
// the sum of its items' weights (content: the larger of its templates' and
// its openings' sums, which mostly repeat each other), capped at
// Overwhelming; schedule and sign-up/lifecycle evidence are capped at
// Strong, so they never link alone, and a shared org_id or payment_id, or
// a sign-up cohort of disjoint topic shards (link_cohort.go), weighs
// Overwhelming by itself. Two accounts link when
//
//   - one kind is overwhelming: ≥ 2·ln N, or
//   - two kinds are strong: each ≥ ½·ln N.
//
// Why these: two unrelated accounts both use an item of weight w with
// chance (u/N)² = e^−2w. Two independent kinds of ½·ln N each put the
// chance of a coincidental pair at 1/N² or below, under half a pair in the
// whole log (N²/2 pairs); one kind needs 2·ln N, twice that, because the
// items of one kind come together (a toolkit's templates, an operator's
// networks) and are not independent. A strong kind is one item used by at
// most √N accounts (25 of 640; at 100,000 the rarity cap of 256 binds), or
// a few commoner ones. Colleagues on an office network, batch jobs of one
// vendor, and busy people sharing working hours each have one kind.
type linkRule struct {
	n            int
	strong       float64
	overwhelming float64
}

func newLinkRule(n int) linkRule {
	l := math.Log(float64(max(n, 8)))
	return linkRule{n: n, strong: l / 2, overwhelming: 2 * l}
}

// weight is an item's weight when u accounts use it, 0 when it is not
// evidence (shared by nobody else, or by too many).
func (r linkRule) weight(u, limit int) float64 {
	if u < 2 || u > limit {
		return 0
	}
	return math.Log(float64(r.n) / float64(u))
}

// Rarity caps: an item used by more accounts than rareCap (at most 5% of
// them, at least 10, and at most rareMax so that the pairs an item makes
// stay bounded) is common, not evidence; a network by more than netCap is a
// carrier NAT or a cloud range.
const (
	rareShare = 0.05
	rareMin   = 10
	rareMax   = 256
	netMax    = 64
)

func rareCap(n int) int { return min(rareMax, max(rareMin, int(rareShare*float64(n)))) }
func netCap(n int) int  { return min(netMax, rareCap(n)) }

// Kind indices in a pair's evidence.
const (
	kContent = iota
	kInfra
	kSchedule
	kBusiness
	nKinds
)

var kindNames = [nKinds]string{LinkContent, LinkInfra, LinkSchedule, LinkBusiness}

// kinds sums a pair's evidence per kind, capped as the rule says. A
// network that a sign-up burst was seen from is not counted again as
// infrastructure.
func (r linkRule) kinds(p *pairEvidence, items []item) [nKinds]float64 {
	class := classSums(p, items)
	var k [nKinds]float64
	k[kContent] = min(max(class[clTemplate], class[clOpening]), r.overwhelming)
	k[kInfra] = min(class[clNetwork]+class[clClient], r.overwhelming)
	k[kSchedule] = min(class[clSchedule], r.strong)
	k[kBusiness] = min(min(class[clBurst]+class[clLifecycle], r.strong)+class[clPayer]+class[clCohort], r.overwhelming)
	return k
}

// classSums sums a pair's evidence per class, leaving out a network that
// a sign-up burst was seen from.
func classSums(p *pairEvidence, items []item) [nClasses]float64 {
	var class [nClasses]float64
	burstNets := burstNetworks(p, items)
	for _, e := range p.ev {
		it := items[e.item]
		if it.class == clNetwork && burstNets[it.net] {
			continue
		}
		class[it.class] += e.weight
	}
	return class
}

// links applies the rule to a pair's per-kind evidence.
func (r linkRule) links(k [nKinds]float64) bool {
	strong := 0
	for _, v := range k {
		if v >= r.overwhelming {
			return true
		}
		if v >= r.strong {
			strong++
		}
	}
	return strong >= 2
}

// burstNetworks are the networks of a pair's sign-up bursts (nil when it
// has none, as most pairs).
func burstNetworks(p *pairEvidence, items []item) map[string]bool {
	var nets map[string]bool
	for _, e := range p.ev {
		if it := items[e.item]; it.class == clBurst {
			if nets == nil {
				nets = map[string]bool{}
			}
			nets[it.net] = true
		}
	}
	return nets
}
