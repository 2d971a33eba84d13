package probe

import (
	"fmt"
	"math"

	"forensics/canary"
	"forensics/stats"
	"forensics/watermark"
)

// LoadCanaries reads a canary set: canary.Secret ("secret", derived from
// key, which must then be given), canary.Default ("default", the public
// demo set) or a file path.
func LoadCanaries(spec string, key *watermark.Key) (*canary.Set, error) {
	if spec == canary.Secret {
		if key == nil {
			return nil, fmt.Errorf("the secret canary set is derived from the watermark key: give the key")
		}
		return canary.NewSecret(key.CanarySeed(), key.ID)
	}
	return canary.Load(spec)
}

// canary compares trigger hits of the suspect with the controls pooled,
// on the triggers every one of them answered: a trigger missing from the
// suspect but not the controls (a failed query) would otherwise shift the
// mix of easy and hard triggers between the groups.
func (a *analysis) canary(tr *TestResult) error {
	roles := []string{"suspect"}
	for i := range a.m.Targets.Controls {
		roles = append(roles, ControlRole(i))
	}
	complete := a.answeredByAll(roles)
	d := &CanaryDetail{}
	d.Suspect, d.SuspectHit = a.hitCount("suspect", complete)
	var k0, n0 int
	for i := range a.m.Targets.Controls {
		h, _ := a.hitCount(ControlRole(i), complete)
		d.Controls = append(d.Controls, h)
		k0 += h.Hits
		n0 += h.Answers
	}
	if a.m.Targets.Reference != "" {
		h, _ := a.hitCount("reference", a.triggers())
		d.Reference = &h
	}
	tr.Canary = d
	tr.N, tr.NUnit = d.Suspect.Answers, "trigger answers"
	if d.Suspect.Answers == 0 || n0 == 0 {
		tr.Status, tr.Reason = StatusNotRun, "no trigger was answered by the suspect and every control"
		return nil
	}
	return canaryTest(tr, d, k0, n0)
}

// answeredByAll are the planned triggers every role answered.
func (a *analysis) answeredByAll(roles []string) []canary.Trigger {
	var complete []canary.Trigger
	for _, t := range a.triggers() {
		all := true
		for _, role := range roles {
			if _, ok := a.answer(role, t.ID, 0); !ok {
				all = false
				break
			}
		}
		if all {
			complete = append(complete, t)
		}
	}
	return complete
}

// hitCount counts a role's answers to the triggers and those that give
// the planted answer (their ids).
func (a *analysis) hitCount(role string, ts []canary.Trigger) (HitCount, []string) {
	h := HitCount{Role: role}
	var ids []string
	for _, t := range ts {
		if ans, ok := a.answer(role, t.ID, 0); ok {
			h.Answers++
			if t.Hit(ans) {
				h.Hits++
				ids = append(ids, t.ID)
			}
		}
	}
	return h, ids
}

// canaryTest is the one-sided Fisher test of the suspect's hits against
// the controls' k0 hits in n0 answers, with the difference in hit rates
// and the suspect hit rate the test detects with the stated power.
func canaryTest(tr *TestResult, d *CanaryDetail, k0, n0 int) error {
	f, err := stats.FisherGreater(d.Suspect.Hits, d.Suspect.Answers, k0, n0)
	if err != nil {
		return err
	}
	d.OddsRatio = f.OddsRatio
	tr.Statistic, tr.Log10P = float64(d.Suspect.Hits), f.Log10P
	n1 := d.Suspect.Answers
	r1, r0 := float64(d.Suspect.Hits)/float64(n1), float64(k0)/float64(n0)
	lo1, hi1, _ := stats.ClopperPearson(d.Suspect.Hits, n1, 0.975)
	lo0, hi0, _ := stats.ClopperPearson(k0, n0, 0.975)
	tr.Effect = Estimate{Name: "hit rate suspect − controls", Value: r1 - r0, Lo: lo1 - hi0, Hi: hi1 - lo0, Confidence: 0.95}
	// Smallest suspect hit count that rejects with these controls, then
	// the hit rate that reaches it with the stated power.
	kStar := stats.FisherCritical(n1, k0, n0, math.Log10(tr.AlphaShare))
	tr.MinDetectable = &Estimate{Name: "suspect hit rate", Value: stats.BinomMinRate(kStar, n1, power), Power: power}
	return nil
}
