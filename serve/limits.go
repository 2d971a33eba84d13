package serve

import (
	"math"
	"sync"
	"time"
)

// limiter enforces per-account quotas: requests per hour and tokens per day
// as token buckets (a full bucket allows a burst of the whole quota, then
// refills evenly), and a cap on concurrent requests.
type limiter struct {
	mu       sync.Mutex
	now      func() time.Time
	accounts map[string]*quota
}

type quota struct {
	limits     Limits // as configured, possibly tightened
	configured Limits // as configured
	requests   bucket
	tokens     bucket
	active     int
}

// Retry-After values say nothing an account does not know: they come from
// its configured limits, not from its buckets, which a tightening (a risk
// decision the account must not learn) has changed.
const maxRetry = time.Minute

func (q *quota) retryRequests() time.Duration {
	if q.configured.RequestsPerHour <= 0 {
		return time.Second
	}
	return min(maxRetry, time.Hour/time.Duration(q.configured.RequestsPerHour))
}

// bucket holds up to capacity units, refilled at rate units per second.
type bucket struct {
	capacity, level, rate float64
	last                  time.Time
}

func (b *bucket) refill(now time.Time) {
	if b.capacity == 0 {
		return
	}
	b.level = math.Min(b.capacity, b.level+b.rate*now.Sub(b.last).Seconds())
	b.last = now
}

func newBucket(capacity float64, per time.Duration, now time.Time) bucket {
	if capacity <= 0 {
		return bucket{}
	}
	return bucket{capacity: capacity, level: capacity, rate: capacity / per.Seconds(), last: now}
}

func newLimiter(now func() time.Time) *limiter {
	if now == nil {
		now = time.Now
	}
	return &limiter{now: now, accounts: map[string]*quota{}}
}

// set installs or replaces an account's limits, keeping what it has used
// (a full bucket under new limits would undo a tightening).
func (l *limiter) set(account string, lim Limits) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	q := l.accounts[account]
	if q == nil {
		q = &quota{configured: lim}
		l.accounts[account] = q
		q.requests = newBucket(float64(lim.RequestsPerHour), time.Hour, now)
		q.tokens = newBucket(float64(lim.TokensPerDay), 24*time.Hour, now)
	} else {
		q.requests.refill(now)
		q.tokens.refill(now)
		q.requests = rescale(q.requests, float64(lim.RequestsPerHour), time.Hour, now)
		q.tokens = rescale(q.tokens, float64(lim.TokensPerDay), 24*time.Hour, now)
	}
	q.limits = lim
}

func rescale(b bucket, capacity float64, per time.Duration, now time.Time) bucket {
	nb := newBucket(capacity, per, now)
	if b.capacity > 0 && nb.capacity > 0 {
		nb.level = math.Min(nb.capacity, b.level*nb.capacity/b.capacity)
	}
	return nb
}

// limits returns an account's current limits.
func (l *limiter) limits(account string) (Limits, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.accounts[account]
	if q == nil {
		return Limits{}, false
	}
	return q.limits, true
}

// charge takes one request from the hourly quota. Every authenticated
// request pays, whatever comes of it (a request for a model that does not
// exist costs as much to log as one that generates). On refusal it says
// which limit and how long to wait.
func (l *limiter) charge(account string) (which string, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.accounts[account]
	if q == nil {
		return "", 0
	}
	q.requests.refill(l.now())
	if q.requests.capacity > 0 {
		if q.requests.level < 1 {
			return "requests_per_hour", q.retryRequests()
		}
		q.requests.level--
	}
	return "", 0
}

// admit reserves a generation slot (concurrency and the token quota). On
// refusal it says which limit and how long to wait; on success the caller
// must call done with the tokens used, prompt and completion.
func (l *limiter) admit(account string) (done func(tokens int), which string, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.accounts[account]
	if q == nil {
		return func(int) {}, "", 0
	}
	q.tokens.refill(l.now())
	switch {
	case q.limits.Concurrent > 0 && q.active >= q.limits.Concurrent:
		return nil, "concurrent", time.Second
	case q.tokens.capacity > 0 && q.tokens.level <= 0:
		return nil, "tokens_per_day", maxRetry
	}
	q.active++
	var once sync.Once
	return func(tokens int) {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			q.active--
			if q.tokens.capacity > 0 {
				q.tokens.refill(l.now())
				q.tokens.level -= float64(tokens) // may go below zero: the next request waits
			}
		})
	}, "", 0
}

// spend takes tokens from the daily quota outside a generation (a
// refused over-long prompt).
func (l *limiter) spend(account string, tokens int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if q := l.accounts[account]; q != nil && q.tokens.capacity > 0 {
		q.tokens.refill(l.now())
		q.tokens.level -= float64(tokens)
	}
}
