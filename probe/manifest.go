package probe

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"forensics/canary"
	"forensics/watermark"

	"forensics/internal/buildinfo"
	"forensics/internal/bundlefile"
)

// ManifestFormat names this manifest layout.
// Version 2: the style test is gone (its null did not cover its claim),
// propositions separate "depends on our text" from "trained on it" (a
// relay of our service explains the first), canary sets say whether they
// are the key's secret set, and file targets' copies are committed.
const ManifestFormat = "forensics-probe-manifest/2"

// Test names.
const (
	TestRadioactivity = "radioactivity"
	TestCanary        = "canary"
	TestEquality      = "equality"
	// TestAttribution scores the suspect's answers under the key of every
	// case the manifest names (attribution.go).
	TestAttribution = "attribution"
)

// Proposition ids. A test rejecting its null supports what its null
// denies and nothing more: our watermark or planted answers in the
// suspect's text show that the text depends on text our service
// generated (PropDerived), which a model trained on our outputs and a
// relay of our service both explain. PropTrained needs the relay ruled
// out as well (see verdicts).
const (
	PropDerived = "depends-on-our-outputs"
	PropTrained = "trained-on-our-outputs"
	PropSame    = "serves-our-model"
	// PropCase is per case: the suspect depends on text served under the
	// case's key, i.e. to the case's accounts after the case opened.
	PropCase = "depends-on-a-case"
)

// Manifest is the probe's plan, written and hashed before the first query:
// what is claimed, how it is tested, at what error rate, on which targets
// and prompts. Results must follow it; its SHA-256 is in every transcript
// record, so changing it afterwards breaks the bundle.
type Manifest struct {
	Format string `json:"format"`
	// Tool is the one-line identity of the build that wrote the plan
	// (buildinfo.Info.String; "forensics (devel)" in bundles from before
	// Build), kept for readers that know no Build.
	Tool string `json:"tool"`
	// Build is that build in full (nil in older bundles).
	Build        *buildinfo.Info `json:"build,omitempty"`
	Created      string          `json:"created"`
	Command      []string        `json:"command,omitempty"`
	Propositions []Proposition   `json:"propositions"`
	Alpha        float64         `json:"alpha"`
	Tests        []TestPlan      `json:"tests"`
	Targets      Targets         `json:"targets"`
	Canaries     CanaryRef       `json:"canaries"`
	Key          KeyRef          `json:"key"`
	Tokenizer    TokenizerRef    `json:"tokenizer"`
	Sampling     Sampling        `json:"sampling"`
	Plan         Plan            `json:"plan"`
	Budget       Budget          `json:"budget"`
	Null         NullPlan        `json:"null"`
	// Rounds is the number of random re-assignments in the randomization
	// tests (equality, and the relay check of the radioactivity test).
	Rounds int `json:"rounds"`
	// Sources are the files of file: targets, copied into the bundle and
	// committed to here before any query.
	Sources []SourceRef `json:"sources,omitempty"`
	// RelayLog plans the relay check by request log (relaylog.go): our
	// gateways' logs are searched for the suspect's prompts after the
	// queries; the outcome is relay-log.json.
	RelayLog *RelayLogPlan `json:"relay_log,omitempty"`
	// Cases commits to the case ledger and the cases the attribution
	// test searches (attribution.go).
	Cases *CasePlan `json:"cases,omitempty"`
}

// Proposition is one claim the probe can support, with its tests.
type Proposition struct {
	ID        string   `json:"id"`
	Statement string   `json:"statement"`
	Tests     []string `json:"tests"`
}

// TestPlan is one test in the family: its share of α is Weight·Alpha.
type TestPlan struct {
	Name        string  `json:"name"`
	Proposition string  `json:"proposition"`
	Weight      float64 `json:"weight"`
	Null        string  `json:"null_hypothesis"`
	Statistic   string  `json:"statistic"`
}

// Targets are the models questioned, by role. In a Setup they are specs
// (OpenTarget); in a manifest, public names (PublicName), which name no
// path of the examiner's machine. Manifests made before names were public
// hold the specs themselves.
type Targets struct {
	Suspect   string   `json:"suspect"`
	Reference string   `json:"reference,omitempty"`
	Controls  []string `json:"controls,omitempty"`
}

// Roles lists the roles in query order.
func (t Targets) Roles() []string {
	roles := []string{"suspect"}
	if t.Reference != "" {
		roles = append(roles, "reference")
	}
	for i := range t.Controls {
		roles = append(roles, ControlRole(i))
	}
	return roles
}

// Of is the target of a role ("" for a role t does not have).
func (t Targets) Of(role string) string {
	switch role {
	case "suspect":
		return t.Suspect
	case "reference":
		return t.Reference
	}
	for i, c := range t.Controls {
		if ControlRole(i) == role {
			return c
		}
	}
	return ""
}

// ControlRole is the role name of the i-th control (0-based).
func ControlRole(i int) string { return "control-" + strconv.Itoa(i+1) }

// CanaryRef identifies the canary set (copied into the bundle).
type CanaryRef struct {
	Name     string `json:"name"`
	Version  int    `json:"version"`
	SHA256   string `json:"sha256"`
	File     string `json:"file"`
	Prompts  int    `json:"prompts"`
	Triggers int    `json:"triggers"`
	// Secret: the set is the one derived from the watermark key
	// (canary.NewSecret), which nobody without the key can plant. Only
	// such a set's planted answers are evidence about our outputs; a
	// public set (the demo set every copy of forensics ships) or a file
	// of unknown origin is not tested.
	Secret bool `json:"secret"`
}

// KeyRef identifies the watermark key without revealing it.
type KeyRef struct {
	ID         string           `json:"id"`
	Scheme     string           `json:"scheme"`
	Commitment string           `json:"commitment"`
	Params     watermark.Params `json:"params"`
}

// TokenizerRef identifies the teacher's tokenizer; File is its definition
// in the bundle when it has one.
type TokenizerRef struct {
	ID   string `json:"id"`
	File string `json:"file,omitempty"`
}

// Plan is how many prompts each test uses.
type Plan struct {
	// Prompts is how many of the set's prompts are asked (the first ones).
	Prompts int `json:"prompts"`
	// EqualityPrompts of them are asked twice of suspect and reference.
	EqualityPrompts int `json:"equality_prompts"`
	// Triggers is how many trigger prompts are asked of suspect and controls.
	Triggers int `json:"triggers"`
	// HammingLength is how many leading pieces the equality kernel compares.
	HammingLength int `json:"hamming_length"`
}

// Budget caps what the probe spends; 0 means no cap. Queries are issued in
// plan order (prompt by prompt across targets), so a cut leaves paired data.
type Budget struct {
	Requests int `json:"requests,omitempty"`
	Tokens   int `json:"tokens,omitempty"`
}

// NullPlan is the key-swap null: Keys keys derived from Seed that were never
// used to watermark anything.
type NullPlan struct {
	Keys    int     `json:"keys"`
	KSAlpha float64 `json:"ks_alpha"`
	Seed    string  `json:"seed"`
	// ControlAlpha is the level at which a control model scoring as
	// watermarked withholds the radioactivity verdict: a control that
	// independent of our key can only reach it by chance (rate ControlAlpha
	// per control), while a broken key or tokenizer reaches it at once.
	ControlAlpha float64 `json:"control_alpha"`
	// RelayAlpha is the level of the relay check (relayCheck): the
	// suspect's answers carry our watermark more weakly than our own
	// service's answers to the same prompts. It gates a verdict (it can
	// only withhold "trained"), so it takes no share of Alpha.
	RelayAlpha float64 `json:"relay_alpha"`
}

// Marshal is the manifest's canonical bytes (indented JSON, newline).
func (m *Manifest) Marshal() []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("manifest: %v", err)) // only NaN could do this; Validate rejects it
	}
	return append(b, '\n')
}

// SHA256 is the hex SHA-256 of Marshal.
func (m *Manifest) SHA256() string {
	d := sha256.Sum256(m.Marshal())
	return hex.EncodeToString(d[:])
}

// ParseManifest reads manifest bytes.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("manifest.json: format %q is not %s", m.Format, ManifestFormat)
	}
	if err := cmp.Or(m.Validate(), m.Build.Validate()); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	return &m, nil
}

// Limits on the numbers of a manifest. A manifest read by verify may come
// from an adversary, and these numbers set how long verify runs and how
// much it holds, so Validate bounds each one. Every bound is far above
// what a probe uses; a probe that needs more is split in several.
const (
	// MaxRounds bounds Rounds. A randomization test with R rounds cannot
	// report p below 1/(R+1), so it can reject only if R ≥ 1/share − 1,
	// where share is its part of α (see the note Collect gives when rounds
	// are too few for α). The default α = 0.01 gives the equality test
	// 0.001, which needs 999 rounds; at 999,999 rounds p can go down to
	// 10⁻⁶ and the Monte Carlo error of a p-value at that 0.001 share is
	// about 3% of it. More rounds change nothing a reader sees and cost
	// verify time in proportion (MaxRandomizationDraws bounds the product
	// with the prompts).
	MaxRounds = 1_000_000 - 1
	// MaxRandomizationDraws bounds the randomization tests' total work:
	// Rounds times the values re-assigned per round (the equality
	// test's prompts, the relay check's prompts). A draw
	// takes about 5 ns, so 2^29 of them are under 3 s of verify (a hostile
	// bundle should not hold a verifier for longer); the default plan
	// (9,999 rounds, a few hundred prompts, a few controls) makes under
	// 10^8.
	MaxRandomizationDraws = 1 << 29
	// MaxNullKeys bounds Null.Keys: each null key scores every suspect
	// answer again, and a uniformity test needs no more than 1,000.
	MaxNullKeys = 1000
	// MaxControls bounds the control targets: each one adds a role whose
	// every prompt and trigger is asked, scored and tested.
	MaxControls = 64
	// MaxPlanQueries bounds the plan's prompts, triggers and the queries
	// they make in all (QueryCount): 2^16 = 65,536 is 25 times the
	// default plan (the shipped set's 550 prompts and 40 triggers asked
	// of four roles, 100 equality prompts twice: 2,560 queries), and keeps
	// a full bundle's transcripts within MaxTranscriptsSize.
	MaxPlanQueries = 1 << 16
	// MaxHammingLength bounds Plan.HammingLength: positions past both
	// answers agree by definition, so a length beyond any answer's pieces
	// only dilutes the kernel, and answers are capped at max_tokens.
	MaxHammingLength = 1 << 16
)

// Validate checks the plan is usable and within the limits above.
func (m *Manifest) Validate() error {
	switch {
	case !(m.Alpha > 0 && m.Alpha < 1):
		return fmt.Errorf("alpha %v outside (0,1)", m.Alpha)
	case m.Targets.Suspect == "":
		return fmt.Errorf("no suspect target")
	case len(m.Targets.Controls) > MaxControls:
		return fmt.Errorf("%d control targets, more than %d", len(m.Targets.Controls), MaxControls)
	case m.Plan.Prompts < 0 || m.Plan.EqualityPrompts < 0 || m.Plan.EqualityPrompts > m.Plan.Prompts || m.Plan.Triggers < 0:
		return fmt.Errorf("plan %+v is inconsistent", m.Plan)
	case m.Plan.Prompts > MaxPlanQueries || m.Plan.Triggers > MaxPlanQueries:
		return fmt.Errorf("plan of %d prompts and %d triggers: more than %d of either", m.Plan.Prompts, m.Plan.Triggers, MaxPlanQueries)
	case m.QueryCount() > MaxPlanQueries:
		return fmt.Errorf("plan of %d queries, more than %d", m.QueryCount(), MaxPlanQueries)
	case m.Plan.HammingLength > MaxHammingLength:
		return fmt.Errorf("hamming length %d, more than %d", m.Plan.HammingLength, MaxHammingLength)
	case m.Sampling.MaxTokens <= 0 || m.Sampling.Temperature < 0 || math.IsNaN(m.Sampling.Temperature):
		return fmt.Errorf("sampling %+v is not usable", m.Sampling)
	case m.Null.Keys < 0 || m.Null.Keys > MaxNullKeys:
		return fmt.Errorf("null keys %d outside 0..%d", m.Null.Keys, MaxNullKeys)
	case !(m.Null.ControlAlpha > 0 && m.Null.ControlAlpha < 1) || !(m.Null.KSAlpha > 0 && m.Null.KSAlpha < 1) || !(m.Null.RelayAlpha > 0 && m.Null.RelayAlpha < 1):
		return fmt.Errorf("null control_alpha %v, ks_alpha %v and relay_alpha %v must be in (0,1)", m.Null.ControlAlpha, m.Null.KSAlpha, m.Null.RelayAlpha)
	case m.Rounds < 1:
		return fmt.Errorf("rounds %d, want at least 1", m.Rounds)
	case m.Rounds > MaxRounds:
		return fmt.Errorf("rounds %d, more than %d (a p-value of 10^-6 needs no more)", m.Rounds, MaxRounds)
	case m.Tokenizer.File != "" && !bundlefile.PlainName(m.Tokenizer.File):
		return fmt.Errorf("tokenizer file %q is not a file name in the bundle folder", m.Tokenizer.File)
	}
	roles := map[string]bool{}
	for _, r := range m.Targets.Roles() {
		roles[r] = true
	}
	for i, src := range m.Sources {
		if !roles[src.Role] || src.File != sourceFile(src.Role) || len(src.SHA256) != 64 {
			return fmt.Errorf("source %d (%s, %s) is not a file target's copy in the bundle", i, src.Role, src.File)
		}
		roles[src.Role] = false // once each
	}
	sum := 0.0
	seen := map[string]bool{}
	for _, t := range m.Tests {
		if _, known := DefaultWeights[t.Name]; !known {
			return fmt.Errorf("unknown test %q", t.Name)
		}
		if seen[t.Name] {
			return fmt.Errorf("test %s planned twice", t.Name)
		}
		seen[t.Name] = true
		if !(t.Weight > 0) {
			return fmt.Errorf("test %s has weight %v", t.Name, t.Weight)
		}
		sum += t.Weight
	}
	if len(m.Tests) == 0 || sum > 1+1e-9 {
		return fmt.Errorf("test weights sum to %v (want ≤ 1, at least one test)", sum)
	}
	// What a test may support is not the manifest's to choose: a canary
	// test only on the key's secret set, and each test under the
	// proposition its null speaks to (a bundle verified without the key
	// could otherwise claim either).
	for _, t := range m.Tests {
		if want := testPropositions[t.Name]; t.Proposition != want {
			return fmt.Errorf("test %s is planned for proposition %q; its null speaks only to %q", t.Name, t.Proposition, want)
		}
		if t.Name == TestCanary && !m.Canaries.Secret {
			return fmt.Errorf("a canary test is planned on a set that is not the key's secret set: its planted answers may be known to anyone")
		}
	}
	if want := PropositionsFor(m.Tests); !reflect.DeepEqual(m.Propositions, want) {
		return fmt.Errorf("propositions %q are not those the planned tests speak to (%q)", m.Propositions, want)
	}
	if err := m.validateCases(); err != nil {
		return err
	}
	if d := m.randomizationDraws(); d > MaxRandomizationDraws {
		return fmt.Errorf("rounds %d over %d values a round make %d randomization draws, more than %d: use fewer rounds", m.Rounds, d/int64(m.Rounds), d, int64(MaxRandomizationDraws))
	}
	return nil
}

// randomizationDraws is the randomization tests' work for verify: rounds
// times the values each round re-assigns. Validate's earlier bounds keep
// it from overflowing.
func (m *Manifest) randomizationDraws() int64 {
	var per int64
	if _, ok := m.Test(TestEquality); ok {
		per += int64(m.Plan.EqualityPrompts)
	}
	if _, ok := m.Test(TestRadioactivity); ok && m.Targets.Reference != "" {
		per += int64(m.Plan.Prompts) // the relay check
	}
	return int64(m.Rounds) * per
}

// Test returns the plan of a named test.
func (m *Manifest) Test(name string) (TestPlan, bool) {
	for _, t := range m.Tests {
		if t.Name == name {
			return t, true
		}
	}
	return TestPlan{}, false
}

// querySeed derives a query's sampling seed from the manifest's seed and
// the query id, below 2^31 so every server accepts it.
func querySeed(base uint64, id string) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], base)
	h.Write(b[:])
	h.Write([]byte(id))
	return binary.LittleEndian.Uint64(h.Sum(nil)) & 0x7fffffff
}

// Queries is the full plan in issue order: prompt by prompt, every role,
// then the triggers.
func (m *Manifest) Queries(cs *canary.Set) []Query {
	var qs []Query
	roles := m.Targets.Roles()
	for i := 0; i < m.Plan.Prompts && i < len(cs.Prompts); i++ {
		p := cs.Prompts[i]
		for _, role := range roles {
			reps := 1
			if i < m.Plan.EqualityPrompts && (role == "suspect" || role == "reference") {
				reps = 2
			}
			for r := range reps {
				id := role + "/" + p.ID + "/" + strconv.Itoa(r)
				qs = append(qs, Query{ID: id, Role: role, PromptID: p.ID, Kind: "prompt", Repeat: r, Prompt: p.Text, Seed: querySeed(m.Sampling.Seed, id)})
			}
		}
	}
	for i := 0; i < m.Plan.Triggers && i < len(cs.Triggers); i++ {
		t := cs.Triggers[i]
		for _, role := range roles {
			id := role + "/" + t.ID + "/0"
			qs = append(qs, Query{ID: id, Role: role, PromptID: t.ID, Kind: "trigger", Prompt: t.Prompt, Seed: querySeed(m.Sampling.Seed, id)})
		}
	}
	return qs
}

// QueryCount is how many queries the plan asks (len of Queries for a set
// with at least as many prompts and triggers as the plan uses).
func (m *Manifest) QueryCount() int {
	roles := len(m.Targets.Roles())
	second := 1 // the equality prompts' second answers: suspect, and reference if any
	if m.Targets.Reference != "" {
		second = 2
	}
	return m.Plan.Prompts*roles + second*m.Plan.EqualityPrompts + m.Plan.Triggers*roles
}

// Differences lists the fields in which two manifests plan different
// probes (ignoring when and how they were started). Resuming requires none.
func (m *Manifest) Differences(o *Manifest) []string {
	a, b := *m, *o
	for _, x := range []*Manifest{&a, &b} {
		x.Created, x.Command, x.Tool, x.Build = "", nil, "", nil
	}
	var ja, jb map[string]any
	json.Unmarshal(a.Marshal(), &ja)
	json.Unmarshal(b.Marshal(), &jb)
	var diffs []string
	for k, va := range ja {
		if vb := jb[k]; fmt.Sprint(va) != fmt.Sprint(vb) {
			diffs = append(diffs, k)
		}
	}
	for k := range jb {
		if _, ok := ja[k]; !ok {
			diffs = append(diffs, k)
		}
	}
	return sortedUnique(diffs)
}

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// testPropositions is the proposition each test's null speaks to.
var testPropositions = map[string]string{TestRadioactivity: PropDerived, TestCanary: PropDerived, TestEquality: PropSame, TestAttribution: PropCase}

// DefaultWeights are the shares of α each test gets when it applies; the
// weights of tests that cannot run (no controls, no reference, no secret
// canary set) go to the others in proportion, before any query.
// The attribution test's weight is shared equally by the cases it tests.
var DefaultWeights = map[string]float64{TestRadioactivity: 0.6, TestCanary: 0.25, TestEquality: 0.15, TestAttribution: 0.3}

// PlanTests returns the applicable tests with their weights. The canary
// test applies only to a secret canary set: the answers of a public set
// are known to anyone, so a model that gives them may never have seen our
// outputs (issue 14: another provider planting the shipped set made an
// unrelated model "trained on our outputs", p = 9e-24).
//
// The attribution test applies when cases are named (cases > 0) and the
// ordinary prompts are asked: it scores the same answers under each
// case's key.
func PlanTests(t Targets, p Plan, secretCanaries bool, cases int) []TestPlan {
	all := []TestPlan{
		{Name: TestRadioactivity, Proposition: testPropositions[TestRadioactivity],
			Null:      "the suspect's answers are independent of our key: each distinct (context, piece) tuple is green with probability γ",
			Statistic: "green count among distinct scored tuples across all suspect answers, exact binomial upper tail"},
		{Name: TestCanary, Proposition: testPropositions[TestCanary],
			Null:      "the suspect never received our secret planted answers: it gives them no more often than the control models (which never did either)",
			Statistic: "trigger hits of the suspect vs the controls pooled, one-sided Fisher exact test"},
		{Name: TestEquality, Proposition: testPropositions[TestEquality],
			Null:      "the suspect and the reference answer each prompt from the same distribution",
			Statistic: "MMD² with a Hamming kernel on the leading pieces of two answers per prompt from each, randomization over the three pairings per prompt"},
		{Name: TestAttribution, Proposition: testPropositions[TestAttribution],
			Null:      "for each case: the suspect's answers are independent of the case's key (each distinct tuple green with probability γ under it)",
			Statistic: "per case key, green count among the distinct scored tuples of all suspect answers (as the radioactivity test), exact binomial upper tail; one hypothesis per case"},
	}
	applies := map[string]bool{
		TestRadioactivity: p.Prompts > 0,
		TestCanary:        p.Triggers > 0 && len(t.Controls) > 0 && secretCanaries,
		TestEquality:      p.EqualityPrompts > 0 && t.Reference != "",
		TestAttribution:   p.Prompts > 0 && cases > 0,
	}
	var out []TestPlan
	sum := 0.0
	for _, tp := range all {
		if applies[tp.Name] {
			sum += DefaultWeights[tp.Name]
		}
	}
	for _, tp := range all {
		if applies[tp.Name] {
			tp.Weight = math.Round(DefaultWeights[tp.Name]/sum*1e6) / 1e6
			out = append(out, tp)
		}
	}
	return out
}

// Proposition statements.
var propositionStatements = []Proposition{
	{ID: PropDerived, Statement: "The suspect's answers depend on text our service generated (it was trained on it, relays our service, or copies it)."},
	{ID: PropTrained, Statement: "The suspect model was trained on text our service generated (not merely relaying our service)."},
	{ID: PropSame, Statement: "The suspect serves our model's text unchanged (our model with these settings, or a relay of our service)."},
	{ID: PropCase, Statement: "For each case of the ledger tested: the suspect's answers depend on text our service served under the case's key, that is to the case's accounts after the case opened."},
}

// PropositionsFor lists the propositions the planned tests speak to;
// PropTrained rests on the tests of PropDerived.
func PropositionsFor(tests []TestPlan) []Proposition {
	var out []Proposition
	for _, p := range propositionStatements {
		for _, t := range tests {
			if t.Proposition == p.ID || (p.ID == PropTrained && t.Proposition == PropDerived) {
				p.Tests = append(p.Tests, t.Name)
			}
		}
		if len(p.Tests) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// ParseBudget reads "N", "N requests" or "N tokens" (also "Nr", "Nt").
func ParseBudget(s string) (Budget, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" || s == "0" {
		return Budget{}, nil
	}
	num := strings.TrimRight(s, "abcdefghijklmnopqrstuvwxyz ")
	unit := strings.TrimSpace(s[len(num):])
	n, err := strconv.Atoi(strings.ReplaceAll(num, "_", ""))
	if err != nil || n < 0 {
		return Budget{}, fmt.Errorf("budget %q: want N, N requests or N tokens", s)
	}
	switch unit {
	case "", "r", "req", "request", "requests":
		return Budget{Requests: n}, nil
	case "t", "tok", "token", "tokens":
		return Budget{Tokens: n}, nil
	}
	return Budget{}, fmt.Errorf("budget %q: unit %q is not requests or tokens", s, unit)
}

// validateCases checks that a case plan comes with the attribution test
// and the test with it, within MaxCases, each case named once.
func (m *Manifest) validateCases() error {
	_, planned := m.Test(TestAttribution)
	c := m.Cases
	switch {
	case c == nil && !planned:
		return nil
	case c == nil || !planned:
		return fmt.Errorf("the attribution test and a case plan go together")
	case c.File != FileLedger || len(c.SHA256) != 64:
		return fmt.Errorf("case plan: the ledger must be the bundle's %s with its sha256", FileLedger)
	case watermark.CheckCaseID(c.Ledger) != nil:
		return fmt.Errorf("case plan: ledger id %q is not valid", c.Ledger)
	case c.Correction != CaseCorrection:
		return fmt.Errorf("case plan: correction %q is not the one the attribution test applies", c.Correction)
	case len(c.Cases) == 0 || len(c.Cases) > MaxCases:
		return fmt.Errorf("case plan names %d cases, want 1..%d", len(c.Cases), MaxCases)
	}
	seen := map[string]bool{}
	for _, id := range c.Cases {
		if err := watermark.CheckCaseID(id); err != nil || seen[id] {
			return fmt.Errorf("case plan: case %q is not a valid case id or is named twice", id)
		}
		seen[id] = true
	}
	return nil
}
