package heldout

// Benign kinds: who the legitimate accounts are.
const (
	KindPerson       = "ho-person"        // someone asking about one to three interests and chores, at home hours, in English
	KindPersonIntl   = "ho-person-intl"   // the same in one of 17 other languages, in its own time zone
	KindStudent      = "ho-student"       // homework and exam revision, step-by-step answers, campus NAT by day
	KindPowerUser    = "ho-power-user"    // many topics, long chats, system prompts, an SDK or desktop client
	KindOffice       = "ho-office"        // colleagues behind one office /24 with one browser build and one org
	KindMobile       = "ho-mobile"        // short questions from phones, behind a carrier NAT shared with strangers
	KindWriter       = "ho-writer"        // fiction and long drafts: long answers that often hit max_tokens
	KindCoding       = "ho-coding"        // an IDE assistant: a tool's fixed system prompt, completions every few seconds
	KindEvalLab      = "ho-eval-lab"      // public benchmark runs: temperature 0, step-by-step, logprobs, pass@k, bursts
	KindRAG          = "ho-rag"           // retrieved passages plus a question: long prompts, short grounded answers
	KindClassify     = "ho-classify"      // moderation and labelling: one instruction, varied texts, one-word answers
	KindTranslate    = "ho-translate"     // localisation: answers as long as the input, many languages
	KindSummarise    = "ho-summarise"     // nightly and hourly summary jobs on a timer
	KindChatBackend  = "ho-chat-backend"  // a consumer app's backend: many end users' chats around the clock, replayed
	KindAgent        = "ho-agent"         // an agent workflow: tool calls and results, replaying the answers served
	KindSynthData    = "ho-synthdata"     // a small company making fine-tuning data for its own model, at small scale
	KindPromptTuning = "ho-prompt-tuning" // a developer trying one prompt many times at several temperatures
)

// Attack kinds: how the campaigns harvest.
const (
	KindBulk         = "ho-bulk"          // one paid account harvesting every domain at volume from one cloud host
	KindHydra        = "ho-hydra"         // ten heads, one template, one rack of servers, staggered schedules
	KindPolyglot     = "ho-polyglot-cot"  // reasoning traces asked for in 16 languages, in system prompts, fake turns and formats
	KindSweep        = "ho-logprob-sweep" // capability probes with top_logprobs, logit_bias and temperature grids
	KindSlowLow      = "ho-slow-low"      // a few dozen requests a day per head for two weeks, human-ish hours
	KindBlended      = "ho-blended"       // harvesting hidden in an ordinary person's use of the same account
	KindSleeper      = "ho-sleeper"       // nine quiet days of ordinary use, then one night's burst
	KindJudge        = "ho-judge"         // preference data: one prompt, n = 4 at several temperatures, repeated
	KindAgentTrace   = "ho-agent-trace"   // fabricated tool-use trajectories: the client writes the earlier turns
	KindShardedHydra = "ho-sharded-hydra" // sixty heads, a domain each, residential proxies, human hours, no shared template
	KindCloudHydra   = "ho-cloud-hydra"   // 120 short-lived heads on rotating cloud addresses
	KindThrowaway    = "ho-throwaway"     // a chain of accounts, each used for hours and dropped, the next signed up before
	KindKYCFront     = "ho-kyc-front"     // a shell company that passed KYC and signed a contract, harvesting as "synthetic data"
)

// BenignKinds lists the benign kinds, AttackKinds the attack kinds.
func BenignKinds() []string {
	return []string{KindPerson, KindPersonIntl, KindStudent, KindPowerUser, KindOffice, KindMobile, KindWriter, KindCoding,
		KindEvalLab, KindRAG, KindClassify, KindTranslate, KindSummarise, KindChatBackend, KindAgent, KindSynthData, KindPromptTuning}
}

func AttackKinds() []string {
	return []string{KindBulk, KindHydra, KindPolyglot, KindSweep, KindSlowLow, KindBlended, KindSleeper, KindJudge,
		KindAgentTrace, KindShardedHydra, KindCloudHydra, KindThrowaway, KindKYCFront}
}

// Models the gateway serves. Harvesters favour the largest.
const (
	modelSmall    = "llama3.1:8b"
	modelMid      = "qwen2.5:32b"
	modelFlagship = "llama3.3:70b"
	modelCoder    = "qwen2.5-coder:32b"
)
