package logscan

import "slices"

// Labels say which accounts of a simulated log attack, and how: the
// answer key an Evaluation scores a report against.
type Labels struct {
	Attackers map[string]string   `json:"attackers"` // account → kind
	Clusters  map[string][]string `json:"clusters"`  // hydra campaign → its accounts
	Benign    []string            `json:"benign"`
}

// Attack kinds, as the traffic simulator plays them.
const (
	KindBulk    = "bulk"     // one account, high volume, systematic coverage
	KindHydra   = "hydra"    // several accounts under per-account limits, shared template and network
	KindCoT     = "cot"      // chain-of-thought harvesting at moderate volume
	KindSweep   = "sweep"    // templated capability sweep with logprobs and temperature sweeps
	KindSlowLow = "slow-low" // low volume over all days, systematic coverage, human-ish timing
	KindMixed   = "mixed"    // harvesting hidden among benign-looking requests
	// KindSleeper behaves like a busy ordinary user for days, then harvests
	// in a burst of a few hours: whole-history indicators dilute it.
	KindSleeper = "sleeper"
	// KindScatter is a hydra without shared infrastructure or templates:
	// three accounts on different networks, each sending varied prompts
	// that sweep the topics. Nothing links them; each must stand alone.
	KindScatter = "scatter"
)

// attackKinds is the order kinds are reported in, and simulated in turn.
var attackKinds = []string{KindBulk, KindHydra, KindCoT, KindSweep, KindSlowLow, KindMixed, KindSleeper, KindScatter}

// AttackKinds lists the attack kinds in the order an Evaluation reports
// them.
func AttackKinds() []string { return slices.Clone(attackKinds) }
