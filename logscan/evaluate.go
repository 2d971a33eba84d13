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
	DetectedAt float64 `json:"detected_at_1pct"`   // share flagged at 1% false alarms
	Detected01 float64 `json:"detected_at_0_1pct"` // at 0.1%
	MeanScore  float64 `json:"mean_score"`
}

// Evaluation scores a report against simulator labels. An account's score
// is the larger of its own risk and its cluster's: a hydra head is caught
// through its cluster.
type Evaluation struct {
	Benign     int          `json:"benign"`
	Attackers  int          `json:"attackers"`
	AUC        float64      `json:"auc"`
	Threshold1 float64      `json:"threshold_1pct"`   // score above which 1% of benign accounts fall
	Threshold0 float64      `json:"threshold_0_1pct"` // … 0.1%
	DetectedAt float64      `json:"detected_at_1pct"`
	Detected01 float64      `json:"detected_at_0_1pct"`
	PerKind    []KindResult `json:"per_kind"`
	// HydraCaught counts hydra campaigns whose every account lies in one
	// reported cluster scored above the 1% threshold.
	Hydras      int           `json:"hydras"`
	HydraCaught int           `json:"hydras_caught_at_1pct"`
	Ablation    []AblationRow `json:"ablation,omitempty"`
}

// AblationRow is the evaluation with one indicator switched off.
type AblationRow struct {
	Without    string  `json:"without"`
	AUC        float64 `json:"auc"`
	DetectedAt float64 `json:"detected_at_1pct"`
}

// Evaluate compares a report with the labels.
func Evaluate(rep *Report, labels *Labels) Evaluation {
	clusterRisk := map[int]float64{}
	for _, c := range rep.Clusters {
		clusterRisk[c.ID] = c.Risk
	}
	score := map[string]float64{}
	cluster := map[string]int{}
	for _, a := range rep.Accounts {
		s := a.Risk
		if a.Cluster > 0 {
			s = math.Max(s, clusterRisk[a.Cluster])
		}
		score[a.Account] = s
		cluster[a.Account] = a.Cluster
	}
	var ben, att []float64
	for _, b := range labels.Benign {
		ben = append(ben, score[b])
	}
	for a := range labels.Attackers {
		att = append(att, score[a])
	}
	ev := Evaluation{Benign: len(ben), Attackers: len(att), AUC: auc(att, ben)}
	ev.Threshold1, ev.Threshold0 = quantileAbove(ben, 0.01), quantileAbove(ben, 0.001)
	ev.DetectedAt, ev.Detected01 = above(att, ev.Threshold1), above(att, ev.Threshold0)
	byKind := map[string][]float64{}
	for a, k := range labels.Attackers {
		byKind[k] = append(byKind[k], score[a])
	}
	for _, k := range attackKinds {
		xs := byKind[k]
		if len(xs) == 0 {
			continue
		}
		mean := 0.0
		for _, x := range xs {
			mean += x
		}
		ev.PerKind = append(ev.PerKind, KindResult{Kind: k, Accounts: len(xs), DetectedAt: above(xs, ev.Threshold1),
			Detected01: above(xs, ev.Threshold0), MeanScore: round3(mean / float64(len(xs)))})
	}
	for _, members := range labels.Clusters {
		ev.Hydras++
		c := cluster[members[0]]
		caught := c > 0 && clusterRisk[c] > ev.Threshold1
		for _, m := range members[1:] {
			caught = caught && cluster[m] == c
		}
		if caught {
			ev.HydraCaught++
		}
	}
	return ev
}

// EvaluateWithAblation also reruns the judgement with each indicator
// switched off (its strength set to 0), on the features already gathered.
func (s *Scanner) EvaluateWithAblation(labels *Labels) Evaluation {
	ev := Evaluate(s.Report(), labels)
	saved := s.cfg.Rules
	for _, name := range indicatorOrder {
		rules := make(map[string]Rule, len(saved))
		for k, v := range saved {
			rules[k] = v
		}
		r := rules[name]
		r.Strength = 0
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
func ReplayDetection(cfg Config, records []Record, labels *Labels, threshold float64, step time.Duration) ([]KindTiming, error) {
	s, err := NewScanner(cfg)
	if err != nil {
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
		clusterRisk := map[int]float64{}
		for _, c := range rep.Clusters {
			clusterRisk[c.ID] = c.Risk
		}
		for _, a := range rep.Accounts {
			if _, bad := labels.Attackers[a.Account]; !bad {
				continue
			}
			if _, done := found[a.Account]; done {
				continue
			}
			score := a.Risk
			if a.Cluster > 0 {
				score = math.Max(score, clusterRisk[a.Cluster])
			}
			if score > threshold {
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
	for _, k := range attackKinds {
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
