package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"forensics/serve/state"
)

// limiter enforces per-account quotas in the state store (one process's
// memory, or Redis shared by replicas): requests per hour and tokens per
// day as token buckets (a full bucket allows a burst of the whole quota,
// then refills evenly), and concurrent generations as leases that expire
// (a crashed replica does not hold slots forever). Each bucket has a
// shadow under the configured limits, charged alongside it: the
// rate-limit headers report the shadow, so that they say nothing a
// tightening changed.
type limiter struct {
	st   state.Store
	errs prometheus.Counter
	// lastLogged (Unix ns) and unlogged bound the log lines of a store
	// outage to one a second: every request fails while it lasts.
	lastLogged, unlogged atomic.Int64
	lostLogged           atomic.Bool // the shared state's loss was logged
}

// Retry-After values say nothing an account does not know: they come from
// its configured limits, not from its buckets, which a tightening (a risk
// decision the account must not learn) has changed. They stay below a
// minute: openai-node v4 ignores a Retry-After of 60 s or more (and
// retries on its own schedule within seconds), v6 sleeps whatever it is
// told (docs/replicas.md).
const maxRetry = 59 * time.Second

// leaseTTL is how long a concurrency slot outlives a replica that stopped
// renewing it; a running generation renews it every leaseTTL/3.
const leaseTTL = 30 * time.Second

// stateTimeout bounds one request's wait for the store.
const stateTimeout = 2 * time.Second

func newLimiter(st state.Store, reg prometheus.Registerer) *limiter {
	l := &limiter{st: st, errs: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "forensics_state_errors_total", Help: "Failures of the state store (requests refused with 503)."})}
	reg.MustRegister(l.errs)
	return l
}

func retryRequests(configured Limits) time.Duration {
	if configured.RequestsPerHour <= 0 {
		return time.Second
	}
	return min(maxRetry, time.Hour/time.Duration(configured.RequestsPerHour))
}

func perHour(n int) state.Bucket { return state.Bucket{Capacity: float64(n), Per: time.Hour} }
func perDay(n int) state.Bucket  { return state.Bucket{Capacity: float64(n), Per: 24 * time.Hour} }

// stateFailure counts and logs a failure of the store and is the 503 the
// request gets: a failing shared limit must not become no limit.
func (s *Server) stateFailure(err error) *httpError {
	s.lim.errs.Inc()
	s.noteLost(err)
	now, last := time.Now().UnixNano(), s.lim.lastLogged.Load()
	if now-last >= int64(time.Second) && s.lim.lastLogged.CompareAndSwap(last, now) {
		s.slog.Error("state store failed; refusing requests", "err", err, "also_refused_since_last_line", s.lim.unlogged.Swap(0))
	} else {
		s.lim.unlogged.Add(1)
	}
	return &httpError{status: http.StatusServiceUnavailable, msg: "service temporarily unavailable (rate-limit state unreachable)", retry: time.Second}
}

// accountLimits are an account's configured limits and those in force
// (configured times the tightest factor), and whether it is suspended.
func (s *Server) accountLimits(ctx context.Context, acct string) (configured, eff Limits, suspended bool, err error) {
	f, suspended, err := s.riskOf(ctx, acct)
	if err != nil {
		return Limits{}, Limits{}, false, err
	}
	s.risk.mu.Lock()
	configured = s.risk.base[acct]
	s.risk.mu.Unlock()
	eff = configured
	if f < 1 {
		eff = scaleLimits(configured, f)
		// Concurrency is not throttled: slots the account bought that it
		// cannot use at once would tell it the factor in one try.
		eff.Concurrent = configured.Concurrent
	}
	return configured, eff, suspended, nil
}

// chargeRequest refuses a suspended account (403) and takes one request
// from the hourly quota, setting the request headers of x-ratelimit-*.
// Every authenticated request pays, whatever comes of it (a request for a
// model that does not exist costs as much to log as one that generates).
func (s *Server) chargeRequest(ctx context.Context, h http.Header, rc *reqCtx) *httpError {
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	acct := rc.acct.name
	configured, eff, suspended, err := s.accountLimits(ctx, acct)
	if err != nil {
		return s.stateFailure(err)
	}
	if suspended {
		return suspendedError(acct)
	}
	t, err := s.lim.st.Take(ctx, state.Take{Key: "req:" + acct, Bucket: perHour(eff.RequestsPerHour), Cost: 1,
		Shadow: "req-cfg:" + acct, ShadowBucket: perHour(configured.RequestsPerHour)})
	if err != nil {
		return s.stateFailure(err)
	}
	setLimitHeaders(h, "requests", perHour(configured.RequestsPerHour), t)
	if !t.OK {
		s.met.limited.WithLabelValues(acct, "requests_per_hour").Inc()
		return &httpError{status: http.StatusTooManyRequests, msg: fmt.Sprintf("rate limit requests_per_hour exceeded for account %s", acct), retry: retryRequests(configured)}
	}
	return nil
}

// admitGeneration reserves a generation slot (concurrency) and its
// budget: the prompt's tokens and the most it may generate. A budget that
// cannot cover the reservation answers 429 (not a cut answer). On success
// the caller must call done with the tokens used, prompt and completion:
// what was reserved and not used is refunded.
func (s *Server) admitGeneration(ctx context.Context, rc *reqCtx, gr *genRequest) (done func(used int), he *httpError) {
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	acct := rc.acct.name
	configured, eff, he := s.recheckAccount(ctx, rc)
	if he != nil {
		return nil, he
	}
	release := func() {}
	if eff.Concurrent > 0 {
		lease, ok, err := s.lim.st.Acquire(ctx, acct, eff.Concurrent, leaseTTL)
		if err != nil {
			return nil, s.stateFailure(err)
		}
		if !ok {
			s.met.limited.WithLabelValues(acct, "concurrent").Inc()
			return nil, &httpError{status: http.StatusTooManyRequests, msg: fmt.Sprintf("rate limit concurrent exceeded for account %s", acct), retry: time.Second}
		}
		release = s.holdLease(acct, lease)
	}
	reserve := gr.promptTokens + gr.maxTok
	if he := s.reserveTokens(ctx, rc, configured, eff, reserve); he != nil {
		release()
		return nil, he
	}
	var once sync.Once
	return func(used int) {
		once.Do(func() {
			release()
			if eff.TokensPerDay > 0 || configured.TokensPerDay > 0 {
				s.spend(acct, used-reserve)
			}
		})
	}, nil
}

// recheckAccount repeats, as a generation is admitted, what authentication
// decided when the request's headers came: a body may come up to
// body_timeout later, and a suspension, a revocation of the key or the
// account's removal by a reload in between must apply to it. It answers
// the account's limits, configured and in force.
func (s *Server) recheckAccount(ctx context.Context, rc *reqCtx) (configured, eff Limits, he *httpError) {
	acct := rc.acct.name
	a, he := s.keyAccount(ctx, rc.keyHash, s.current().accounts[rc.keyHash])
	if he != nil {
		return Limits{}, Limits{}, he
	}
	s.risk.mu.Lock()
	_, known := s.risk.base[acct]
	s.risk.mu.Unlock()
	if a == nil || a.name != acct || !known {
		// A removed account has no limits entry: refused, never unlimited.
		return Limits{}, Limits{}, &httpError{status: http.StatusUnauthorized, msg: "unknown API key"}
	}
	configured, eff, suspended, err := s.accountLimits(ctx, acct)
	if err != nil {
		return Limits{}, Limits{}, s.stateFailure(err)
	}
	if suspended {
		return Limits{}, Limits{}, suspendedError(acct)
	}
	return configured, eff, nil
}

// suspendedError is the refusal of a suspended account. The risk score is
// not told: a harvester would steer by it.
func suspendedError(acct string) *httpError {
	return &httpError{status: http.StatusForbidden, msg: fmt.Sprintf("account %s is suspended for review", acct)}
}

// reserveTokens takes a generation's reservation from the daily budget.
// It is admitted against the configured budget (the bucket the headers
// report), so that which reservations pass says no more than the headers
// do: a throttle would otherwise show in the largest one admitted. The
// throttle is enforced by use: the bucket in force is charged the same
// reservation and admits while it holds anything, so a throttled account
// runs out sooner, as one that had used more would.
func (s *Server) reserveTokens(ctx context.Context, rc *reqCtx, configured, eff Limits, reserve int) *httpError {
	acct := rc.acct.name
	t, err := s.lim.st.Take(ctx, state.Take{Key: "tok-cfg:" + acct, Bucket: perDay(configured.TokensPerDay), Cost: float64(reserve),
		Shadow: "tok:" + acct, ShadowBucket: perDay(eff.TokensPerDay)})
	if err != nil {
		return s.stateFailure(err)
	}
	shown := state.Taken{OK: t.OK, Level: t.ShadowLevel, ShadowLevel: t.Level}
	if t.OK && eff.TokensPerDay > 0 && t.ShadowLevel+float64(reserve) <= 0 {
		shown.OK = false
		s.spend(acct, -reserve)
	}
	if rc.header != nil {
		setLimitHeaders(rc.header, "tokens", perDay(configured.TokensPerDay), shown)
	}
	if shown.OK {
		return nil
	}
	s.met.limited.WithLabelValues(acct, "tokens_per_day").Inc()
	if rc.header != nil {
		// A daily budget does not come back in seconds: clients that
		// honour this (openai-node) do not retry.
		rc.header.Set("X-Should-Retry", "false")
	}
	return &httpError{status: http.StatusTooManyRequests, retry: maxRetry, msg: fmt.Sprintf(
		"rate limit tokens_per_day exceeded for account %s: the request may use %d tokens (prompt and max_tokens); ask for fewer or wait", acct, reserve)}
}

// holdLease renews a concurrency lease until the returned release is
// called, which frees it.
func (s *Server) holdLease(acct, lease string) (release func()) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(leaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
				if err := s.lim.st.Renew(ctx, acct, lease, leaseTTL); err != nil {
					s.lim.errs.Inc()
					s.slog.Error("renewing a concurrency lease", "account", acct, "err", err)
				}
				cancel()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			wg.Wait()
			ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
			defer cancel()
			if err := s.lim.st.Release(ctx, acct, lease); err != nil {
				s.lim.errs.Inc()
				s.slog.Error("releasing a concurrency lease (it expires by itself)", "account", acct, "err", err, "within", leaseTTL)
			}
		})
	}
}

// spend takes tokens from the daily quota (negative: refunds them), by
// force: a refused over-long prompt, or the end of a generation.
func (s *Server) spend(acct string, tokens int) {
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	configured, eff, _, err := s.accountLimits(ctx, acct)
	if err == nil {
		_, err = s.lim.st.Take(ctx, state.Take{Key: "tok:" + acct, Bucket: perDay(eff.TokensPerDay), Cost: float64(tokens), Force: true,
			Shadow: "tok-cfg:" + acct, ShadowBucket: perDay(configured.TokensPerDay)})
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		// The reservation stays charged: the store failing errs on the
		// side of the limit.
		s.lim.errs.Inc()
		s.slog.Error("charging tokens to the daily budget", "account", acct, "tokens", tokens, "err", err)
	}
}

// unauthRetryAfter is the Retry-After of a refusal over the
// unauthenticated limits (a minute's window), below the 60 s that
// openai-node v4 ignores.
const unauthRetryAfter = "59"
