package probe

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
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
func Run(ctx context.Context, m *Manifest, cs *CanarySet, targets map[string]Target, st *Store, o RunOptions) (RunStats, error) {
	o.defaults()
	all := m.Queries(cs)
	var stats RunStats
	stats.Planned = len(all)
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
	for _, q := range pending {
		if targets[q.Role] == nil {
			return stats, fmt.Errorf("no target for role %s", q.Role)
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var requests, tokens atomic.Int64
	requests.Store(int64(stats.Requests))
	tokens.Store(int64(stats.Tokens))
	var exhausted atomic.Bool
	overBudget := func(inflight int64) bool {
		b := m.Budget
		return (b.Requests > 0 && requests.Load()+inflight >= int64(b.Requests)) ||
			(b.Tokens > 0 && tokens.Load() >= int64(b.Tokens))
	}

	jobs := make(chan Query)
	type outcome struct {
		rec      Record
		noAnswer bool
	}
	results := make(chan outcome)
	var inflight atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // dispatcher
		defer wg.Done()
		defer close(jobs)
		for _, q := range pending {
			if overBudget(inflight.Load()) {
				exhausted.Store(true)
				return
			}
			inflight.Add(1)
			select {
			case jobs <- q:
			case <-ctx.Done():
				inflight.Add(-1)
				return
			}
		}
	}()
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := range jobs {
				rec, err := ask(ctx, m, targets[q.Role], q, o)
				if ctx.Err() != nil {
					inflight.Add(-1)
					continue // cancelled: nothing recorded, asked again on resume
				}
				// The query stays in flight until the loop below has
				// counted it: released earlier, the dispatcher saw
				// neither it nor its count and went one over the budget.
				select {
				case results <- outcome{rec: rec, noAnswer: errors.Is(err, ErrNoAnswer)}:
				case <-ctx.Done():
					inflight.Add(-1)
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	done := stats.AlreadyAnswered
	consecutive := 0
	var lastErr string
	var writeErr error
	for out := range results {
		if writeErr != nil {
			inflight.Add(-1)
			continue // drain
		}
		if out.noAnswer {
			inflight.Add(-1)
			stats.NoAnswer++
			done++
			continue
		}
		rec := out.rec
		if err := st.Append(rec); err != nil {
			inflight.Add(-1)
			writeErr = err
			cancel(err)
			continue
		}
		spent := o.spent(rec)
		requests.Add(1)
		tokens.Add(int64(spent))
		inflight.Add(-1)
		stats.Requests++
		stats.Tokens += spent
		if rec.OK() {
			stats.Answered++
			consecutive = 0
		} else {
			stats.Failed++
			consecutive++
			lastErr = rec.Error
			if consecutive >= o.MaxConsecutiveFailures {
				cancel(fmt.Errorf("%d queries in a row failed; the last (%s, target %s): %s", consecutive, rec.ID, rec.Target, lastErr))
			}
		}
		done++
		if o.Progress != nil {
			o.Progress(done, stats.Planned)
		}
	}
	stats.BudgetExhausted = exhausted.Load()
	if writeErr != nil {
		return stats, writeErr
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return stats, cause
	}
	return stats, ctx.Err()
}

// retryable reports whether a status is worth asking again.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500
}

// ask runs one query with retries and turns the outcome into a record.
func ask(ctx context.Context, m *Manifest, t Target, q Query, o RunOptions) (Record, error) {
	rec := Record{Query: q, Target: t.Spec(), Started: o.Now()}
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
