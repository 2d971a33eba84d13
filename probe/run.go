package probe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"forensics/canary"
)

// RunOptions control how queries are issued.
type RunOptions struct {
	Concurrency int
	// MaxAttempts bounds tries per query on 429, 5xx and transport errors.
	MaxAttempts int
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxConsecutiveFailures aborts the run when that many queries in a row
	// fail for good: the target is down or not answering what we ask.
	MaxConsecutiveFailures int
	// Progress is called after each record with the counts so far.
	Progress func(done, total int)
	Now      func() time.Time
	// CountTokens counts an answer's tokens by our own tokenizer, so that
	// a "N tokens" budget does not rest on the counts a suspect server
	// reports, which it may understate or make negative (default: words).
	CountTokens func(text string) int
}

func (o *RunOptions) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.MaxConsecutiveFailures <= 0 {
		o.MaxConsecutiveFailures = 10
	}
	if o.Now == nil {
		o.Now = func() time.Time { return time.Now().UTC() }
	}
	if o.CountTokens == nil {
		o.CountTokens = func(text string) int { return len(strings.Fields(text)) }
	}
}

// spent is what a record counts against a token budget: the server's
// completion token count, but never less than our own count of the
// answer's tokens, and never negative.
func (o *RunOptions) spent(r Record) int {
	return max(r.CompletionTokens, o.CountTokens(r.Text), 0)
}

// RunStats count what a run did.
type RunStats struct {
	Planned         int  `json:"planned"`
	AlreadyAnswered int  `json:"already_answered"`
	Answered        int  `json:"answered"`
	Failed          int  `json:"failed"`
	NoAnswer        int  `json:"no_answer"` // file targets: not in the file
	Requests        int  `json:"requests"`  // records in the store, all runs
	Tokens          int  `json:"tokens"`    // completion tokens, all runs (RunOptions.spent)
	BudgetExhausted bool `json:"budget_exhausted"`
}

// Run asks every planned query that has no answer in the store yet, up to
// the budget, and appends each outcome to the store as it arrives. On
// cancellation it returns the context's error with everything received so
// far written; running again resumes.
//
// Queries are asked by o.Concurrency goroutines (an errgroup) while this
// one appends their outcomes to the store; a failed write or too many
// failures in a row cancel the rest, whose answers are asked again on
// resume.
func Run(ctx context.Context, m *Manifest, cs *canary.Set, targets map[string]Target, st *Store, o RunOptions) (RunStats, error) {
	o.defaults()
	stats, pending := pendingQueries(m.Queries(cs), st, o)
	for _, q := range pending {
		if targets[q.Role] == nil {
			return stats, fmt.Errorf("no target for role %s", q.Role)
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &runner{m: m, targets: targets, o: o, cancel: cancel}
	r.requests.Store(int64(stats.Requests))
	r.tokens.Store(int64(stats.Tokens))
	results := make(chan outcome)
	go r.dispatch(ctx, pending, results)
	writeErr := r.collect(results, st, &stats)
	stats.BudgetExhausted = r.exhausted.Load()
	if writeErr != nil {
		return stats, writeErr
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return stats, cause
	}
	return stats, ctx.Err()
}

// pendingQueries counts the plan and what the store already holds, and
// returns the queries without an answer yet.
func pendingQueries(all []Query, st *Store, o RunOptions) (RunStats, []Query) {
	stats := RunStats{Planned: len(all)}
	var pending []Query
	for _, q := range all {
		if st.Answered(q.ID) {
			stats.AlreadyAnswered++
		} else {
			pending = append(pending, q)
		}
	}
	for _, r := range st.Records() {
		stats.Requests++
		stats.Tokens += o.spent(r)
	}
	return stats, pending
}

// runner is one Run's shared state.
type runner struct {
	m       *Manifest
	targets map[string]Target
	o       RunOptions
	cancel  context.CancelCauseFunc
	// requests and tokens are what the store holds, all runs; inflight
	// counts queries handed out whose outcome collect has not counted.
	requests, tokens, inflight atomic.Int64
	exhausted                  atomic.Bool
}

// outcome is one query's result: a record to store, or no answer in a
// file target.
type outcome struct {
	rec      Record
	noAnswer bool
}

// overBudget reports whether the budget is spent, counting queries in
// flight as requests.
func (r *runner) overBudget() bool {
	b := r.m.Budget
	return (b.Requests > 0 && r.requests.Load()+r.inflight.Load() >= int64(b.Requests)) ||
		(b.Tokens > 0 && r.tokens.Load() >= int64(b.Tokens))
}

// dispatch hands the pending queries, in plan order, to at most
// o.Concurrency goroutines until the budget is spent or ctx is done, then
// closes results. A query is counted in flight from before it waits for a
// goroutine until collect has counted its outcome.
func (r *runner) dispatch(ctx context.Context, pending []Query, results chan<- outcome) {
	defer close(results)
	var g errgroup.Group
	g.SetLimit(r.o.Concurrency)
	for _, q := range pending {
		if r.overBudget() {
			r.exhausted.Store(true)
			break
		}
		if ctx.Err() != nil {
			break
		}
		r.inflight.Add(1)
		g.Go(func() error {
			r.ask(ctx, q, results)
			return nil
		})
	}
	g.Wait() // the goroutines never fail: a failed query is a record
}

// ask asks one query and sends its outcome to collect. A query cancelled
// before its outcome was counted leaves nothing: it is asked again on
// resume.
func (r *runner) ask(ctx context.Context, q Query, results chan<- outcome) {
	if ctx.Err() != nil {
		r.inflight.Add(-1)
		return
	}
	rec, err := ask(ctx, r.m, r.targets[q.Role], q, r.o)
	if ctx.Err() != nil {
		r.inflight.Add(-1)
		return
	}
	// The query stays in flight until collect has counted it: released
	// earlier, dispatch saw neither it nor its count and went one over
	// the budget.
	select {
	case results <- outcome{rec: rec, noAnswer: errors.Is(err, ErrNoAnswer)}:
	case <-ctx.Done():
		r.inflight.Add(-1)
	}
}

// collect appends each outcome to the store and counts it, until results
// closes. A failed write, or MaxConsecutiveFailures failed queries in a
// row, cancels the run; the write error is returned.
func (r *runner) collect(results <-chan outcome, st *Store, stats *RunStats) error {
	done := stats.AlreadyAnswered
	consecutive := 0
	var writeErr error
	for out := range results {
		if writeErr != nil {
			r.inflight.Add(-1)
			continue // drain
		}
		if out.noAnswer {
			r.inflight.Add(-1)
			stats.NoAnswer++
			done++
			continue
		}
		rec := out.rec
		if err := st.Append(rec); err != nil {
			r.inflight.Add(-1)
			writeErr = err
			r.cancel(err)
			continue
		}
		spent := r.o.spent(rec)
		r.requests.Add(1)
		r.tokens.Add(int64(spent))
		r.inflight.Add(-1)
		stats.Requests++
		stats.Tokens += spent
		if rec.OK() {
			stats.Answered++
			consecutive = 0
		} else {
			stats.Failed++
			consecutive++
			if consecutive >= r.o.MaxConsecutiveFailures {
				r.cancel(fmt.Errorf("%d queries in a row failed; the last (%s, target %s): %s", consecutive, rec.ID, rec.Target, rec.Error))
			}
		}
		done++
		if r.o.Progress != nil {
			r.o.Progress(done, stats.Planned)
		}
	}
	return writeErr
}

// retryable reports whether a status is worth asking again.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500
}

// ask runs one query with retries and turns the outcome into a record.
func ask(ctx context.Context, m *Manifest, t Target, q Query, o RunOptions) (Record, error) {
	// The manifest's name of the target, not its spec: a spec may hold
	// the examiner's paths, and the record is evidence.
	rec := Record{Query: q, Target: cmp.Or(m.Targets.Of(q.Role), t.Spec()), Started: o.Now()}
	var ex Exchange
	var err error
	for attempt := 1; ; attempt++ {
		rec.Attempts = attempt
		ex, err = t.Ask(ctx, q, m.Sampling)
		if errors.Is(err, ErrNoAnswer) || ctx.Err() != nil {
			return rec, err
		}
		if (err == nil && !retryable(ex.Status)) || attempt >= o.MaxAttempts {
			break
		}
		wait := ex.RetryAfter
		if wait == 0 {
			wait = min(o.MaxBackoff, o.BaseBackoff<<(attempt-1))
			wait = wait/2 + rand.N(wait/2+1) // jitter, so workers do not retry in step
		}
		select {
		case <-time.After(min(wait, o.MaxBackoff)):
		case <-ctx.Done():
			return rec, ctx.Err()
		}
	}
	rec.Finished = o.Now()
	rec.Endpoint, rec.Model, rec.Extract, rec.Status = ex.Endpoint, ex.Model, ex.Extract, ex.Status
	rec.SetBodies(ex.Request, ex.Response)
	switch {
	case err != nil:
		rec.Error = "transport: " + err.Error()
	case ex.Status != http.StatusOK:
		rec.Error = fmt.Sprintf("HTTP %d: %s", ex.Status, snippet(ex.Response))
	default:
		text, n, xerr := ExtractText(ex.Extract, ex.Response)
		if xerr != nil {
			rec.Error = "unusable response: " + xerr.Error()
		} else {
			rec.Text, rec.CompletionTokens = text, n
		}
	}
	return rec, nil
}
