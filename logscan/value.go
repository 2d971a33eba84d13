package logscan

import (
	"strings"

	"forensics/logscan/benchmarks"
)

// What an account takes from the model, measured from the output side
// and the request's form rather than its topic: how much of its traffic
// is the model's own answers, how often the answers run to the length
// limit, whether it asks for the flagship model, whether it samples the
// same prompt again (judge and preference harvesting), and whether it
// writes the assistant's side of conversations itself (trajectory
// harvesting). Legitimate pipelines differ from campaigns here more than
// in volume: a classifier takes labels, a RAG system short grounded
// answers, a translator a transform of its own input.

// Detectors the scan can be given; nil ones are not used.
type (
	// PublicItems finds public benchmark items in a text and returns the
	// text without them (*benchmarks.Set). What a request adds beyond the
	// items is scored as usual; a request that is nothing but items
	// counts in volume and timing only: running a public benchmark is not
	// taking the model's abilities, and a benchmark's template never
	// links two accounts. Cutting rather than excusing matters: the
	// client can paste an item around a harvesting prompt.
	PublicItems interface {
		Strip(text string) (rest string, hits []benchmarks.Hit)
	}
	// ReasoningDetector says whether a request's text asks the model for
	// its reasoning trace (package logscan/reasoning).
	ReasoningDetector interface {
		Reasoning(text string) bool
	}
)

// valueCounts are an account's output-side counts.
type valueCounts struct {
	promptTok, completionTok int64
	// ownBytes is what the client had to write or send back: each
	// request's new text and the served answers it replays, not a fixed
	// prefix sent again (a system prompt padded to dilute the answers'
	// share costs nothing with prompt caching, and counts once).
	ownBytes               int64
	stopsSeen, lengthStops int
	longAnswers            int // answers of at least longAnswer tokens
	flagship               int
	resampled              int // exact repeats of a recent prompt, or n > 1
	withAssistant          int // requests carrying assistant turns
	fabricated             int // … of which some turn was not served to the account
	public                 int // requests that are public benchmark items
}

// longAnswer is the length from which an answer is long-form: an essay,
// a worked solution, a chapter of a tutorial, what a distillation set is
// made of; labels, grounded answers, chat replies and most translations
// are shorter.
const longAnswer = 400

// minRepeatWords is the length a prompt needs for its exact repeat to
// count as resampling: "thanks" and "continue" repeat in any chat.
const minRepeatWords = 5

func (v *valueCounts) addTokens(r Record) {
	v.promptTok += int64(clampTokens(r.PromptTokens))
	v.completionTok += int64(clampTokens(r.CompletionTokens))
	if r.CompletionTokens >= longAnswer {
		v.longAnswers++
	}
	if r.Stop != "" {
		v.stopsSeen++
		if r.Stop == "length" {
			v.lengthStops++
		}
	}
}

// bytesPerToken turns the client's text into tokens, roughly (English
// averages about four bytes a token; other scripts fewer characters but
// more bytes).
const bytesPerToken = 4

// answerShare is the share of the model's answers among the tokens
// exchanged, counting the client's side as what it wrote or replayed
// (ownBytes), not its token bill (0.5 when nothing was exchanged).
func (v *valueCounts) answerShare() float64 {
	own := v.ownBytes / bytesPerToken
	total := own + v.completionTok
	if total == 0 {
		return 0.5
	}
	return float64(v.completionTok) / float64(total)
}

// clampTokens bounds a logged token count: a negative or absurd value
// from another tool's log must not turn a sum negative or overflow it.
func clampTokens(n int) int { return min(max(n, 0), 1<<24) }

func (v *valueCounts) merge(o *valueCounts) {
	v.promptTok += o.promptTok
	v.completionTok += o.completionTok
	v.ownBytes += o.ownBytes
	v.stopsSeen += o.stopsSeen
	v.longAnswers += o.longAnswers
	v.lengthStops += o.lengthStops
	v.flagship += o.flagship
	v.resampled += o.resampled
	v.withAssistant += o.withAssistant
	v.fabricated += o.fabricated
	v.public += o.public
}

// isFlagship reports whether model is one of the configured flagship
// models (exact name, or a name followed by ":tag" or "-variant").
func isFlagship(model string, flagships []string) bool {
	for _, f := range flagships {
		if model == f || (strings.HasPrefix(model, f) && len(model) > len(f) && strings.ContainsRune(":-@", rune(model[len(f)]))) {
			return true
		}
	}
	return false
}

// Bounds of the public-item check: a part longer than maxPublicPart is
// scored as it is (no excuse: the safe side, and a benchmark item is far
// shorter), and a rest of fewer than minOwnWords words is only the
// wrapper ("Question: … Answer:", "Let's think step by step").
const (
	maxPublicPart = 8 << 10
	minOwnWords   = 8
)

// withoutPublic returns a part without the public items it carries:
// found says there were some, and own whether the rest is more than a
// wrapper (at least minOwnWords words).
func (e *env) withoutPublic(part string) (rest string, found, own bool) {
	if e.public == nil || len(part) > maxPublicPart {
		return part, false, true
	}
	rest, hits := e.public.Strip(part)
	if len(hits) == 0 {
		return part, false, true
	}
	return rest, true, len(strings.Fields(rest)) >= minOwnWords
}
