package heldout

import (
	"math"
)

// counts at Scale 1: benign accounts (pipelines: customers) by kind, and
// campaign heads by kind.
var benignCounts = []struct {
	kind string
	n    int
}{
	{KindPerson, 420}, {KindPersonIntl, 260}, {KindStudent, 160}, {KindPowerUser, 90}, {KindOffice, 150},
	{KindMobile, 120}, {KindWriter, 40}, {KindCoding, 70}, {KindEvalLab, 14}, {KindRAG, 20}, {KindClassify, 18},
	{KindTranslate, 16}, {KindSummarise, 18}, {KindChatBackend, 12}, {KindAgent, 16}, {KindSynthData, 8}, {KindPromptTuning, 30},
}

var campaigns = []struct {
	id, kind string
	heads    int
}{
	{"c01-bulk", KindBulk, 1}, {"c02-hydra", KindHydra, 10}, {"c03-polyglot", KindPolyglot, 4},
	{"c04-sweep", KindSweep, 2}, {"c05-slow-low", KindSlowLow, 3}, {"c06-blended", KindBlended, 3},
	{"c07-sleeper", KindSleeper, 2}, {"c08-judge", KindJudge, 2}, {"c09-agent-trace", KindAgentTrace, 3},
	{"c10-sharded", KindShardedHydra, 60}, {"c11-cloud", KindCloudHydra, 120}, {"c12-throwaway", KindThrowaway, 15},
	{"c13-kyc-front", KindKYCFront, 3},
}

// scaled is n at the configured scale, at least lo.
func (g *gen) scaled(n, lo int) int {
	return max(lo, int(math.Round(float64(n)*g.cfg.Scale)))
}

// population lists every actor, in a fixed order. Shared places (campus
// networks, carrier pools) are drawn first, from their own stream.
func (g *gen) population() []*actor {
	r := newRNG(g.cfg.Seed, 0)
	var out []*actor
	for _, b := range benignCounts {
		out = append(out, g.benignActors(r, b.kind, g.scaled(b.n, 1))...)
	}
	for _, c := range campaigns {
		lo := min(c.heads, 2)
		out = append(out, g.campaignActor(c.id, c.kind, g.scaled(c.heads, lo)))
	}
	return out
}

// benignActors makes n accounts' worth of one benign kind.
func (g *gen) benignActors(r *rng, kind string, n int) []*actor {
	var out []*actor
	english := countryByLang("en")
	switch kind {
	case KindOffice:
		for n > 0 {
			size := min(n, r.between(5, 15))
			out = append(out, g.officeActor(pick(r, countries), size))
			n -= size
		}
		return out
	case KindStudent:
		var campuses []campus
		for range 8 {
			campuses = append(campuses, newCampus(r))
		}
		for range n {
			i := r.IntN(len(campuses))
			out = append(out, g.studentActor(countries[i%len(countries)], campuses[i]))
		}
		return out
	case KindMobile:
		nats := map[string]carrierNAT{}
		for range n {
			c := pick(r, countries)
			if nats[c.code] == nil {
				nats[c.code] = newCarrierNAT(r, c, 24)
			}
			out = append(out, g.mobileActor(c, nats[c.code]))
		}
		return out
	}
	for range n {
		out = append(out, g.benignActor(r, kind, english))
	}
	return out
}

func (g *gen) benignActor(r *rng, kind string, english []country) *actor {
	c := pick(r, english)
	if r.chance(0.2) {
		c = pick(r, countries)
	}
	switch kind {
	case KindPerson:
		h := habit{tz: c.tz, profile: pick(r, []*hourProfile{&dayPerson, &dayPerson, &nightOwl}), activeDay: 0.15 + 0.65*r.Float64(),
			weekend: 0.6 + 0.8*r.Float64(), sessions: 1 + r.Float64(), perSession: 1.5 + 5*r.Float64(), gap: 60 + 90*r.Float64()}
		return g.personActor(kind, c, "en", h)
	case KindPersonIntl:
		lang := pick(r, foreignLangs)
		c = pick(r, countryByLang(lang))
		h := habit{tz: c.tz, profile: pick(r, []*hourProfile{&dayPerson, &dayPerson, &nightOwl}), activeDay: 0.15 + 0.65*r.Float64(),
			weekend: 0.6 + 0.8*r.Float64(), sessions: 1 + r.Float64(), perSession: 1.5 + 5*r.Float64(), gap: 60 + 90*r.Float64()}
		return g.personActor(kind, c, lang, h)
	case KindPowerUser:
		return g.powerUserActor(c)
	case KindWriter:
		return g.writerActor(c)
	case KindCoding:
		return g.codingActor(c)
	case KindPromptTuning:
		return g.promptTuningActor(c)
	}
	return g.pipelineActor(kind)
}

func (g *gen) pipelineActor(kind string) *actor {
	switch kind {
	case KindEvalLab:
		return g.evalActor()
	case KindRAG:
		return g.ragActor()
	case KindClassify:
		return g.classifyActor()
	case KindTranslate:
		return g.translateActor()
	case KindSummarise:
		return g.summariseActor()
	case KindChatBackend:
		return g.chatBackendActor()
	case KindAgent:
		return g.agentActor()
	case KindSynthData:
		return g.synthDataActor()
	}
	panic("heldout: no benign kind " + kind)
}

func (g *gen) campaignActor(id, kind string, heads int) *actor {
	switch kind {
	case KindBulk:
		return g.bulkActor(id)
	case KindHydra:
		return g.hydraActor(id, heads)
	case KindPolyglot:
		return g.polyglotActor(id, heads)
	case KindSweep:
		return g.sweepActor(id, heads)
	case KindSlowLow:
		return g.slowLowActor(id, heads)
	case KindBlended:
		return g.blendedActor(id, heads)
	case KindSleeper:
		return g.sleeperActor(id, heads)
	case KindJudge:
		return g.judgeActor(id, heads)
	case KindAgentTrace:
		return g.agentTraceActor(id, heads)
	case KindShardedHydra:
		return g.shardedHydraActor(id, heads)
	case KindCloudHydra:
		return g.cloudHydraActor(id, heads)
	case KindThrowaway:
		return g.throwawayActor(id, heads)
	case KindKYCFront:
		return g.kycFrontActor(id, heads)
	}
	panic("heldout: no attack kind " + kind)
}
