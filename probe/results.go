package probe

import "forensics/internal/buildinfo"

// ResultsFormat names the results layout.
const ResultsFormat = "forensics-probe-results/1"

// Results are what the battery (Analyze) concludes from a probe's
// transcripts, stored as results.json by evidence.Finish. They are a pure
// function of manifest, canary set, tokenizer, key, transcripts, the
// copies of file targets and the relay check by request log: verify
// recomputes them byte for byte, and without the key takes the
// radioactivity numbers as recorded (and every decision from them anew).
// The one exception is Build, which build computed them.
type Results struct {
	Format         string `json:"format"`
	ManifestSHA256 string `json:"manifest_sha256"`
	// Build is the build that computed these results (evidence.Finish
	// sets it; nil in results from before it was recorded). It is the one
	// field verify takes as recorded rather than re-derives: its build
	// check compares it with its own.
	Build       *buildinfo.Info   `json:"build,omitempty"`
	Alpha       float64           `json:"alpha"`
	Correction  string            `json:"correction"`
	Transcripts TranscriptSummary `json:"transcripts"`
	// Sources account for every line of each file target's file.
	Sources []SourceAccount `json:"sources,omitempty"`
	// RelayLog is what our request logs showed (relaylog.go).
	RelayLog     *RelayLogCheck      `json:"relay_log,omitempty"`
	Tests        []TestResult        `json:"tests"`
	Propositions []PropositionResult `json:"propositions"`
	// Limitations are what a reader must not conclude from this bundle.
	Limitations []string `json:"limitations"`
}

// TranscriptSummary counts the records used.
type TranscriptSummary struct {
	Records    int            `json:"records"`
	Answered   int            `json:"answered"`
	Failed     int            `json:"failed"`
	ByRole     map[string]int `json:"answered_by_role"`
	Tokens     int            `json:"completion_tokens"`
	MerkleRoot string         `json:"merkle_root"`
}

// Test outcomes.
const (
	StatusRejected    = "rejected"
	StatusNotRejected = "not rejected"
	StatusWithheld    = "withheld"
	StatusNotRun      = "not run"
)

// TestResult is one test's outcome.
type TestResult struct {
	Name        string  `json:"name"`
	Proposition string  `json:"proposition"`
	Status      string  `json:"status"`
	Reason      string  `json:"reason,omitempty"`
	Weight      float64 `json:"weight"`
	// AlphaShare is Weight·α, the level the test is first compared with
	// (weighted Holm may raise it once others reject).
	AlphaShare float64 `json:"alpha_share"`
	N          int     `json:"n"`
	NUnit      string  `json:"n_unit"`
	Statistic  float64 `json:"statistic"`
	// Log10P is log10 of the p-value (0 when the test did not run).
	Log10P        float64            `json:"log10_p"`
	Effect        Estimate           `json:"effect"`
	MinDetectable *Estimate          `json:"min_detectable,omitempty"`
	Radioactivity *RadioDetail       `json:"radioactivity,omitempty"`
	Canary        *CanaryDetail      `json:"canary,omitempty"`
	Equality      *EqualityDetail    `json:"equality,omitempty"`
	Attribution   *AttributionDetail `json:"attribution,omitempty"`
}

// Estimate is an effect size with a confidence interval, or the smallest
// effect a test detects with the stated power.
type Estimate struct {
	Name       string  `json:"name"`
	Value      float64 `json:"value"`
	Lo         float64 `json:"lo,omitempty"`
	Hi         float64 `json:"hi,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	Power      float64 `json:"power,omitempty"`
}

// RadioDetail are the radioactivity test's numbers.
type RadioDetail struct {
	Answers       int          `json:"answers"`
	Tokens        int          `json:"tokens"`
	TokensScored  int          `json:"tokens_scored"`
	Green         int          `json:"green"`
	Gamma         float64      `json:"gamma"`
	GreenFraction float64      `json:"green_fraction"`
	SkippedRepeat int          `json:"skipped_repeated"`
	SkippedPrompt int          `json:"skipped_in_prompt"`
	Curve         []CurvePoint `json:"curve"`
	// AnswersTo1e6 is how many suspect answers (in plan order) it took for
	// the p-value to reach 1e-6; 0 if it did not.
	AnswersTo1e6 int            `json:"answers_to_1e-6"`
	TokensTo1e6  int            `json:"tokens_to_1e-6"`
	Null         KeySwapNull    `json:"key_swap_null"`
	Controls     []ControlScore `json:"controls,omitempty"`
	// Relay compares the watermark's strength in the suspect's answers
	// with our own service's (the reference's), prompt by prompt.
	Relay *RelayCheck `json:"relay_check,omitempty"`
}

// RelayCheck asks whether the suspect's answers carry our watermark more
// weakly than our service's answers to the same prompts. A relay of our
// service (a reseller forwarding our API) serves our text: its answers
// and the reference's are exchangeable prompt by prompt, so the sign-flip
// test of the per-prompt differences is exact under "the suspect relays
// our service". A model trained on our outputs carries a fraction of the
// watermark. The check can only withhold "trained on our outputs", never
// support anything, so it takes no share of α.
type RelayCheck struct {
	Prompts int `json:"prompts"`
	// Mean per-answer green fractions (distinct tuples of each answer,
	// prompt tuples left out) over the prompts both answered.
	SuspectGreen   float64 `json:"suspect_green_fraction"`
	ReferenceGreen float64 `json:"reference_green_fraction"`
	Log10P         float64 `json:"log10_p"`
	Rounds         int     `json:"rounds"`
	// ReferenceLog10P is the reference's own radioactivity p (pooled): a
	// reference that does not carry our watermark is not our service,
	// and then nothing here tells a relay apart.
	ReferenceLog10P      float64 `json:"reference_log10_p"`
	ReferenceWatermarked bool    `json:"reference_watermarked"`
	// Weaker: the reference is watermarked and the suspect's watermark
	// is weaker at RelayAlpha.
	Weaker bool `json:"weaker"`
}

// CurvePoint is the radioactivity evidence after the first Answers answers.
type CurvePoint struct {
	Answers int     `json:"answers"`
	Tokens  int     `json:"tokens"`
	Scored  int     `json:"scored"`
	Green   int     `json:"green"`
	Log10P  float64 `json:"log10_p"`
}

// KeySwapNull is the same scoring under keys never used to watermark.
type KeySwapNull struct {
	Keys   int       `json:"keys"`
	Log10P []float64 `json:"log10_p"`
	// GreenFractions under each null key, for the report's band.
	GreenFractions []float64 `json:"green_fractions"`
	// KS tests the randomized p-values (exactly uniform under the null,
	// discrete ties broken by a seeded uniform draw) for uniformity.
	KSD        float64 `json:"ks_d"`
	KSP        float64 `json:"ks_p"`
	Uniform    bool    `json:"uniform"`
	EmpiricalP float64 `json:"empirical_p"` // (1 + #{null p ≤ ours}) / (1 + keys)
}

// ControlScore is radioactivity measured on a control model's answers.
type ControlScore struct {
	Role          string  `json:"role"`
	Answers       int     `json:"answers"`
	TokensScored  int     `json:"tokens_scored"`
	Green         int     `json:"green"`
	GreenFraction float64 `json:"green_fraction"`
	Log10P        float64 `json:"log10_p"`
}

// CanaryDetail are trigger hit counts.
type CanaryDetail struct {
	Suspect    HitCount   `json:"suspect"`
	Controls   []HitCount `json:"controls"`
	Reference  *HitCount  `json:"reference,omitempty"`
	SuspectHit []string   `json:"suspect_hits"` // trigger ids
	OddsRatio  float64    `json:"odds_ratio"`
}

// HitCount is how many trigger answers of a role matched.
type HitCount struct {
	Role    string `json:"role"`
	Hits    int    `json:"hits"`
	Answers int    `json:"answers"`
}

// EqualityDetail is the MMD test's numbers.
type EqualityDetail struct {
	Prompts       int     `json:"prompts"`
	HammingLength int     `json:"hamming_length"`
	MeanMMD2      float64 `json:"mean_mmd2"`
	AsLarge       int     `json:"as_large"`
	Rounds        int     `json:"rounds"`
	// Mean kernel (share of equal leading pieces) within and across.
	SuspectSelf   float64 `json:"suspect_self"`
	ReferenceSelf float64 `json:"reference_self"`
	Cross         float64 `json:"cross"`
}

// Verdicts on a proposition.
const (
	VerdictSupported    = "supported"
	VerdictInsufficient = "insufficient evidence"
	VerdictWithheld     = "withheld"
	VerdictNotSupported = "not supported"
	VerdictConsistent   = "consistent"
	VerdictNotTested    = "not tested"
	// VerdictConditional is "supported" on answers collected elsewhere:
	// it holds only if they are complete and unselected, which the tool
	// did not observe.
	VerdictConditional = "supported if complete"
)

// PropositionResult is the verdict on one proposition, in plain words.
type PropositionResult struct {
	ID        string   `json:"id"`
	Statement string   `json:"statement"`
	Verdict   string   `json:"verdict"`
	Text      string   `json:"text"`
	Tests     []string `json:"tests"`
}
