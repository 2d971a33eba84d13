package logscan

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"forensics/corpora"
)

// Rule turns an indicator's value into a score: 0 at or below Lo, 1 at or
// above Hi, linear between. Strength is how much a full score alone moves
// the risk (the indicators combine as a noisy-OR, so one strong signal is
// not averaged away by quiet ones). MinRequests is the evidence needed
// before the indicator is judged at all.
type Rule struct {
	Lo          float64 `yaml:"lo" json:"lo"`
	Hi          float64 `yaml:"hi" json:"hi"`
	Strength    float64 `yaml:"strength" json:"strength"`
	MinRequests int     `yaml:"min_requests" json:"min_requests"`
	// LoPercentile and HiPercentile, when set (e.g. 99 and 99.9), take Lo
	// and Hi from a calibration baseline of benign traffic instead.
	LoPercentile float64 `yaml:"lo_percentile" json:"lo_percentile,omitempty"`
	HiPercentile float64 `yaml:"hi_percentile" json:"hi_percentile,omitempty"`
}

// Config is the scan's YAML configuration. Everything has a documented
// default (DefaultConfig); a config file overrides what it sets.
type Config struct {
	Fields  Layout          `yaml:"fields"`
	Rules   map[string]Rule `yaml:"rules"`
	Actions Actions         `yaml:"actions"`
	// TopicsFile replaces the shipped taxonomy (corpora/topics.yaml).
	TopicsFile string `yaml:"topics_file"`
}

// Actions are the risk thresholds for each suggested action.
type Actions struct {
	Alert    float64 `yaml:"alert" json:"alert"`
	Throttle float64 `yaml:"throttle" json:"throttle"`
	Suspend  float64 `yaml:"suspend" json:"suspend"`
}

// Indicator names, in report order.
const (
	IndVolume    = "volume"            // requests per day
	IndTokens    = "token_volume"      // tokens per day
	IndCoverage  = "topic_coverage"    // share of topics hit × evenness of the hits
	IndTemplates = "templated_prompts" // share of prompts in the 3 commonest templates
	IndNearDup   = "near_duplicates"   // share of prompts with a SimHash band seen before
	IndCoT       = "reasoning_harvest" // share of prompts asking for reasoning traces
	IndParams    = "parameter_sweeps"  // logprobs, logit_bias, n>1, many temperatures
	IndLengths   = "uniform_lengths"   // 1 − CV of prompt length in words
	IndTiming    = "regular_timing"    // 1 − CV of inter-arrival times
	IndClock     = "around_the_clock"  // normalised entropy of the 24-hour histogram
	// Sliding windows: the worst stretch, not the whole history.
	IndPeakHour     = "peak_hour_requests" // most requests in any 60 minutes
	IndDayTopics    = "peak_day_topics"    // most topics touched in any 24 hours, as a share of all topics
	IndWinCoverage  = "window_coverage"    // topic_coverage over the worst 100 consecutive prompts
	IndWinTemplates = "window_templated"   // share of the commonest template in the worst 100 prompts
	IndWinCoT       = "window_reasoning"   // reasoning_harvest over the worst 100 prompts
	// IndLowTemp is the share of requests asking for a temperature below
	// LowTemperature: the gateway serves watermarked accounts at no less
	// (greedy text carries no watermark), so asking for less is asking
	// for text without one.
	IndLowTemp = "low_temperature"
)

// LowTemperature is the gateway's default temperature floor for
// watermarked accounts (serve's watermarking.min_temperature).
const LowTemperature = 0.2

var indicatorOrder = []string{IndVolume, IndTokens, IndCoverage, IndTemplates, IndNearDup, IndCoT, IndParams, IndLengths, IndTiming, IndClock,
	IndPeakHour, IndDayTopics, IndWinCoverage, IndWinTemplates, IndWinCoT, IndLowTemp}

// DefaultConfig is what scan-logs uses without --config. The thresholds are
// starting points for a general-purpose API; calibrate them on your own
// benign traffic.
func DefaultConfig() Config {
	var c Config
	c.Fields = DefaultLayout()
	c.Rules = map[string]Rule{
		IndVolume:    {Lo: 500, Hi: 5000, Strength: 0.5, MinRequests: 20},
		IndTokens:    {Lo: 300_000, Hi: 3_000_000, Strength: 0.4, MinRequests: 20},
		IndCoverage:  {Lo: 0.35, Hi: 0.75, Strength: 0.6, MinRequests: 40},
		IndTemplates: {Lo: 0.35, Hi: 0.85, Strength: 0.5, MinRequests: 20},
		IndNearDup:   {Lo: 0.25, Hi: 0.7, Strength: 0.4, MinRequests: 20},
		IndCoT:       {Lo: 0.15, Hi: 0.6, Strength: 0.6, MinRequests: 10},
		IndParams:    {Lo: 0.1, Hi: 0.6, Strength: 0.5, MinRequests: 10},
		IndLengths:   {Lo: 0.6, Hi: 0.9, Strength: 0.3, MinRequests: 30},
		IndTiming:    {Lo: 0.5, Hi: 0.9, Strength: 0.3, MinRequests: 30},
		IndClock:     {Lo: 0.88, Hi: 0.98, Strength: 0.25, MinRequests: 200},
		// Windows: thresholds as for the whole-history indicators, a
		// little higher where a short stretch is noisier.
		IndPeakHour:     {Lo: 120, Hi: 600, Strength: 0.4, MinRequests: 50},
		IndDayTopics:    {Lo: 0.45, Hi: 0.85, Strength: 0.4, MinRequests: 40},
		IndWinCoverage:  {Lo: 0.4, Hi: 0.8, Strength: 0.5, MinRequests: windowFrom + windowRequests},
		IndWinTemplates: {Lo: 0.4, Hi: 0.9, Strength: 0.4, MinRequests: windowFrom + windowRequests},
		IndWinCoT:       {Lo: 0.2, Hi: 0.7, Strength: 0.5, MinRequests: windowFrom + windowRequests},
		// Set before any measurement: evaluation suites ask for T = 0
		// too, so it is weak alone (at most 0.3) and needs most of an
		// account's requests to fire.
		IndLowTemp: {Lo: 0.5, Hi: 0.95, Strength: 0.3, MinRequests: 20},
	}
	c.Actions.Alert, c.Actions.Throttle, c.Actions.Suspend = 0.3, 0.5, 0.8
	return c
}

// LoadConfig reads a scan config over the defaults; unknown fields are
// errors with their line.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("load scan config %s: %w", path, err)
	}
	var over struct {
		Fields     Layout               `yaml:"fields"`
		Rules      map[string]yaml.Node `yaml:"rules"`
		Actions    Actions              `yaml:"actions"`
		TopicsFile string               `yaml:"topics_file"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&over); err != nil {
		return c, fmt.Errorf("scan config %s: %w", path, err)
	}
	if over.Fields != (Layout{}) {
		c.Fields = over.Fields.withDefaults()
	}
	for name, node := range over.Rules {
		r, ok := c.Rules[name]
		if !ok {
			return c, fmt.Errorf("scan config %s: unknown indicator %q (known: %s)", path, name, strings.Join(indicatorOrder, ", "))
		}
		// Only the fields the file sets change; the rest keep their defaults.
		if err := node.Decode(&r); err != nil {
			return c, fmt.Errorf("scan config %s: indicator %s: %w", path, name, err)
		}
		pct := r.LoPercentile > 0 || r.HiPercentile > 0
		if (!pct && !(r.Hi > r.Lo)) || r.Strength < 0 || r.Strength > 1 ||
			(pct && !(r.LoPercentile >= 0 && r.HiPercentile <= 100 && (r.HiPercentile == 0 || r.HiPercentile > r.LoPercentile))) {
			return c, fmt.Errorf("scan config %s: indicator %s needs lo < hi (or lo_percentile < hi_percentile) and strength in [0,1]", path, name)
		}
		c.Rules[name] = r
	}
	if over.Actions.Alert > 0 {
		c.Actions = over.Actions
	}
	c.TopicsFile = over.TopicsFile
	return c, nil
}

// Indicator is one signal's verdict on an account or cluster.
type Indicator struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Score float64 `json:"score"` // 0..1
	// Judged is false when there was too little data (MinRequests).
	Judged   bool   `json:"judged"`
	Evidence string `json:"evidence,omitempty"`
}

// AccountReport is one account's result.
type AccountReport struct {
	Account    string      `json:"account"`
	Requests   int         `json:"requests"`
	Tokens     int         `json:"tokens"`
	First      time.Time   `json:"first"`
	Last       time.Time   `json:"last"`
	Risk       float64     `json:"risk"`
	Action     string      `json:"action"`             // none, alert, throttle, suspend
	Throttle   float64     `json:"throttle,omitempty"` // suggested limit factor when throttling
	Fired      []string    `json:"fired"`
	Indicators []Indicator `json:"indicators"`
	Samples    []string    `json:"sample_prompts,omitempty"`
	Templates  []string    `json:"top_templates,omitempty"`
	Cluster    int         `json:"cluster,omitempty"` // 0: none
}

// ClusterReport is a group of linked accounts judged together.
type ClusterReport struct {
	ID         int         `json:"id"`
	Accounts   []string    `json:"accounts"`
	Links      []string    `json:"links"`
	Requests   int         `json:"requests"`
	Risk       float64     `json:"risk"`
	Action     string      `json:"action"`
	Throttle   float64     `json:"throttle,omitempty"`
	Fired      []string    `json:"fired"`
	Indicators []Indicator `json:"indicators"`
}

// Report is a whole scan.
type Report struct {
	Read     ReadStats       `json:"read"`
	Accounts []AccountReport `json:"accounts"`
	Clusters []ClusterReport `json:"clusters"`
}

// Scanner accumulates records; Report judges them.
type Scanner struct {
	cfg      Config
	tax      *Taxonomy
	accounts map[string]*account
	scratch  scratch
}

// NewScanner prepares a scan.
func NewScanner(cfg Config) (*Scanner, error) {
	data := corpora.TopicsYAML
	if cfg.TopicsFile != "" {
		var err error
		if data, err = os.ReadFile(cfg.TopicsFile); err != nil {
			return nil, fmt.Errorf("topics file: %w", err)
		}
	}
	tax, err := ParseTaxonomy(data)
	if err != nil {
		return nil, err
	}
	return &Scanner{cfg: cfg, tax: tax, accounts: map[string]*account{}}, nil
}

// Add takes one record.
func (s *Scanner) Add(r Record) {
	addRecord(s.accounts, r, s.tax, &s.scratch)
}

// Scan reads logs, on all cores, and reports.
func Scan(ctx context.Context, cfg Config, paths []string, progress func(int64)) (*Report, error) {
	return ScanWith(ctx, cfg, paths, ReadOptions{Progress: progress})
}

// ScanWith is Scan with the read's options (how many cores, progress).
func ScanWith(ctx context.Context, cfg Config, paths []string, opts ReadOptions) (*Report, error) {
	s, err := NewScanner(cfg)
	if err != nil {
		return nil, err
	}
	st, err := s.ReadLogs(ctx, paths, opts)
	if err != nil {
		return nil, err
	}
	rep := s.Report()
	rep.Read = st
	return rep, nil
}

// Report judges every account and cluster, riskiest first.
func (s *Scanner) Report() *Report {
	rep := &Report{}
	names := make([]string, 0, len(s.accounts))
	for n := range s.accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := s.accounts[n]
		ar := AccountReport{Account: n, Requests: a.requests, Tokens: a.tokens, First: a.first, Last: a.last, Samples: a.samples}
		for _, t := range a.topTemplates(3) {
			ar.Templates = append(ar.Templates, fmt.Sprintf("%dx %q", t.count, t.text))
		}
		ar.Indicators = s.judge(a, true)
		ar.Risk, ar.Fired = combine(ar.Indicators, s.cfg.Rules)
		ar.Action, ar.Throttle = s.action(ar.Risk)
		rep.Accounts = append(rep.Accounts, ar)
	}
	rep.Clusters = s.clusters(rep)
	sort.SliceStable(rep.Accounts, func(i, j int) bool { return rep.Accounts[i].Risk > rep.Accounts[j].Risk })
	return rep
}

func (s *Scanner) action(risk float64) (string, float64) {
	a := s.cfg.Actions
	switch {
	case risk >= a.Suspend:
		return "suspend", 0
	case risk >= a.Throttle:
		// Tighter the riskier: factor 0.5 at the throttle threshold down
		// to 0.1 just below suspension.
		f := 0.5 - 0.4*(risk-a.Throttle)/math.Max(a.Suspend-a.Throttle, 1e-9)
		return "throttle", math.Round(math.Max(0.1, f)*100) / 100
	case risk >= a.Alert:
		return "alert", 0
	}
	return "none", 0
}

// combine is the noisy-OR of the judged indicators' strength × score.
func combine(inds []Indicator, rules map[string]Rule) (float64, []string) {
	keep := 1.0
	var fired []string
	for _, in := range inds {
		if !in.Judged || in.Score == 0 {
			continue
		}
		keep *= 1 - rules[in.Name].Strength*in.Score
		fired = append(fired, fmt.Sprintf("%s=%.3g", in.Name, in.Value))
	}
	return math.Round((1-keep)*1000) / 1000, fired
}

func score(v float64, r Rule) float64 {
	switch {
	case v <= r.Lo:
		return 0
	case v >= r.Hi:
		return 1
	}
	return (v - r.Lo) / (r.Hi - r.Lo)
}

// judge computes an account's indicators; timing ones only for single
// accounts (merged clusters have no meaningful inter-arrival times).
func (s *Scanner) judge(a *account, timing bool) []Indicator {
	days := math.Max(a.last.Sub(a.first).Hours(), 1) / 24
	vals := map[string]float64{
		IndVolume: float64(a.requests) / days,
		IndTokens: float64(a.tokens) / days,
	}
	ev := map[string]string{
		IndVolume: fmt.Sprintf("%d requests over %.1f h", a.requests, a.last.Sub(a.first).Hours()),
	}
	if a.prompts > 0 {
		cov, hit := coverage(a.topicHits)
		vals[IndCoverage] = cov
		ev[IndCoverage] = fmt.Sprintf("%d of %d topics", hit, len(a.topicHits))
		top := a.topTemplates(3)
		inTop := 0
		for _, t := range top {
			inTop += t.count
		}
		vals[IndTemplates] = float64(inTop) / float64(a.prompts)
		if len(top) > 0 {
			ev[IndTemplates] = fmt.Sprintf("top template %dx: %q", top[0].count, top[0].text)
		}
		vals[IndNearDup] = float64(a.nearDup) / float64(a.prompts)
		vals[IndCoT] = float64(a.cot) / float64(a.prompts)
		if a.lenN > 1 && a.lenMean > 0 {
			cv := math.Sqrt(a.lenM2/float64(a.lenN-1)) / a.lenMean
			vals[IndLengths] = 1 - math.Min(1, cv)
			ev[IndLengths] = fmt.Sprintf("mean %.1f words, CV %.2f", a.lenMean, cv)
		}
	}
	sweep := float64(a.logprobs+a.logitBias+a.multiN) / float64(max(a.requests, 1))
	if len(a.temps) >= 5 {
		sweep += 0.5
	}
	vals[IndParams] = sweep
	ev[IndParams] = fmt.Sprintf("%d top_logprobs, %d logit_bias, %d n>1, %d temperatures", a.logprobs, a.logitBias, a.multiN, len(a.temps))
	vals[IndLowTemp] = float64(a.lowTemp) / float64(max(a.requests, 1))
	ev[IndLowTemp] = fmt.Sprintf("%d of %d requests asked for a temperature below %g", a.lowTemp, a.requests, LowTemperature)
	if timing {
		tf := "2006-01-02 15:04"
		vals[IndPeakHour] = float64(a.tw.peakHour)
		ev[IndPeakHour] = fmt.Sprintf("%d requests in the hour to %s", a.tw.peakHour, a.tw.peakHourAt.UTC().Format(tf))
		if len(a.topicHits) > 0 && a.prompts > 0 {
			vals[IndDayTopics] = float64(a.tw.peakTopics) / float64(min(len(a.topicHits), 64))
			ev[IndDayTopics] = fmt.Sprintf("%d topics in the 24 hours to %s", a.tw.peakTopics, a.tw.peakTopicAt.UTC().Format(tf))
		}
		if w := a.rw; w != nil && w.n == windowRequests {
			vals[IndWinCoverage] = w.peakCoverage
			ev[IndWinCoverage] = "worst 100 prompts ending " + w.peakCoverageAt.UTC().Format(tf)
			vals[IndWinTemplates] = w.peakTemplate
			ev[IndWinTemplates] = "worst 100 prompts ending " + w.peakTemplateAt.UTC().Format(tf)
			vals[IndWinCoT] = w.peakCoT
			ev[IndWinCoT] = "worst 100 prompts ending " + w.peakCoTAt.UTC().Format(tf)
		}
	}
	if timing && a.gapN > 1 && a.gapMean > 0 {
		cv := math.Sqrt(a.gapM2/float64(a.gapN-1)) / a.gapMean
		vals[IndTiming] = 1 - math.Min(1, cv)
		ev[IndTiming] = fmt.Sprintf("mean gap %.1f s, CV %.2f", a.gapMean, cv)
		vals[IndClock] = normEntropy(a.hours[:])
	}
	var out []Indicator
	for _, name := range indicatorOrder {
		v, ok := vals[name]
		if !ok {
			continue
		}
		r := s.cfg.Rules[name]
		in := Indicator{Name: name, Value: round3(v), Lo: r.Lo, Hi: r.Hi, Judged: a.requests >= r.MinRequests, Evidence: ev[name]}
		if in.Judged {
			in.Score = round3(score(v, r))
		}
		out = append(out, in)
	}
	return out
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// normEntropy is the entropy of counts divided by log(len): 1 when even.
func normEntropy[T int | int32](counts []T) float64 {
	total := 0
	for _, c := range counts {
		total += int(c)
	}
	if total == 0 || len(counts) < 2 {
		return 0
	}
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(total)
			h -= p * math.Log(p)
		}
	}
	return h / math.Log(float64(len(counts)))
}

// coverage is the topic_coverage indicator on per-topic counts: the share
// of topics touched times the evenness of the touches; hit is how many
// were touched.
func coverage[T int | int32](counts []T) (value float64, hit int) {
	for _, c := range counts {
		if c > 0 {
			hit++
		}
	}
	if len(counts) == 0 {
		return 0, 0
	}
	return float64(hit) / float64(len(counts)) * normEntropy(counts), hit
}

// Now are an account's current values, for a gateway deciding request by
// request (see serve's rate_limits).
type Now struct {
	Requests int
	Prompts  int
	// DayTopics is how many topics the account touched in the last 24
	// hours (up to its latest request).
	DayTopics int
	// Coverage is topic_coverage over the account's whole history.
	Coverage float64
}

// Now returns an account's current values (zero for an unknown account).
func (s *Scanner) Now(account string) Now {
	a := s.accounts[account]
	if a == nil {
		return Now{}
	}
	n := Now{Requests: a.requests, Prompts: a.prompts, DayTopics: a.tw.dayTopics()}
	cov, _ := coverage(a.topicHits)
	n.Coverage = round3(cov)
	return n
}
