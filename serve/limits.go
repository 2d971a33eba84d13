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
	limits   Limits // as configured, possibly tightened
	requests bucket
	tokens   bucket
	active   int
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

// wait is how long until the level reaches need.
func (b *bucket) wait(need float64) time.Duration {
	if b.level >= need || b.rate == 0 {
		return 0
	}
	return time.Duration((need - b.level) / b.rate * float64(time.Second))
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
		q = &quota{}
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

// admit reserves a request slot. On refusal it says which limit and how
// long to wait; on success the caller must call done with the tokens used.
func (l *limiter) admit(account string) (done func(tokens int), which string, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.accounts[account]
	if q == nil {
		return func(int) {}, "", 0
	}
	now := l.now()
	q.requests.refill(now)
	q.tokens.refill(now)
	switch {
	case q.limits.Concurrent > 0 && q.active >= q.limits.Concurrent:
		return nil, "concurrent", time.Second
	case q.requests.capacity > 0 && q.requests.level < 1:
		return nil, "requests_per_hour", q.requests.wait(1)
	case q.tokens.capacity > 0 && q.tokens.level <= 0:
		return nil, "tokens_per_day", q.tokens.wait(1)
	}
	if q.requests.capacity > 0 {
		q.requests.level--
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

// remainingTokens is how many tokens the account may still use now (-1 if
// unlimited), so a request can be capped to its quota.
func (l *limiter) remainingTokens(account string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.accounts[account]
	if q == nil || q.tokens.capacity == 0 {
		return -1
	}
	q.tokens.refill(l.now())
	return int(math.Max(0, q.tokens.level))
}
