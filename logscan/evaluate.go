package logscan

import (
	"math"
	"sort"
	"time"
)

// KindResult is how one attack kind fared.
type KindResult struct {
	Kind       string  `json:"kind"`
	Accounts   int     `json:"accounts"`
	AUC        float64 `json:"auc"`                // against all benign accounts
	DetectedAt float64 `json:"detected_at_1pct"`   // share above the 1% benign threshold
	Detected01 float64 `json:"detected_at_0_1pct"` // … the 0.1% one
	MeanScore  float64 `json:"mean_score"`
	Actions    Counts  `json:"actions"` // the actions the scan suggested
}

// BenignResult is how one benign kind fared: the false alarms.
type BenignResult struct {
	Kind     string  `json:"kind"`
	Accounts int     `json:"accounts"`
	Above1   float64 `json:"above_1pct"` // share above the overall 1% benign threshold
	MaxScore float64 `json:"max_score"`
	Actions  Counts  `json:"actions"`
}

// Counts counts suggested actions.
type Counts struct {
	Alert    int `json:"alert"`
	Throttle int `json:"throttle"`
	Suspend  int `json:"suspend"`
}

func (c *Counts) add(action string) {
	switch action {
	case "alert":
		c.Alert++
	case "throttle":
		c.Throttle++
	case "suspend":
		c.Suspend++
	}
}

// Evaluation scores a report against simulator labels. An account's score
// is the larger of its own and its cluster's, and its action the more
// severe: a head of a campaign is caught through its cluster.
type Evaluation struct {
	Benign     int     `json:"benign"`
	Attackers  int     `json:"attackers"`
	AUC        float64 `json:"auc"`
	Threshold1 float64 `json:"threshold_1pct"`   // score above which 1% of benign accounts fall
	Threshold0 float64 `json:"threshold_0_1pct"` // … 0.1%
	DetectedAt float64 `json:"detected_at_1pct"`
	Detected01 float64 `json:"detected_at_0_1pct"`
	// BenignActions and AttackerActions count the actions suggested with
	// the configured thresholds (no threshold fitted to the labels).
	BenignActions   Counts         `json:"benign_actions"`
	AttackerActions Counts         `json:"attacker_actions"`
	PerKind         []KindResult   `json:"per_kind"`
	PerBenignKind   []BenignResult `json:"per_benign_kind"`
	// Campaigns counts the labelled campaigns of several accounts, and
	// CampaignsCaught those whose accounts all lie in one reported cluster
	// scored above the 1% threshold.
	Campaigns       int           `json:"campaigns"`
	CampaignsCaught int           `json:"campaigns_caught_at_1pct"`
	Ablation        []AblationRow `json:"ablation,omitempty"`
}

// AblationRow is the evaluation with one indicator switched off.
type AblationRow struct {
	Without    string  `json:"without"`
	AUC        float64 `json:"auc"`
	DetectedAt float64 `json:"detected_at_1pct"`
}

// accountOutcome is an account's final score and action in a report.
type accountOutcome struct {
	score   float64
	action  string
	cluster int
}

// outcomes takes each account's own or cluster's verdict, whichever is
// stronger.
func outcomes(rep *Report) (map[string]accountOutcome, map[int]float64) {
	clusters := map[int]*ClusterReport{}
	clusterScore := map[int]float64{}
	for i := range rep.Clusters {
		clusters[rep.Clusters[i].ID] = &rep.Clusters[i]
		clusterScore[rep.Clusters[i].ID] = rep.Clusters[i].Score
	}
	out := map[string]accountOutcome{}
	for _, a := range rep.Accounts {
		o := accountOutcome{score: a.Score, action: a.Action, cluster: a.Cluster}
		if c := clusters[a.Cluster]; c != nil {
			o.score = math.Max(o.score, c.Score)
			if severity[c.Action] > severity[o.action] {
				o.action = c.Action
			}
		}
		out[a.Account] = o
	}
	return out, clusterScore
}

var severity = map[string]int{"none": 0, "alert": 1, "throttle": 2, "suspend": 3}

// Evaluate compares a report with the labels.
func Evaluate(rep *Report, labels *Labels) Evaluation {
	out, clusterScore := outcomes(rep)
	var ben, att []float64
	var ev Evaluation
	benByKind := map[string][]string{}
	for _, b := range labels.Benign {
		ben = append(ben, out[b].score)
		ev.BenignActions.add(out[b].action)
		k := labels.BenignKinds[b]
		if k == "" {
			k = BenignPerson
		}
		benByKind[k] = append(benByKind[k], b)
	}
	attByKind := map[string][]string{}
	for a, k := range labels.Attackers {
		att = append(att, out[a].score)
		ev.AttackerActions.add(out[a].action)
		attByKind[k] = append(attByKind[k], a)
	}
	ev.Benign, ev.Attackers, ev.AUC = len(ben), len(att), auc(att, ben)
	ev.Threshold1, ev.Threshold0 = quantileAbove(ben, 0.01), quantileAbove(ben, 0.001)
	ev.DetectedAt, ev.Detected01 = above(att, ev.Threshold1), above(att, ev.Threshold0)
	for _, k := range orderedKinds(attByKind, attackKinds) {
		var xs []float64
		kr := KindResult{Kind: k, Accounts: len(attByKind[k])}
		for _, a := range attByKind[k] {
			xs = append(xs, out[a].score)
			kr.Actions.add(out[a].action)
		}
		kr.AUC, kr.DetectedAt, kr.Detected01, kr.MeanScore = auc(xs, ben), above(xs, ev.Threshold1), above(xs, ev.Threshold0), round3(mean(xs))
		ev.PerKind = append(ev.PerKind, kr)
	}
	for _, k := range orderedKinds(benByKind, benignKinds) {
		br := BenignResult{Kind: k, Accounts: len(benByKind[k])}
		var xs []float64
		for _, b := range benByKind[k] {
			xs = append(xs, out[b].score)
			br.Actions.add(out[b].action)
			br.MaxScore = math.Max(br.MaxScore, out[b].score)
		}
		br.Above1 = above(xs, ev.Threshold1)
		ev.PerBenignKind = append(ev.PerBenignKind, br)
	}
	for _, members := range labels.Clusters {
		ev.Campaigns++
		c := out[members[0]].cluster
		caught := c > 0 && clusterScore[c] > ev.Threshold1
		for _, m := range members[1:] {
			caught = caught && out[m].cluster == c
		}
		if caught {
			ev.CampaignsCaught++
		}
	}
	return ev
}

// orderedKinds lists the kinds present: the known ones in their order,
// then any others (a held-out generator's own kinds) sorted.
func orderedKinds(present map[string][]string, known []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range known {
		if len(present[k]) > 0 {
			out = append(out, k)
			seen[k] = true
		}
	}
	var rest []string
	for k := range present {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

// EvaluateWithAblation also reruns the judgement with each scored
// indicator switched off, on the features already gathered.
func (s *Scanner) EvaluateWithAblation(labels *Labels) Evaluation {
	ev := Evaluate(s.Report(), labels)
	saved := s.cfg.Rules
	for _, name := range indicatorOrder {
		if saved[name].Off {
			continue
		}
		rules := make(map[string]Rule, len(saved))
		for k, v := range saved {
			rules[k] = v
		}
		r := rules[name]
		r.Off = true
		rules[name] = r
		s.cfg.Rules = rules
		e := Evaluate(s.Report(), labels)
		ev.Ablation = append(ev.Ablation, AblationRow{Without: name, AUC: e.AUC, DetectedAt: e.DetectedAt})
	}
	s.cfg.Rules = saved
	return ev
}

// auc is the Mann-Whitney probability that an attacker outscores a benign
// account (ties count half).
func auc(pos, neg []float64) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return math.NaN()
	}
	sorted := append([]float64{}, neg...)
	sort.Float64s(sorted)
	total := 0.0
	for _, p := range pos {
		lo := sort.SearchFloat64s(sorted, p)
		hi := sort.Search(len(sorted), func(i int) bool { return sorted[i] > p })
		total += float64(lo) + 0.5*float64(hi-lo)
	}
	return round3(total / float64(len(pos)*len(neg)))
}

// quantileAbove is the smallest score such that at most a share f of xs
// lies strictly above it.
func quantileAbove(xs []float64, f float64) float64 {
	s := append([]float64{}, xs...)
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	k := int(math.Floor(f * float64(len(s))))
	if k >= len(s) {
		return s[len(s)-1]
	}
	return s[k]
}

func above(xs []float64, t float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	n := 0
	for _, x := range xs {
		if x > t {
			n++
		}
	}
	return round3(float64(n) / float64(len(xs)))
}

// KindTiming is how soon one attack kind was caught while its log was
// being written: replaying the log in time order and judging every step.
type KindTiming struct {
	Kind     string `json:"kind"`
	Accounts int    `json:"accounts"`
	Detected int    `json:"detected"`
	// Medians over the detected accounts: hours from the account's first
	// request, and its requests by then.
	MedianHours    float64 `json:"median_hours"`
	MedianRequests int     `json:"median_requests"`
}

// ReplayDetection feeds records (in time order) to a fresh scanner and,
// every step of log time, judges all accounts; an attacker is detected the
// first time its score (its own risk or its cluster's) exceeds threshold.
func ReplayDetection(cfg Config, opts Options, records []Record, labels *Labels, threshold float64, step time.Duration) ([]KindTiming, error) {
	s, err := NewScanner(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.SetOptions(opts); err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return nil, nil
	}
	first := map[string]time.Time{}
	type hit struct {
		hours    float64
		requests int
	}
	found := map[string]hit{}
	judge := func(at time.Time) {
		rep := s.Report()
		out, _ := outcomes(rep)
		for _, a := range rep.Accounts {
			if _, bad := labels.Attackers[a.Account]; !bad {
				continue
			}
			if _, done := found[a.Account]; done {
				continue
			}
			if out[a.Account].score > threshold {
				found[a.Account] = hit{at.Sub(first[a.Account]).Hours(), a.Requests}
			}
		}
	}
	next := records[0].TS.Add(step)
	for _, r := range records {
		for !r.TS.Before(next) {
			judge(next)
			next = next.Add(step)
		}
		if _, ok := first[r.Account]; !ok {
			first[r.Account] = r.TS
		}
		s.Add(r)
	}
	judge(next)
	var out []KindTiming
	byKind := map[string][]string{}
	for a, k := range labels.Attackers {
		byKind[k] = append(byKind[k], a)
	}
	for _, k := range orderedKinds(byKind, attackKinds) {
		kt := KindTiming{Kind: k}
		var hours []float64
		var reqs []int
		for acct, kind := range labels.Attackers {
			if kind != k {
				continue
			}
			kt.Accounts++
			if h, ok := found[acct]; ok {
				kt.Detected++
				hours = append(hours, h.hours)
				reqs = append(reqs, h.requests)
			}
		}
		if kt.Accounts == 0 {
			continue
		}
		if len(hours) > 0 {
			sort.Float64s(hours)
			sort.Ints(reqs)
			kt.MedianHours = math.Round(hours[len(hours)/2]*10) / 10
			kt.MedianRequests = reqs[len(reqs)/2]
		}
		out = append(out, kt)
	}
	return out, nil
}
