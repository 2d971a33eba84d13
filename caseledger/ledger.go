package caseledger

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"forensics/internal/bundlefile"
)

// Ledger appends events to a ledger file. It is safe for concurrent use;
// appends are serialised.
type Ledger struct {
	mu     sync.Mutex
	path   string
	f      *os.File
	signer ed25519.PrivateKey
	now    func() time.Time
	rule   EffectiveRule // nil: events take effect when decided
	events []Event
	st     *state
	broken error  // a write that may have left part of a line: no more appends
	id     string // Event.Ledger
}

// Open opens the ledger at path for appending, creating it (mode 0600) if
// it does not exist. An existing ledger is read and verified with the
// signer's public key first, and refused if it does not verify (a ledger
// that was edited, or cut by a crash mid-line, needs a person, not an
// append after the damage). now is the clock (nil: time.Now).
//
// The file is locked for the Ledger's life: a second writer (two
// processes on one file) is refused, not interleaved. Beside the ledger,
// path + ".id" records its id; a ledger missing while that file is there
// (deleted, rotated away, a wrong path after a move) is refused rather
// than silently started anew, which would return every cased account to
// the master key and lose the record.
func Open(path string, signer ed25519.PrivateKey, now func() time.Time) (*Ledger, error) {
	if len(signer) != ed25519.PrivateKeySize {
		return nil, errors.New("case ledger: a signing key is required (unsigned custody is worth little)")
	}
	if now == nil {
		now = time.Now
	}
	_, statErr := os.Stat(path)
	missing := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("case ledger: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("case ledger %s: another process has it open (%v): one writer only", path, err)
	}
	l := &Ledger{path: path, signer: signer, now: now, st: newState(), f: f}
	if err := l.load(missing); err != nil {
		f.Close()
		if missing {
			os.Remove(path) // created above: leave nothing behind
		}
		return nil, err
	}
	return l, nil
}

// load reads and verifies the ledger, and finds or makes its id.
func (l *Ledger) load(missing bool) error {
	events, err := ReadFile(l.path, l.signer.Public().(ed25519.PublicKey))
	if err != nil {
		return fmt.Errorf("case ledger: %w", err)
	}
	for _, e := range events {
		l.st.apply(e) // verified by ReadFile
	}
	l.events = events
	idPath := l.path + ".id"
	recorded, idErr := os.ReadFile(idPath)
	switch {
	case len(events) > 0:
		l.id = events[0].Ledger
	case idErr == nil && missing:
		return fmt.Errorf("case ledger %s is missing, but %s says ledger %s was kept there: restore it (starting anew would return its cases' accounts to the master key and lose the record), or delete %s to start a new ledger", l.path, idPath, strings.TrimSpace(string(recorded)), idPath)
	case idErr == nil:
		l.id = strings.TrimSpace(string(recorded)) // created, nothing appended yet
	default:
		if l.id, err = NewID(); err != nil {
			return err
		}
		if err := bundlefile.WriteSync(idPath, []byte(l.id+"\n")); err != nil {
			return fmt.Errorf("case ledger: %w", err)
		}
	}
	if !ledgerIDPattern.MatchString(l.id) {
		return fmt.Errorf("case ledger: %s holds %q, not a ledger id", idPath, l.id)
	}
	if len(events) > 0 && idErr == nil && strings.TrimSpace(string(recorded)) != l.id {
		return fmt.Errorf("case ledger %s is ledger %s, but %s says %s was kept there: another ledger was put in its place", l.path, l.id, idPath, strings.TrimSpace(string(recorded)))
	}
	if len(events) > 0 && idErr != nil {
		if err := bundlefile.WriteSync(idPath, []byte(l.id+"\n")); err != nil {
			return fmt.Errorf("case ledger: %w", err)
		}
	}
	// A new file's directory entry must survive a crash too.
	return syncDir(filepath.Dir(l.path))
}

// Append completes e (Format, Seq, Time, Effective, Prev, Hash, Sig; for an extension
// or a closing also the case's keys and commitments when left empty),
// checks it against the cases so far, writes it and fsyncs the file. The
// returned event is on disk when Append returns without error; the caller
// acts on it only then.
func (l *Ledger) Append(e Event) (Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return Event{}, errors.New("case ledger: closed")
	}
	if l.broken != nil {
		return Event{}, fmt.Errorf("case ledger: an earlier write failed (%v): restart to re-verify the file", l.broken)
	}
	e.Format, e.Ledger, e.Seq, e.Prev = Format, l.id, len(l.events)+1, Head(l.events)
	e.Time = l.now().UTC()
	var notBefore time.Time
	if n := len(l.events); n > 0 {
		if e.Time.Before(l.events[n-1].Time) {
			e.Time = l.events[n-1].Time // a clock stepped back: keep time order
		}
		notBefore = l.events[n-1].Effective
	}
	e.Effective = l.effective(e.Time, notBefore)
	l.fillCase(&e)
	if err := l.st.check(e); err != nil {
		return Event{}, fmt.Errorf("case ledger: %w", err)
	}
	var err error
	if e.Hash, err = e.ComputeHash(); err != nil {
		return Event{}, err
	}
	e.sign(l.signer)
	line, err := e.marshal()
	if err != nil {
		return Event{}, err
	}
	if len(line) > MaxLine {
		// Parse refuses such a line: written, it would stop every reader
		// (and a restart) at it.
		return Event{}, fmt.Errorf("case ledger: the event is %d bytes, more than %d (split its accounts over several events)", len(line), MaxLine)
	}
	if _, err := l.f.Write(append(line, '\n')); err != nil {
		l.broken = err
		return Event{}, fmt.Errorf("case ledger: write: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		l.broken = err
		return Event{}, fmt.Errorf("case ledger: fsync: %w", err)
	}
	l.st.apply(e)
	l.events = append(l.events, e)
	return e, nil
}

// An EffectiveRule says when an event decided at decided takes effect.
// notBefore is the previous event's effective time (zero for the first):
// effective times never go back, so that the events, replayed in order,
// give each account's key at any time. A result before decided or
// notBefore is raised to the later of the two.
type EffectiveRule func(decided, notBefore time.Time) time.Time

// SetEffectiveRule sets when the events appended from now on take effect
// (nil: when decided).
func (l *Ledger) SetEffectiveRule(rule EffectiveRule) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rule = rule
}

// effective is the effective time of an event decided at decided.
func (l *Ledger) effective(decided, notBefore time.Time) time.Time {
	eff := decided
	if l.rule != nil {
		eff = l.rule(decided, notBefore).UTC()
	}
	if eff.Before(decided) {
		eff = decided
	}
	if eff.Before(notBefore) {
		eff = notBefore
	}
	return eff
}

// fillCase copies an open case's keys into an extension or closing that
// left them empty.
func (l *Ledger) fillCase(e *Event) {
	i, ok := l.st.byID[e.Case]
	if !ok || e.Kind == KindOpened || e.KeyID != "" {
		return
	}
	c := l.st.cases[i]
	e.MasterKey, e.MasterCommitment, e.KeyID, e.KeyCommitment, e.CanaryCommitment, e.Nonce =
		c.MasterKey, c.MasterCommitment, c.KeyID, c.KeyCommitment, c.CanaryCommitment, c.Nonce
}

// Cases is the state of every case, in the order they were opened.
func (l *Ledger) Cases() []Case {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.snapshot()
}

// Events are the ledger's events so far.
func (l *Ledger) Events() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return cloneEvents(l.events)
}

// EventsSince are the ledger's events after the first n (none if n is
// past the end).
func (l *Ledger) EventsSince(n int) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return cloneEvents(l.events[min(max(n, 0), len(l.events)):])
}

// Path is the ledger file's path.
func (l *Ledger) Path() string { return l.path }

// Close closes the file. Appends after Close fail.
func (l *Ledger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ID is the ledger's id (Event.Ledger): every case key of this ledger is
// derived with it.
func (l *Ledger) ID() string { return l.id }
