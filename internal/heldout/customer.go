package heldout

import (
	"time"
)

// customer is a business running a pipeline: its accounts, servers and
// client, and what the business knows of it.
type customer struct {
	accs    []*account
	servers []string
	ua      string
	model   string
}

// terms are a customer's business arrangements, as probabilities.
type terms struct {
	tier      string
	contract  float64
	kyc       float64 // given no contract
	allowlist float64
}

// newCustomer signs a business up, long before the log, with a few API
// keys rotated over time and its accounts under one organisation.
func (a *actor) newCustomer(kind string, n int, t terms) *customer {
	g := a.gen
	created := g.start.Add(-time.Duration(a.rng.between(25*86400, 700*86400)) * time.Second)
	org, pay := "org_"+a.rng.hex(10), "pm_"+a.rng.hex(14)
	contract := a.rng.chance(t.contract)
	kyc := contract || a.rng.chance(t.kyc)
	allow := a.rng.chance(t.allowlist)
	c := &customer{ua: pick(a.rng, sdkUAs), model: modelMid}
	for i := range n {
		acc := a.newAccount(kind, "", t.tier, created.Add(time.Duration(i)*time.Duration(a.rng.between(1, 200))*time.Hour))
		acc.info.OrgID, acc.info.PaymentID = org, pay
		acc.info.Contract, acc.info.KYC, acc.info.Allowlist = contract, kyc, allow
		for k := a.rng.between(0, 3); k > 0; k-- { // key rotations, some during the log
			at := acc.info.Created.Add(time.Duration(a.rng.Float64() * float64(g.end.Sub(acc.info.Created))))
			acc.addKey(a.rng, at)
		}
		sortKeys(acc)
		c.accs = append(c.accs, acc)
	}
	c.servers = servers(a.rng, a.rng.between(1, 4))
	return c
}

// servers draws a customer's fixed egress addresses in one cloud.
func servers(r *rng, n int) []string {
	provider := pick(r, cloudNames)
	out := make([]string, n)
	for i := range out {
		out[i] = cloudIP(r, provider)
	}
	return out
}

// sortKeys keeps keys in creation order, as the key lookup expects.
func sortKeys(acc *account) {
	ks, ts := acc.keys, acc.info.KeysCreated
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
}

// pickAccount draws which of the customer's accounts (production,
// staging, another team) sends a request: most go to the first.
func (c *customer) pickAccount(r *rng) *account {
	if len(c.accs) == 1 || r.chance(0.8) {
		return c.accs[0]
	}
	return pick(r, c.accs[1:])
}

// req starts a call from one of the customer's servers.
func (c *customer) req(r *rng, acc *account, at time.Time) *call {
	return &call{acc: acc, at: at, ip: pick(r, c.servers), ua: c.ua, model: c.model}
}
