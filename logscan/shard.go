package logscan

import (
	"context"
	"fmt"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// The parallel read. One goroutine reads the files into batches of raw
// lines; workers parse batches (JSON parsing is most of a scan's cost);
// a dispatcher takes the parsed batches back in file order and hands each
// shard its records; each shard, one goroutine, owns the accounts whose
// name hashes to it. An account's records therefore reach it in file
// order, as in the serial scan (its time windows and its memory of recent
// prompts depend on that order), and the report is the serial one. Every
// channel is bounded, so memory is bounded by the batches in flight, not
// by the log's length.

// ReadOptions tune Scanner.ReadLogs.
type ReadOptions struct {
	// Workers is how many goroutines parse lines and how many shards the
	// accounts are split into; 0 means GOMAXPROCS.
	Workers int
	// Progress, if set, is told how many bytes were read (called from
	// one goroutine at a time).
	Progress func(int64)
}

// A batch ends at whichever of these comes first (a longer line is a
// batch of its own).
const (
	batchLines = 512
	batchBytes = 1 << 20
)

// shard is a share of the accounts with the working memory to update
// them; one goroutine at a time uses it.
type shard struct {
	accounts  map[string]*account
	scratch   scratch
	sawServed bool // a record logged its answer's hash (Scanner.sawServed)
}

// addRecord adds a record to its account in accounts (creating it).
func addRecord(accounts map[string]*account, r Record, e *env, sc *scratch) {
	a := accounts[r.Account]
	if a == nil {
		a = newAccount(r.Account, len(e.tax.Names))
		accounts[r.Account] = a
	}
	a.add(r, e, sc)
}

// shardOf is the shard of an account among n (FNV-1a of its name).
func shardOf(account string, n int) int { return int(fnvString(account) % uint64(n)) }

// ReadLogs reads the given files (plain or gzip) into the scanner as Read
// and Add would, on opts.Workers cores. The accounts end up in the state
// the serial read leaves them in. On an error (a cancelled ctx among
// them) the scanner holds part of the logs.
func (s *Scanner) ReadLogs(ctx context.Context, paths []string, opts ReadOptions) (ReadStats, error) {
	n := opts.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	shards := s.split(n)
	defer s.join(shards)
	var st ReadStats
	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan parseJob, n)
	order := make(chan chan *parsedBatch, 2*n) // every batch in flight, in file order
	inbox := make([]chan []Record, n)
	for i := range inbox {
		inbox[i] = make(chan []Record, 2)
	}
	layout := s.cfg.Fields.withDefaults()
	g.Go(func() error {
		defer close(jobs)
		defer close(order)
		files, err := readBatches(ctx, paths, opts.Progress, func(b *rawBatch) error {
			done := make(chan *parsedBatch, 1)
			if err := send(ctx, jobs, parseJob{b, done}); err != nil {
				return err
			}
			return send(ctx, order, done)
		})
		s.readFiles = append(s.readFiles, files...)
		return err
	})
	for range n {
		g.Go(func() error {
			p := newParser(layout, n)
			for j := range jobs {
				j.done <- p.parse(j.batch)
			}
			return nil
		})
	}
	g.Go(func() error { return dispatch(ctx, order, inbox, &st) })
	for i, sh := range shards {
		g.Go(func() error { return sh.consume(ctx, inbox[i], &s.env) })
	}
	if err := g.Wait(); err != nil {
		return st, err
	}
	return st, st.noneRead()
}

// dispatch hands each shard its share of every parsed batch, in file
// order, and sums the batches' statistics.
func dispatch(ctx context.Context, order <-chan chan *parsedBatch, inbox []chan []Record, st *ReadStats) error {
	defer func() {
		for _, c := range inbox {
			close(c)
		}
	}()
	for done := range order {
		var b *parsedBatch
		select {
		case b = <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		st.merge(b.stats)
		for i, recs := range b.shards {
			if len(recs) == 0 {
				continue
			}
			if err := send(ctx, inbox[i], recs); err != nil {
				return err
			}
		}
	}
	return nil
}

// consume adds the records it is given, in the order given.
func (sh *shard) consume(ctx context.Context, in <-chan []Record, e *env) error {
	for recs := range in {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, r := range recs {
			if r.Completion != 0 {
				sh.sawServed = true
			}
			addRecord(sh.accounts, r, e, &sh.scratch)
		}
	}
	return nil
}

// split moves the scanner's accounts into n shards (so that a read after
// Add or another read carries on from them).
func (s *Scanner) split(n int) []*shard {
	shards := make([]*shard, n)
	for i := range shards {
		shards[i] = &shard{accounts: map[string]*account{}}
	}
	for name, a := range s.accounts {
		shards[shardOf(name, n)].accounts[name] = a
	}
	clear(s.accounts)
	return shards
}

// join moves the shards' accounts back into the scanner.
func (s *Scanner) join(shards []*shard) {
	for _, sh := range shards {
		for name, a := range sh.accounts {
			s.accounts[name] = a
		}
		s.sawServed = s.sawServed || sh.sawServed
	}
}

// send sends v on c unless ctx ends first.
func send[T any](ctx context.Context, c chan<- T, v T) error {
	select {
	case c <- v:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("read logs: %w", ctx.Err())
	}
}
