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
	"forensics/logscan/benchmarks"
	"forensics/logscan/reasoning"
)

// Rule sets how an indicator is judged. An indicator's evidence is how
// rare its value is among benign accounts (the reference: a calibration
// baseline, or the log's own accounts), in decades; Floor is the value at
// or below which it is no evidence however rare (a quiet log makes modest
// values rare), and MinRequests the requests an account needs before the
// indicator is judged at all.
type Rule struct {
	Floor       float64 `yaml:"floor" json:"floor"`
	MinRequests int     `yaml:"min_requests" json:"min_requests"`
	// Off leaves the indicator out of the score (it is still reported).
	Off bool `yaml:"off" json:"off,omitempty"`
}

// Config is the scan's YAML configuration. Everything has a documented
// default (DefaultConfig); a config file overrides what it sets.
type Config struct {
	Fields  Layout          `yaml:"fields"`
	Rules   map[string]Rule `yaml:"rules"`
	Actions Actions         `yaml:"actions"`
	// TopicsFile replaces the shipped taxonomy (corpora/topics.yaml).
	TopicsFile string `yaml:"topics_file"`
	// FlagshipModels are the model names (or name prefixes before ":" or
	// "-") of the provider's most capable models: a campaign asks for the
	// best teacher. Empty: flagship_model is not judged.
	FlagshipModels []string `yaml:"flagship_models"`
}

// Actions say what evidence each suggested action needs: a score (in
// decades, see score.go) and, where the reference has enough accounts to
// say it, a benign tail (the share of reference accounts scoring at least
// as high). Throttle and suspend also need evidence of what is taken
// (What), not only of systematic use: a busy pipeline is not a campaign.
type Actions struct {
	Alert        float64 `yaml:"alert" json:"alert"`
	Throttle     float64 `yaml:"throttle" json:"throttle"`
	Suspend      float64 `yaml:"suspend" json:"suspend"`
	AlertTail    float64 `yaml:"alert_tail" json:"alert_tail"`
	ThrottleTail float64 `yaml:"throttle_tail" json:"throttle_tail"`
	SuspendTail  float64 `yaml:"suspend_tail" json:"suspend_tail"`
	ThrottleWhat float64 `yaml:"throttle_what" json:"throttle_what"`
	SuspendWhat  float64 `yaml:"suspend_what" json:"suspend_what"`
	// MinTaken is the answer tokens an account or cluster must have been
	// served before it is throttled or suspended: a harvest has a size.
	MinTaken int64 `yaml:"min_taken" json:"min_taken"`
}

// Indicator names, in report order.
const (
	IndVolume    = "volume"            // requests per day
	IndTokens    = "token_volume"      // tokens per day
	IndCoverage  = "topic_coverage"    // share of topics hit × evenness of the hits
	IndTemplates = "templated_prompts" // share of prompts in the 3 commonest templates
	IndNearDup   = "near_duplicates"   // share of prompts with a SimHash band seen before
	IndCoT       = "reasoning_harvest" // share of requests asking for reasoning traces
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
	// What is taken (value.go).
	IndLongAnswers = "long_answers"   // answers of 400 tokens or more per day
	IndResample    = "resampling"     // share of requests sampling a recent prompt again, or with n > 1
	IndLengthLimit = "length_limit"   // share of answers that ran to max_tokens
	IndFlagship    = "flagship_model" // share of requests for a flagship model
	IndWritten     = "written_turns"  // share of requests with assistant turns the account was never served
	// Reported, not scored: they temper the breadth evidence and explain
	// legitimate use.
	IndAnswerShare = "answer_share" // the model's answers' share of the account's tokens
	IndPublic      = "public_items" // share of requests that are public benchmark items
)

// LowTemperature is the gateway's default temperature floor for
// watermarked accounts (serve's watermarking.min_temperature).
const LowTemperature = 0.2

var indicatorOrder = []string{IndVolume, IndTokens, IndCoverage, IndTemplates, IndNearDup, IndCoT, IndParams, IndLengths, IndTiming, IndClock,
	IndPeakHour, IndDayTopics, IndWinCoverage, IndWinTemplates, IndWinCoT, IndLowTemp,
	IndLongAnswers, IndResample, IndLengthLimit, IndFlagship, IndWritten, IndAnswerShare, IndPublic}

// IndicatorNames lists the indicators in report order.
func IndicatorNames() []string { return append([]string(nil), indicatorOrder...) }

// DefaultConfig is what scan-logs uses without --config. The floors and
// action thresholds were set before any measurement on the held-out
// traffic (docs/scan-logs.md says which numbers come from which data).
func DefaultConfig() Config {
	var c Config
	c.Fields = DefaultLayout()
	c.Rules = map[string]Rule{
		IndVolume:       {Floor: 200, MinRequests: 20},
		IndTokens:       {Floor: 150_000, MinRequests: 20},
		IndPeakHour:     {Floor: 60, MinRequests: 50},
		IndCoverage:     {Floor: 0.25, MinRequests: 40},
		IndDayTopics:    {Floor: 0.35, MinRequests: 40},
		IndWinCoverage:  {Floor: 0.3, MinRequests: windowFrom + windowRequests},
		IndTemplates:    {Floor: 0.3, MinRequests: 20},
		IndWinTemplates: {Floor: 0.35, MinRequests: windowFrom + windowRequests},
		IndNearDup:      {Floor: 0.2, MinRequests: 20},
		IndLengths:      {Floor: 0.5, MinRequests: 30},
		IndCoT:          {Floor: 0.1, MinRequests: 10},
		IndWinCoT:       {Floor: 0.15, MinRequests: windowFrom + windowRequests},
		IndParams:       {Floor: 0.05, MinRequests: 10},
		// Evaluation suites ask for T = 0 too; it needs most requests.
		IndLowTemp:     {Floor: 0.5, MinRequests: 20},
		IndLongAnswers: {Floor: 50, MinRequests: 20},
		IndResample:    {Floor: 0.1, MinRequests: 10},
		IndLengthLimit: {Floor: 0.1, MinRequests: 20},
		IndFlagship:    {Floor: 0.5, MinRequests: 20},
		IndWritten:     {Floor: 0.1, MinRequests: 10},
		IndTiming:      {Floor: 0.4, MinRequests: 30},
		IndClock:       {Floor: 0.85, MinRequests: 200},
		IndAnswerShare: {Off: true},
		IndPublic:      {Off: true},
	}
	c.Actions = Actions{Alert: 3, Throttle: 5, Suspend: 8, AlertTail: 0.01, ThrottleTail: 0.002, SuspendTail: 0.001,
		ThrottleWhat: 3, SuspendWhat: 5, MinTaken: 100_000}
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
		Fields         Layout               `yaml:"fields"`
		Rules          map[string]yaml.Node `yaml:"rules"`
		Actions        yaml.Node            `yaml:"actions"`
		TopicsFile     string               `yaml:"topics_file"`
		FlagshipModels []string             `yaml:"flagship_models"`
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
		if err := decodeKnown(&node, &r); err != nil {
			return c, fmt.Errorf("scan config %s: indicator %s: %w", path, name, err)
		}
		if r.Floor < 0 || r.MinRequests < 0 {
			return c, fmt.Errorf("scan config %s: indicator %s: floor and min_requests must be ≥ 0", path, name)
		}
		c.Rules[name] = r
	}
	if !over.Actions.IsZero() {
		if err := decodeKnown(&over.Actions, &c.Actions); err != nil {
			return c, fmt.Errorf("scan config %s: actions: %w", path, err)
		}
		a := c.Actions
		if !(a.Alert > 0 && a.Alert <= a.Throttle && a.Throttle <= a.Suspend) {
			return c, fmt.Errorf("scan config %s: actions need 0 < alert ≤ throttle ≤ suspend", path)
		}
	}
	c.TopicsFile = over.TopicsFile
	c.FlagshipModels = over.FlagshipModels
	return c, nil
}

// decodeKnown decodes a YAML node over v, refusing fields v lacks. The
// thresholds of versions before issue 19 (lo, hi, strength, percentiles)
// get an error that says what replaced them.
func decodeKnown(n *yaml.Node, v any) error {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i].Value; k {
			case "lo", "hi", "strength", "lo_percentile", "hi_percentile":
				return fmt.Errorf("line %d: %q is no longer used: indicators are scored by how rare their value is among benign accounts (floor and min_requests remain; see docs/scan-logs.md)", n.Content[i].Line, k)
			}
		}
	}
	data, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// Indicator is one signal's verdict on an account or cluster.
type Indicator struct {
	Name   string  `json:"name"`
	Family string  `json:"family"`
	Value  float64 `json:"value"`
	// Decades is the evidence: −log10 of how rare the value is among the
	// reference's benign accounts, above a half (0: not rare, below the
	// floor, or not judged).
	Decades float64 `json:"decades"`
	// Judged is false when there was too little data (MinRequests).
	Judged   bool   `json:"judged"`
	Evidence string `json:"evidence,omitempty"`
}

// AccountReport is one account's result.
type AccountReport struct {
	Account  string    `json:"account"`
	Requests int       `json:"requests"`
	Tokens   int       `json:"tokens"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
	Verdict
	Indicators []Indicator `json:"indicators"`
	Samples    []string    `json:"sample_prompts,omitempty"`
	Templates  []string    `json:"top_templates,omitempty"`
	Cluster    int         `json:"cluster,omitempty"` // 0: none
	// Business is the account's line of the accounts file, if given.
	Business *AccountInfo `json:"business,omitempty"`
}

// Verdict is the judgement of an account or a cluster (score.go).
type Verdict struct {
	// Score is the evidence in decades: What + min(How, What).
	Score float64 `json:"score"`
	// What is the evidence of what is taken (breadth, reasoning traces,
	// sampling, output), How of systematic use (volume, templates,
	// timing); systematic use alone is not extraction.
	What float64 `json:"what"`
	How  float64 `json:"how"`
	// ReferenceTail is the share of the reference's accounts that score
	// at least as high: with the prior or a baseline, the benign
	// false-alarm rate of a threshold here.
	ReferenceTail float64 `json:"reference_tail"`
	// Risk is Score / (Score + 5) in [0, 1): 0.5 at the default throttle
	// score, for dashboards that want a bounded number.
	Risk     float64  `json:"risk"`
	Action   string   `json:"action"`             // none, alert, throttle, suspend
	Throttle float64  `json:"throttle,omitempty"` // suggested limit factor when throttling
	Fired    []string `json:"fired"`
	// Capped says why the action is less than the score would give (a
	// contract or an allow-list in the accounts file).
	Capped string `json:"capped,omitempty"`
}

// ClusterReport is a group of linked accounts judged together.
type ClusterReport struct {
	ID       int      `json:"id"`
	Accounts []string `json:"accounts"`
	Links    []string `json:"links"`
	Requests int      `json:"requests"`
	Verdict
	Indicators []Indicator `json:"indicators"`

	// LinkDetails is the evidence behind Links, item by item: the
	// cluster's graph.
	LinkDetails []Link `json:"link_details,omitempty"`
}

// Report is a whole scan.
type Report struct {
	Read ReadStats `json:"read"`
	// Reference says what the scores are calibrated against.
	Reference ReferenceInfo   `json:"reference"`
	Accounts  []AccountReport `json:"accounts"`
	Clusters  []ClusterReport `json:"clusters"`

	// page is what the HTML page draws beyond the above (page.go); not
	// part of the JSON.
	page *pageData
}

// Scanner accumulates records; Report judges them.
type Scanner struct {
	cfg      Config
	env      env
	accounts map[string]*account
	scratch  scratch
	baseline *Baseline
	// prior is pooled with the log's accounts when there is no baseline.
	prior     *Baseline
	priorName string
	business  Accounts
	// sawServed is whether any line logged its answer's hash: without
	// them, every assistant turn would look written by the client.
	sawServed bool
	// pageAccounts is how many flagged accounts the HTML page details.
	pageAccounts int
	// readFiles is what ReadLogs read of each file, for the page's replay.
	readFiles []fileRead
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
	s := &Scanner{cfg: cfg, env: env{tax: tax, flagships: cfg.FlagshipModels}, accounts: map[string]*account{}}
	if err := s.SetOptions(Options{}); err != nil {
		return nil, err
	}
	return s, nil
}

// Options are a scan's optional inputs.
type Options struct {
	// Baseline calibrates the scores against benign traffic scanned
	// before; nil: against the log's own accounts pooled with a prior.
	Baseline *Baseline
	// Reference, without a baseline, is RefPrior (the default) or RefLog.
	Reference string
	// Prior replaces the shipped prior (ShippedPrior).
	Prior *Baseline
	// Business is the accounts file.
	Business Accounts
	// Public recognises public benchmark items (nil: the shipped
	// fingerprints, benchmarks.Default, unless NoPublic); Reasoning
	// requests for reasoning traces (nil: the shipped classifier,
	// reasoning.Default).
	Public    PublicItems
	NoPublic  bool
	Reasoning ReasoningDetector
	// Workers is how many cores read the logs (Scanner.ReadLogs); 0:
	// all.
	Workers int
	// PageAccounts is how many flagged accounts report.html details
	// (WriteOutputs); 0: DefaultPageAccounts.
	PageAccounts int
	// FiringTimes makes ScanWith read the logs a second time, replaying
	// those accounts step by step of the page's time grid (seconds to
	// days, by the log's span) against the final reference, so that the
	// page shows when each indicator fired. The report is otherwise the
	// same.
	FiringTimes bool
}

// SetOptions gives the scanner its optional inputs (before the first Add).
func (s *Scanner) SetOptions(o Options) error {
	s.baseline, s.business = o.Baseline, o.Business
	s.pageAccounts = o.PageAccounts
	if s.pageAccounts <= 0 {
		s.pageAccounts = DefaultPageAccounts
	}
	s.env.public, s.env.reasoning = o.Public, o.Reasoning
	if o.Public == nil && !o.NoPublic {
		s.env.public = benchmarks.Default()
	}
	if o.Reasoning == nil {
		s.env.reasoning = reasoning.Default()
	}
	switch o.Reference {
	case "", RefPrior:
		s.prior, s.priorName = o.Prior, "given prior"
		if o.Prior == nil {
			p, err := ShippedPrior()
			if err != nil {
				return err
			}
			s.prior, s.priorName = p, "the shipped prior of simulated benign traffic"
		}
	case RefLog:
		s.prior = nil
	default:
		return fmt.Errorf("reference %q: want %q or %q", o.Reference, RefPrior, RefLog)
	}
	return nil
}

// Add takes one record.
func (s *Scanner) Add(r Record) {
	if r.Completion != 0 {
		s.sawServed = true
	}
	addRecord(s.accounts, r, &s.env, &s.scratch)
}

// Scan reads logs and reports, with the default options.
func Scan(ctx context.Context, cfg Config, paths []string, progress func(int64)) (*Report, error) {
	return ScanWith(ctx, cfg, Options{}, paths, progress)
}

// ScanWith is Scan with optional inputs.
func ScanWith(ctx context.Context, cfg Config, opts Options, paths []string, progress func(int64)) (*Report, error) {
	s, err := NewScanner(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.SetOptions(opts); err != nil {
		return nil, err
	}
	st, err := s.ReadLogs(ctx, paths, ReadOptions{Workers: opts.Workers, Progress: progress})
	if err != nil {
		return nil, err
	}
	rep, ref := s.report()
	rep.Read = st
	if opts.FiringTimes {
		if err := s.replayFlagged(ctx, rep, ref); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// Report judges every account and cluster, highest score first.
func (s *Scanner) Report() *Report {
	rep, _ := s.report()
	return rep
}

// report is Report with the reference it judged against.
func (s *Scanner) report() (*Report, *reference) {
	rep := &Report{}
	names := make([]string, 0, len(s.accounts))
	for n := range s.accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	inds := make([][]Indicator, len(names))
	for i, n := range names {
		inds[i] = s.judge(s.accounts[n], true)
	}
	ref := s.reference(inds)
	rep.Reference = ref.info
	for i, n := range names {
		a := s.accounts[n]
		ar := AccountReport{Account: n, Requests: a.requests, Tokens: a.tokens, First: a.first, Last: a.last, Samples: a.samples,
			Business: s.business[n]}
		for _, t := range a.topTemplates(3) {
			ar.Templates = append(ar.Templates, fmt.Sprintf("%dx %q", t.count, t.text))
		}
		ar.Indicators = inds[i]
		ar.Verdict = ref.score(ar.Indicators, s.cfg, nil)
		rep.Accounts = append(rep.Accounts, ar)
	}
	ref.setScores(rep.Accounts)
	if a := s.cfg.Actions; float64(ref.scores.N) < 1/math.Min(a.AlertTail, math.Min(a.ThrottleTail, a.SuspendTail)) {
		rep.Reference.Note += fmt.Sprintf("; %d reference accounts cannot resolve every action's tail limit, and an action they cannot resolve is not given", ref.scores.N)
	}
	for i := range rep.Accounts {
		ar := &rep.Accounts[i]
		var self []float64
		if ref.self {
			self = []float64{ar.Score}
		}
		ref.act(&ar.Verdict, s.cfg.Actions, self, s.accounts[ar.Account].value.completionTok)
		capByBusiness(&ar.Verdict, ar.Business, ar.First)
	}
	rep.Clusters = s.clusters(rep, ref)
	sort.SliceStable(rep.Accounts, func(i, j int) bool { return rep.Accounts[i].Score > rep.Accounts[j].Score })
	rep.page = s.pageData(rep, ref)
	return rep, ref
}

// capByBusiness lowers the action of an account the business vouches for
// (as of first, its first request) to an alert: a person then decides.
// The evidence is left as it is.
func capByBusiness(v *Verdict, b *AccountInfo, first time.Time) {
	if !b.Trusted(first) || (v.Action != "throttle" && v.Action != "suspend") {
		return
	}
	why := "allow-listed"
	if !b.Allowlist {
		why = "contract with a verified organisation"
	}
	v.Capped = fmt.Sprintf("%s (accounts file): %s lowered to alert", why, v.Action)
	v.Action, v.Throttle = "alert", 0
}

// judge computes an account's indicators' values; timing ones only for
// single accounts (merged clusters have no meaningful inter-arrival
// times). Their evidence is set by the reference (score.go).
func (s *Scanner) judge(a *account, timing bool) []Indicator {
	vals, ev := s.values(a, timing)
	var out []Indicator
	for _, name := range indicatorOrder {
		v, ok := vals[name]
		if !ok {
			continue
		}
		r := s.cfg.Rules[name]
		out = append(out, Indicator{Name: name, Family: familyOf[name].name(), Value: round3(v), Judged: a.requests >= r.MinRequests, Evidence: ev[name]})
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
