package caseledger

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
)

// Mirror is a verified copy of a ledger that another process writes,
// grown one line at a time: what a gateway replica that does not hold
// the ledger serves its cases from. Every line is checked as Parse checks
// a file (canonical form, sequence, chain, signature, replay) before it
// is kept, so a replica serves only what the ledger's signer decided.
// It is safe for concurrent use.
type Mirror struct {
	mu     sync.Mutex
	pub    ed25519.PublicKey
	events []Event
	st     *state
}

// NewMirror is an empty mirror of a ledger signed with pub.
func NewMirror(pub ed25519.PublicKey) (*Mirror, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("case ledger mirror: the ledger's public key is required")
	}
	return &Mirror{pub: pub, st: newState()}, nil
}

// Add checks a ledger line (without its newline) against the lines
// before it and keeps it. A line that does not follow (wrong sequence,
// chain, signature, or a decision the cases so far refuse) is refused
// and the mirror is unchanged.
func (m *Mirror) Add(line []byte) (Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.events) + 1
	if n > MaxEvents {
		return Event{}, fmt.Errorf("case ledger mirror: more than %d events", MaxEvents)
	}
	if len(line) > MaxLine {
		return Event{}, fmt.Errorf("case ledger mirror: event %d: line longer than %d bytes", n, MaxLine)
	}
	e, err := m.st.accept(line, m.events, m.pub)
	if err != nil {
		return Event{}, fmt.Errorf("case ledger mirror: event %d: %w", n, err)
	}
	m.events = append(m.events, e)
	return e, nil
}

// Len is how many events the mirror holds.
func (m *Mirror) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.events)
}

// Events are the mirrored events so far.
func (m *Mirror) Events() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return cloneEvents(m.events)
}

// Cases is the state of every case mirrored so far.
func (m *Mirror) Cases() []Case {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.snapshot()
}

// ID is the mirrored ledger's id ("" before its first event).
func (m *Mirror) ID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.events) == 0 {
		return ""
	}
	return m.events[0].Ledger
}

// Line is an event's line in the ledger (without the newline): what a
// Mirror reads.
func (e Event) Line() ([]byte, error) { return e.marshal() }
