package logscan

import (
	"fmt"
	"math"
)

// values computes an account's indicator values, with the evidence text
// of each. Requests that were public benchmark items count only in the
// volume and timing indicators (account.add).
func (s *Scanner) values(a *account, timing bool) (map[string]float64, map[string]string) {
	days := math.Max(a.last.Sub(a.first).Hours(), 1) / 24
	vals := map[string]float64{
		IndVolume:      float64(a.requests) / days,
		IndTokens:      float64(a.tokens) / days,
		IndLongAnswers: float64(a.value.longAnswers) / days,
	}
	ev := map[string]string{
		IndVolume:      fmt.Sprintf("%d requests over %.1f h", a.requests, a.last.Sub(a.first).Hours()),
		IndLongAnswers: fmt.Sprintf("%d answers of %d tokens or more", a.value.longAnswers, longAnswer),
	}
	if a.prompts > 0 {
		contentValues(a, vals, ev)
	}
	s.valueValues(a, vals, ev)
	if timing {
		timingValues(a, vals, ev)
	}
	return vals, ev
}

// contentValues are the indicators of what the prompts say.
func contentValues(a *account, vals map[string]float64, ev map[string]string) {
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
	ev[IndCoT] = fmt.Sprintf("%d of %d prompts ask for the reasoning", a.cot, a.prompts)
	if a.lenN > 1 && a.lenMean > 0 {
		cv := math.Sqrt(a.lenM2/float64(a.lenN-1)) / a.lenMean
		vals[IndLengths] = 1 - math.Min(1, cv)
		ev[IndLengths] = fmt.Sprintf("mean %.1f words, CV %.2f", a.lenMean, cv)
	}
}

// minSweepRequests is the requests an account needs before its number of
// distinct temperatures counts as a sweep.
const minSweepRequests = 100

// valueValues are the indicators of what is taken (value.go) and of the
// sampling parameters.
func (s *Scanner) valueValues(a *account, vals map[string]float64, ev map[string]string) {
	n := float64(max(a.requests, 1))
	sweep := float64(a.logprobs+a.logitBias+a.multiN) / n
	// Many temperatures is a sweep only over many requests: a developer
	// tuning a prompt tries five in an afternoon.
	if len(a.temps) >= 5 && a.requests >= minSweepRequests {
		sweep += 0.5
	}
	vals[IndParams] = sweep
	ev[IndParams] = fmt.Sprintf("%d top_logprobs, %d logit_bias, %d n>1, %d temperatures", a.logprobs, a.logitBias, a.multiN, len(a.temps))
	vals[IndLowTemp] = float64(a.lowTemp) / n
	ev[IndLowTemp] = fmt.Sprintf("%d of %d requests asked for a temperature below %g", a.lowTemp, a.requests, LowTemperature)
	v := &a.value
	vals[IndResample] = float64(v.resampled) / n
	ev[IndResample] = fmt.Sprintf("%d requests sampled a recent prompt again or asked for n > 1", v.resampled)
	if v.stopsSeen > 0 {
		vals[IndLengthLimit] = float64(v.lengthStops) / float64(v.stopsSeen)
		ev[IndLengthLimit] = fmt.Sprintf("%d of %d answers ran to max_tokens", v.lengthStops, v.stopsSeen)
	}
	if len(s.cfg.FlagshipModels) > 0 {
		vals[IndFlagship] = float64(v.flagship) / n
		ev[IndFlagship] = fmt.Sprintf("%d requests for a flagship model", v.flagship)
	}
	if s.sawServed {
		vals[IndWritten] = float64(v.fabricated) / n
		ev[IndWritten] = fmt.Sprintf("%d requests carried assistant turns never served to the account (%d with assistant turns)", v.fabricated, v.withAssistant)
	}
	vals[IndAnswerShare] = v.answerShare()
	ev[IndAnswerShare] = fmt.Sprintf("%d answer tokens, %d prompt tokens", v.completionTok, v.promptTok)
	vals[IndPublic] = float64(v.public) / n
	if v.public > 0 {
		ev[IndPublic] = fmt.Sprintf("%d requests were public benchmark items (counted in volume and timing only)", v.public)
	}
}

// timingValues are the sliding windows and the inter-arrival indicators
// (single accounts only).
func timingValues(a *account, vals map[string]float64, ev map[string]string) {
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
	if a.gapN > 1 && a.gapMean > 0 {
		cv := math.Sqrt(a.gapM2/float64(a.gapN-1)) / a.gapMean
		vals[IndTiming] = 1 - math.Min(1, cv)
		ev[IndTiming] = fmt.Sprintf("mean gap %.1f s, CV %.2f", a.gapMean, cv)
		vals[IndClock] = normEntropy(a.hours[:])
	}
}
