package logscan

import (
	"fmt"
	"math"
	"sort"
)

// Scoring. Each indicator's value becomes evidence by how rare it is among
// benign accounts: −log10 of its upper tail in the reference, above a half
// (so the median account has none), in "decades". Beyond every reference
// account the evidence grows by one decade per spread (the distance from
// the reference's median to its maximum), so the top keeps its order
// instead of saturating. Indicators that measure the same thing form a
// family, which counts once (its strongest indicator). The families say
// either what is taken (breadth of topics, reasoning traces, sampling,
// output, written trajectories) or how systematically (volume, templates,
// timing), and the score is
//
//	Score = What + min(How, What)
//
// Systematic use amplifies evidence of taking, but cannot make it: an
// evaluation lab, a classifier or a chat backend is as systematic as a
// campaign, and what it takes differs. Breadth is further weighted by the
// share of the account's tokens that are the model's answers (a classifier
// sends texts on every topic and takes one-word labels).

// family groups indicators that measure one thing.
type family int

const (
	famNone family = iota
	famBreadth
	famReasoning
	famSampling
	famOutput
	famTrajectory
	famTaken
	famVolume
	famTemplating
	famTiming
)

var familyNames = [...]string{"", "breadth", "reasoning", "sampling", "output", "trajectory", "taken", "volume", "templating", "timing"}

func (f family) name() string { return familyNames[f] }

// what reports whether the family is evidence of what is taken.
func (f family) what() bool { return f >= famBreadth && f <= famTaken }

// weight is the family's share in its sum: the output and trajectory
// families are weaker alone (a long-form writing tool runs to the length
// limit; an app may edit its chat history).
func (f family) weight() float64 {
	if f == famOutput || f == famTrajectory {
		return 0.5
	}
	return 1
}

var familyOf = map[string]family{
	IndVolume: famVolume, IndTokens: famVolume, IndPeakHour: famVolume,
	IndCoverage: famBreadth, IndDayTopics: famBreadth, IndWinCoverage: famBreadth,
	IndTemplates: famTemplating, IndWinTemplates: famTemplating, IndNearDup: famTemplating, IndLengths: famTemplating,
	IndCoT: famReasoning, IndWinCoT: famReasoning,
	IndParams: famSampling, IndLowTemp: famSampling, IndResample: famSampling,
	IndLengthLimit: famOutput, IndFlagship: famOutput,
	IndWritten:     famTrajectory,
	IndLongAnswers: famTaken,
	IndTiming:      famTiming, IndClock: famTiming,
}

// breadthGate is the weight of the breadth family given the answers'
// share of the account's tokens: 0.1 at 20% or less (labels, grounded
// answers, summaries), 1 at 60% or more (questions answered at length).
func breadthGate(answerShare float64) float64 {
	return math.Min(1, math.Max(0.1, (answerShare-0.2)/0.4))
}

// ReferenceInfo says what a report's scores are calibrated against.
type ReferenceInfo struct {
	// Source is "log" (the scanned accounts themselves, each compared
	// with the others) or "baseline".
	Source   string `json:"source"`
	Accounts int    `json:"accounts"`
	Note     string `json:"note,omitempty"`
}

// dist is a reference distribution: sorted values standing for n accounts
// (a baseline may store a sample).
type dist struct {
	Sorted []float64 `json:"sorted"`
	N      int       `json:"n"`
}

// decades is the evidence of value v against the distribution, leaving
// out excl: values of the distribution that belong to the judged entity
// itself (an account's own value; a cluster's members' values). Beyond
// every reference value it grows by one decade per spread (from the
// median to the largest value), by at most maxExcess decades, and only
// when extrapolate is set: the reference must be one the client cannot
// write to (the prior or a baseline, not the scanned log, where two decoy
// accounts would set the anchor), with at least minExtrapolate values
// and a spread (in a reference where every account has 0, any value would
// be "infinitely" rare).
func (d dist) decades(v float64, excl []float64, extrapolate bool) float64 {
	cnt, others, top, ok := d.others(v, excl)
	if !ok {
		return 0
	}
	if cnt >= 0.5 {
		return math.Max(0, math.Log10(0.5*(others+1)/(cnt+1)))
	}
	base := math.Log10(0.5 * (others + 1))
	spread := top - d.Sorted[len(d.Sorted)/2]
	if !extrapolate || math.IsInf(top, -1) || len(d.Sorted) < minExtrapolate || !(spread > 0) {
		return base
	}
	return base + math.Min(maxExcess, math.Max(0, v-top)/spread)
}

// Extrapolation bounds (see decades).
const (
	maxExcess      = 2
	minExtrapolate = 100
)

// others counts the distribution's values at or above v once excl is left
// out (scaled to the accounts a sample stands for), how many accounts
// remain, and the largest remaining value.
func (d dist) others(v float64, excl []float64) (cnt, others, top float64, ok bool) {
	m := len(d.Sorted)
	if m == 0 || d.N == 0 {
		return 0, 0, 0, false
	}
	scale := float64(d.N) / float64(m)
	idx := sort.SearchFloat64s(d.Sorted, v) // first ≥ v
	cnt = float64(m-idx) * scale
	others = float64(d.N)
	top = math.Inf(-1)
	// The largest value not excluded: walk down past excluded ones (each
	// excluded value removes one occurrence).
	left := map[float64]int{}
	for _, x := range excl {
		left[x]++
		if x >= v {
			cnt--
		}
		others--
	}
	for i := m - 1; i >= 0; i-- {
		if left[d.Sorted[i]] > 0 {
			left[d.Sorted[i]]--
			continue
		}
		top = d.Sorted[i]
		break
	}
	if others < 1 {
		return 0, 0, 0, false
	}
	return math.Max(0, cnt), others, top, true
}

// tail is the share of the distribution at or above v once excl is left
// out, with the +1 that keeps it honest in a small reference.
func (d dist) tail(v float64, excl []float64) float64 {
	cnt, others, _, ok := d.others(v, excl)
	if !ok {
		return 1
	}
	return math.Min(1, (cnt+1)/(others+1))
}

// reference holds the distributions scores are calibrated against.
type reference struct {
	dists       map[string]dist
	scores      dist
	self        bool // the log's own accounts are in it
	extrapolate bool // benign traffic the client cannot write to
	info        ReferenceInfo
}

// Reference kinds (Options.Reference).
const (
	// RefPrior is the shipped prior of simulated benign traffic (or
	// Options.Prior): the default without a baseline.
	RefPrior = "prior"
	// RefLog is the log's own accounts, each against the others: no
	// simulated data, but a campaign of many alike accounts (or a few
	// decoys) can raise its own reference, so nothing is extrapolated
	// and the report says so.
	RefLog = "log"
)

// reference builds the calibration: the baseline's, the prior's, or the
// log's own accounts' values. Only a baseline or the prior is benign
// traffic the client cannot write to; the scanned log is not.
func (s *Scanner) reference(inds [][]Indicator) *reference {
	if b := s.baseline; b != nil {
		return &reference{dists: b.Values, scores: b.Scores, extrapolate: true, info: ReferenceInfo{Source: "baseline", Accounts: b.Accounts,
			Note: fmt.Sprintf("calibrated on a baseline of %d benign accounts (scan-logs calibrate)", b.Accounts)}}
	}
	if p := s.prior; p != nil {
		return &reference{dists: p.Values, scores: p.Scores, extrapolate: true, info: ReferenceInfo{Source: RefPrior, Accounts: p.Accounts,
			Note: fmt.Sprintf("calibrated on %s (%d accounts), not on your traffic: give --baseline from scan-logs calibrate on your own benign logs", s.priorName, p.Accounts)}}
	}
	ref := &reference{dists: map[string]dist{}, self: true, info: ReferenceInfo{Source: RefLog, Accounts: len(inds)}}
	values := map[string][]float64{}
	for _, in := range inds {
		for _, x := range in {
			if x.Judged {
				values[x.Name] = append(values[x.Name], x.Value)
			}
		}
	}
	for name, xs := range values {
		sort.Float64s(xs)
		ref.dists[name] = dist{Sorted: xs, N: len(xs)}
	}
	ref.info.Note = fmt.Sprintf("calibrated on this log's own %d accounts, each against the others: they are not known to be benign, a campaign of many alike accounts raises its own reference, and nothing beyond the largest other value is extrapolated; give --baseline from benign traffic", len(inds))
	return ref
}

// setScores sets the reference's score distribution from the log's
// accounts when the log is the reference.
func (ref *reference) setScores(accts []AccountReport) {
	if !ref.self {
		return
	}
	scores := make([]float64, len(accts))
	for i := range accts {
		scores[i] = accts[i].Score
	}
	sort.Float64s(scores)
	ref.scores = dist{Sorted: scores, N: len(scores)}
}

// score fills the indicators' evidence and returns the verdict's score
// (not yet its tail or action: those need every account's score). excl
// gives, per indicator, the reference values that belong to the judged
// entity (nil: its own value when the reference is the log).
func (ref *reference) score(inds []Indicator, cfg Config, excl func(name string) []float64) Verdict {
	fam := map[family]float64{}
	gate := 1.0
	for i := range inds {
		in := &inds[i]
		if in.Name == IndAnswerShare {
			gate = breadthGate(in.Value)
		}
		r := cfg.Rules[in.Name]
		f := familyOf[in.Name]
		if !in.Judged || r.Off || f == famNone || in.Value <= r.Floor {
			continue
		}
		var ex []float64
		switch {
		case excl != nil:
			ex = excl(in.Name)
		case ref.self:
			ex = []float64{in.Value}
		}
		d := ref.dists[in.Name].decades(in.Value, ex, ref.extrapolate)
		in.Decades = math.Round(d*100) / 100
		fam[f] = math.Max(fam[f], d)
	}
	var v Verdict
	for f, e := range fam {
		if f == famBreadth {
			e *= gate
		}
		if f.what() {
			v.What += f.weight() * e
		} else {
			v.How += f.weight() * e
		}
	}
	v.Score = v.What + math.Min(v.How, v.What)
	v.What, v.How, v.Score = round2(v.What), round2(v.How), round2(v.Score)
	v.Risk = round3(v.Score / (v.Score + 5))
	v.Fired = fired(inds)
	return v
}

// fired lists the indicators with evidence, strongest first.
func fired(inds []Indicator) []string {
	var ev []Indicator
	for _, in := range inds {
		if in.Decades > 0 {
			ev = append(ev, in)
		}
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].Decades > ev[j].Decades })
	out := make([]string, len(ev))
	for i, in := range ev {
		out[i] = fmt.Sprintf("%s=%.3g (%.1f)", in.Name, in.Value, in.Decades)
	}
	return out
}

// act sets the verdict's benign tail and action. excl are the reference
// scores that belong to the judged entity.
//
// taken is the answer tokens the account (or cluster) was served: throttle
// and suspend need a harvest's size (Actions.MinTaken), so that a
// developer trying five temperatures on three prompts, or a client's retry
// loop, is at most alerted however rare its pattern.
func (ref *reference) act(v *Verdict, a Actions, excl []float64, taken int64) {
	v.ReferenceTail = ref.scores.tail(v.Score, excl)
	v.ReferenceTail = math.Round(v.ReferenceTail*1e5) / 1e5
	// An action whose tail limit the reference is too small to resolve is
	// not given: a score alone is not calibrated.
	within := func(limit float64) bool { return float64(ref.scores.N) >= 1/limit && v.ReferenceTail <= limit }
	v.Action, v.Throttle = "none", 0
	big := taken >= a.MinTaken
	switch {
	case big && v.Score >= a.Suspend && v.What >= a.SuspendWhat && within(a.SuspendTail):
		v.Action = "suspend"
	case big && v.Score >= a.Throttle && v.What >= a.ThrottleWhat && within(a.ThrottleTail):
		// Tighter the stronger: 0.5 at the throttle score down to 0.1 at
		// the suspend score.
		f := 0.5 - 0.4*(v.Score-a.Throttle)/math.Max(a.Suspend-a.Throttle, 1e-9)
		v.Action, v.Throttle = "throttle", math.Round(math.Max(0.1, f)*100)/100
	case v.Score >= a.Alert && within(a.AlertTail):
		v.Action = "alert"
	}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// campaignBreadth sets a cluster's topic_coverage to what a campaign
// would show: the larger of its members' mean coverage (heads that each
// sweep the topics) and the union's coverage times how disjoint the
// members' topics are (heads that each take a shard). Disjointness is the
// topics the union touches over the topics the members touch one by one,
// relative to its largest possible value (min(1, topics / members): 60
// heads cannot be disjoint on 22 topics). Colleagues of one organisation
// cover many topics together, but overlap: ten people with three topics
// each share the popular ones, where shards do not.
func campaignBreadth(inds []Indicator, members []*account) {
	if len(members) == 0 {
		return
	}
	var union []int
	sumHit, mean := 0, 0.0
	for _, a := range members {
		if union == nil {
			union = make([]int, len(a.topicHits))
		}
		c, hit := coverage(a.topicHits)
		mean += c / float64(len(members))
		sumHit += hit
		for i, h := range a.topicHits {
			union[i] += h
		}
	}
	uc, uhit := coverage(union)
	disjoint := 0.0
	if sumHit > 0 {
		most := math.Min(1, float64(len(union))/float64(len(members)))
		disjoint = math.Min(1, float64(uhit)/float64(sumHit)/most)
	}
	for i := range inds {
		if inds[i].Name == IndCoverage {
			inds[i].Value = round3(math.Max(mean, uc*disjoint))
			inds[i].Evidence = fmt.Sprintf("members' mean %.3f; union %d of %d topics, disjointness %.2f", mean, uhit, len(union), disjoint)
		}
	}
}

// clusterVerdict judges a cluster against the reference without its own
// members (when the reference is the log): a campaign's heads, alike by
// construction, would otherwise make its body look ordinary. members are
// the members' account reports.
func (ref *reference) clusterVerdict(inds []Indicator, cfg Config, members []*AccountReport, taken int64) Verdict {
	var excl map[string][]float64
	var scores []float64
	if ref.self {
		excl = map[string][]float64{}
		for _, ar := range members {
			scores = append(scores, ar.Score)
			for _, in := range ar.Indicators {
				if in.Judged {
					excl[in.Name] = append(excl[in.Name], in.Value)
				}
			}
		}
	}
	v := ref.score(inds, cfg, func(name string) []float64 { return excl[name] })
	ref.act(&v, cfg.Actions, scores, taken)
	capClusterByBusiness(&v, members)
	return v
}

// capClusterByBusiness caps a cluster whose every member the business
// vouches for, as each member alone would be: the gateway applies a
// cluster's action to its members.
func capClusterByBusiness(v *Verdict, members []*AccountReport) {
	for _, ar := range members {
		if !ar.Business.Trusted(ar.First) {
			return
		}
	}
	if len(members) > 0 {
		capByBusiness(v, members[0].Business, members[0].First)
	}
}
