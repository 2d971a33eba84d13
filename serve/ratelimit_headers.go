package serve

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"forensics/serve/state"
)

// setLimitHeaders sets OpenAI's x-ratelimit-{limit,remaining,reset}-<what>
// headers from the shadow bucket: the configured limit, and what the
// account's own accepted requests have left of it. They are what the
// account could compute from its own history and its configured limits,
// so they show nothing of a tightening (a risk decision the account must
// not learn); a refusal reports nothing remaining. Unlimited quotas send
// no headers.
func setLimitHeaders(h http.Header, what string, configured state.Bucket, t state.Taken) {
	if configured.Capacity <= 0 {
		return
	}
	remaining := math.Max(0, math.Floor(t.ShadowLevel))
	if !t.OK {
		remaining = 0
	}
	full := time.Duration((configured.Capacity - math.Max(t.ShadowLevel, -configured.Capacity*1e6)) / configured.Capacity * float64(configured.Per))
	if !t.OK {
		// Reported against the configured rate, like Retry-After.
		full = max(full, configured.Per/time.Duration(configured.Capacity))
	}
	h.Set("X-Ratelimit-Limit-"+what, strconv.Itoa(int(configured.Capacity)))
	h.Set("X-Ratelimit-Remaining-"+what, strconv.Itoa(int(remaining)))
	h.Set("X-Ratelimit-Reset-"+what, max(0, full).Round(time.Millisecond).String())
}
