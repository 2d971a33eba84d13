package serve

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"forensics/caseledger"
)

// Cases across replicas. The case ledger is one signed file with one
// writer (caseledger.Open locks it), so of several replicas behind one
// shared state exactly one holds the ledger (cases.ledger) and decides;
// the others follow it (cases.follow). The holder publishes every event,
// once it is on disk, to the feed in the shared state; a follower reads
// the feed, verifies each line against the chain and the ledger's
// signature (caseledger.Mirror) and switches its accounts at the event's
// effective time, exactly as the holder does. The effective time is a
// repeat-window boundary at least a margin after the decision
// (window.switchAt), which is the time the followers have to hear of it.

// CaseFeed carries the case ledger's lines from the replica that holds
// the ledger to the others.
type CaseFeed interface {
	// Claim makes ledgerID the ledger the replicas follow; it fails if
	// another ledger has the feed (two holders would give one case id two
	// keys).
	Claim(ctx context.Context, ledgerID string) error
	// Publish puts the line of event seq (1, 2, …) of ledger ledgerID in
	// its place. Publishing a line already there changes nothing; a
	// different line there, a gap before it, or a feed another ledger has
	// claimed is an error.
	Publish(ctx context.Context, ledgerID string, seq int, line []byte) error
	// Since is the lines after the first n.
	Since(ctx context.Context, n int) ([][]byte, error)
	// Owner is the id of the ledger that has claimed the feed ("" if
	// none has).
	Owner(ctx context.Context) (string, error)
}

// followEvery is how often a follower reads the feed, and how often the
// holder republishes events it could not publish when decided.
const followEvery = 250 * time.Millisecond

// feedTimeout bounds one feed call.
const feedTimeout = 5 * time.Second

func (cm *caseManager) events() []caseledger.Event {
	if cm.ledger != nil {
		return cm.ledger.Events()
	}
	return cm.mirror.Events()
}

func (cm *caseManager) list() []caseledger.Case {
	if cm.ledger != nil {
		return cm.ledger.Cases()
	}
	return cm.mirror.Cases()
}

func (cm *caseManager) id() string {
	if cm.ledger != nil {
		return cm.ledger.ID()
	}
	return cm.mirror.ID()
}

func (cm *caseManager) close() error {
	if cm.ledger != nil {
		return cm.ledger.Close()
	}
	return nil
}

// publishLedger claims the feed for the ledger and publishes what the
// feed lacks; a feed holding lines this ledger does not is refused.
func (s *Server) publishLedger() error {
	cm := s.cases
	if cm.feed == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(s.bgCtx, feedTimeout)
	defer cancel()
	if err := cm.feed.Claim(ctx, cm.ledger.ID()); err != nil {
		return fmt.Errorf("cases: shared state: %w", err)
	}
	if err := s.syncFeed(ctx, 0); err != nil {
		return fmt.Errorf("cases: shared state: %w", err)
	}
	s.AddReadinessCheck("cases", 0, cm.feedReady)
	s.bg.Add(1)
	go s.resyncFeed()
	return nil
}

// syncFeed checks the feed's lines after the first from against the
// ledger's and publishes the events it lacks. Call with cm.mu held, or
// before serving.
func (s *Server) syncFeed(ctx context.Context, from int) error {
	cm := s.cases
	// Only the events from `from` on: the holder checks the feed's last
	// line every tick, and the ledger need not be copied whole for it.
	events := cm.ledger.EventsSince(from)
	have, err := cm.feed.Since(ctx, from)
	if err != nil {
		return err
	}
	if len(have) > len(events) {
		return fmt.Errorf("the feed holds %d case events, the ledger %d: another ledger wrote there", from+len(have), from+len(events))
	}
	for i, e := range events {
		line, err := e.Line()
		if err != nil {
			return err
		}
		if i < len(have) {
			if !bytes.Equal(have[i], line) {
				return fmt.Errorf("case event %d in the feed is not the ledger's", e.Seq)
			}
			continue
		}
		if err := cm.feed.Publish(ctx, cm.ledger.ID(), e.Seq, line); err != nil {
			return err
		}
	}
	cm.published = from + len(events)
	return nil
}

// publishEvent publishes a decision just written to the ledger. A failure
// is logged; resyncFeed publishes it later (followers switch late, and
// say so, rather than never).
func (s *Server) publishEvent(e caseledger.Event) {
	cm := s.cases
	if cm.feed == nil {
		return
	}
	line, err := e.Line()
	if err == nil {
		ctx, cancel := context.WithTimeout(s.bgCtx, feedTimeout)
		err = cm.feed.Publish(ctx, cm.ledger.ID(), e.Seq, line)
		cancel()
	}
	if err != nil {
		s.slog.Error("cases: publishing a case event to the other replicas failed; retrying", "case", e.Case, "seq", e.Seq, "err", err)
		return
	}
	cm.published = e.Seq
}

// resyncFeed republishes, until Close, what the feed lacks.
func (s *Server) resyncFeed() {
	defer s.bg.Done()
	t := time.NewTicker(followEvery)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-s.bgCtx.Done():
			return
		case <-t.C:
		}
		err := s.resyncOnce()
		s.cases.setFeedErr(err)
		if err != nil && !failing && s.bgCtx.Err() == nil {
			s.slog.Error("cases: the shared case feed is behind the ledger", "err", err)
		}
		failing = err != nil
	}
}

// resyncOnce checks the feed's last line against the ledger and publishes
// what it lacks; a feed that lost lines (a flushed Redis) is claimed and
// filled again from the start.
func (s *Server) resyncOnce() error {
	cm := s.cases
	cm.mu.Lock()
	defer cm.mu.Unlock()
	ctx, cancel := context.WithTimeout(s.bgCtx, feedTimeout)
	defer cancel()
	from := max(0, cm.published-1)
	err := s.syncFeed(ctx, from)
	if err != nil && from > 0 {
		if err = cm.feed.Claim(ctx, cm.ledger.ID()); err == nil {
			err = s.syncFeed(ctx, 0)
		}
	}
	return err
}

// followCases makes this replica a follower: it reads the ledger's lines
// from the feed, verified with the signing key's public half (the holder
// signs with the same log.signing_key), and serves its cases.
func (s *Server) followCases(opts Options) error {
	cm := s.cases
	if cm.feed == nil {
		return errors.New("cases: cases.follow reads the case decisions from the shared state (state.redis), and none is configured")
	}
	m, err := caseledger.NewMirror(opts.LogSigner.Public().(ed25519.PublicKey))
	if err != nil {
		return err
	}
	cm.mirror = m
	s.markCaseAccounts()
	ctx, cancel := context.WithTimeout(s.bgCtx, feedTimeout)
	defer cancel()
	lines, err := cm.feed.Since(ctx, 0)
	if err != nil {
		return fmt.Errorf("cases: shared state: %w", err)
	}
	for _, line := range lines {
		if _, err := m.Add(line); err != nil {
			return fmt.Errorf("cases: the shared case ledger: %w", err)
		}
	}
	if err := s.restoreCases(); err != nil {
		return err
	}
	s.AddReadinessCheck("cases", 0, cm.feedReady)
	s.bg.Add(1)
	go s.follow()
	return nil
}

// follow applies, until Close, the events the holder publishes.
func (s *Server) follow() {
	defer s.bg.Done()
	t := time.NewTicker(followEvery)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-s.bgCtx.Done():
			return
		case <-t.C:
		}
		err := s.followOnce()
		s.cases.setFeedErr(err)
		if msg := fmt.Sprint(err); err != nil && msg != lastErr && s.bgCtx.Err() == nil {
			// A line that does not verify stops the follower at it: what
			// comes after cannot be trusted either.
			s.slog.Error("cases: following the shared case ledger", "err", err)
		}
		lastErr = fmt.Sprint(err)
	}
}

// followOnce reads the feed's new lines and applies each that verifies.
func (s *Server) followOnce() error {
	cm := s.cases
	ctx, cancel := context.WithTimeout(s.bgCtx, feedTimeout)
	defer cancel()
	owner, err := cm.feed.Owner(ctx)
	if err != nil {
		return err
	}
	if id := cm.mirror.ID(); id != "" && owner != id {
		// Another ledger took the feed (a second holder after the feed
		// was emptied): its case ids would name other keys. Stop here,
		// loudly, on the cases this replica had.
		return fmt.Errorf("the case feed belongs to ledger %q, not to ledger %s that this replica follows: a second replica holds a ledger; this one stops following", owner, id)
	}
	lines, err := cm.feed.Since(ctx, cm.mirror.Len())
	if err != nil {
		return err
	}
	cm.mu.Lock()
	defer cm.mu.Unlock()
	for _, line := range lines {
		e, err := cm.mirror.Add(line)
		if err != nil {
			return err
		}
		cs, err := s.followedServing(e)
		if err != nil {
			return err
		}
		s.applyEvent(e, cs)
	}
	return nil
}

// followedServing is the serving state of a followed event's case,
// checked against the configured master key as a restored case is.
func (s *Server) followedServing(e caseledger.Event) (*caseServing, error) {
	if e.Kind == caseledger.KindClosed {
		return nil, nil
	}
	return s.restoredServing(s.caseByID(e.Case), s.now())
}

// setFeedErr records the last exchange with the feed, for /readyz.
func (cm *caseManager) setFeedErr(err error) {
	if err == nil {
		cm.feedErr.Store(nil)
		return
	}
	cm.feedErr.Store(&err)
}

// feedReady is the readiness check of a replica sharing cases: its last
// exchange with the feed failed (a follower stopped at a line, a holder
// that cannot publish) means the replicas may serve different keys.
func (cm *caseManager) feedReady(context.Context) error {
	if p := cm.feedErr.Load(); p != nil {
		return fmt.Errorf("case feed: %w", *p)
	}
	return nil
}

// MemoryCaseFeed is a CaseFeed in memory, for replicas in one process
// (tests).
type MemoryCaseFeed struct {
	mu     sync.Mutex
	ledger string
	lines  [][]byte
}

// Claim implements CaseFeed.
func (f *MemoryCaseFeed) Claim(_ context.Context, ledgerID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ledger != "" && f.ledger != ledgerID {
		return fmt.Errorf("the case feed belongs to ledger %s, not %s: one replica holds the ledger, the others follow (cases.follow)", f.ledger, ledgerID)
	}
	f.ledger = ledgerID
	return nil
}

// Publish implements CaseFeed.
func (f *MemoryCaseFeed) Publish(_ context.Context, ledgerID string, seq int, line []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.ledger != ledgerID:
		return fmt.Errorf("case event %d: the feed belongs to ledger %q, not %s", seq, f.ledger, ledgerID)
	case seq <= len(f.lines) && bytes.Equal(f.lines[seq-1], line):
		return nil
	case seq <= len(f.lines):
		return fmt.Errorf("case event %d: the feed holds another line", seq)
	case seq != len(f.lines)+1:
		return fmt.Errorf("case event %d: the feed has only %d", seq, len(f.lines))
	}
	f.lines = append(f.lines, bytes.Clone(line))
	return nil
}

// Owner implements CaseFeed.
func (f *MemoryCaseFeed) Owner(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ledger, nil
}

// Since implements CaseFeed.
func (f *MemoryCaseFeed) Since(_ context.Context, n int) ([][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n >= len(f.lines) {
		return nil, nil
	}
	return append([][]byte(nil), f.lines[n:]...), nil
}
