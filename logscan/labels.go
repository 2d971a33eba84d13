package logscan

import "slices"

// Labels say which accounts of a simulated log attack, and how: the
// answer key an Evaluation scores a report against.
type Labels struct {
	Attackers map[string]string   `json:"attackers"` // account → kind
	Clusters  map[string][]string `json:"clusters"`  // campaign → its accounts (campaigns of several accounts)
	Benign    []string            `json:"benign"`
	// BenignKinds says what kind of legitimate user each benign account
	// is (account → kind; accounts missing are "person").
	BenignKinds map[string]string `json:"benign_kinds,omitempty"`
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
	// KindJudge harvests preferences: the same prompt answered several
	// times (n > 1, or repeated at several temperatures), for a judge or
	// reward model.
	KindJudge = "judge"
	// KindAgentTrace harvests agent trajectories: multi-turn tool-use
	// conversations whose earlier turns the client writes itself.
	KindAgentTrace = "agent-trace"
	// KindShardedHydra splits the topics between many heads, each on one
	// shard only, at human hours from residential networks, written after
	// reading this repository: no head covers the taxonomy, the campaign
	// does.
	KindShardedHydra = "sharded-hydra"
	// KindCloudHydra is a large hydra (dozens of heads) on rotating cloud
	// addresses, each head short-lived.
	KindCloudHydra = "cloud-hydra"
	// KindPolyglotCoT asks for reasoning traces in many languages and
	// phrasings, in the system prompt or as structured output
	// ("<reasoning>" tags), not with the English tell-tales.
	KindPolyglotCoT = "polyglot-cot"
	// KindThrowaway is a chain of accounts that replace each other: each
	// harvests for a few hours and is dropped, the next signed up just
	// before.
	KindThrowaway = "throwaway"
)

// attackKinds is the order kinds are reported in, and simulated in turn.
var attackKinds = []string{KindBulk, KindHydra, KindCoT, KindSweep, KindSlowLow, KindMixed, KindSleeper, KindScatter,
	KindJudge, KindAgentTrace, KindShardedHydra, KindCloudHydra, KindPolyglotCoT, KindThrowaway}

// AttackKinds lists the attack kinds in the order an Evaluation reports
// them.
func AttackKinds() []string { return slices.Clone(attackKinds) }

// Benign kinds: the legitimate users a scan must not flag. The first
// five are people; the rest are systematic, legitimate pipelines, the
// users a distillation detector most easily confuses with a campaign.
const (
	BenignPerson    = "person"     // one to three topics, human hours, typos
	BenignPowerUser = "power-user" // many requests and topics, still a person
	BenignBatch     = "batch"      // one summarisation template on a timer
	BenignStudent   = "student"    // step-by-step homework help
	BenignOffice    = "office"     // colleagues sharing a network and browser
	// BenignEval runs public benchmarks (several suites, often "think step
	// by step", temperature 0, many requests in bursts).
	BenignEval = "eval-research"
	// BenignRAG sends retrieved passages and a question: long prompts,
	// short grounded answers, every topic its documents touch.
	BenignRAG = "rag"
	// BenignClassify labels texts of every kind: a fixed instruction,
	// varied inputs, one-word answers.
	BenignClassify = "classification"
	// BenignTranslate translates documents: answers as long as the input.
	BenignTranslate = "translation"
	// BenignChatBackend is a consumer product's backend: one system
	// prompt, many end users' multi-turn chats on every topic, around the
	// clock.
	BenignChatBackend = "chat-backend"
	// BenignAgent runs an agent workflow: multi-turn tool calls replaying
	// the answers it was served.
	BenignAgent = "agent-workflow"
)

var benignKinds = []string{BenignPerson, BenignPowerUser, BenignBatch, BenignStudent, BenignOffice,
	BenignEval, BenignRAG, BenignClassify, BenignTranslate, BenignChatBackend, BenignAgent}

// BenignKinds lists the benign kinds in report order.
func BenignKinds() []string { return slices.Clone(benignKinds) }
