package caseledger

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// Bounds on what Parse reads: a ledger is small (one line per case
// decision), so anything near these is not a ledger.
const (
	MaxLine   = 1 << 20 // bytes of one line, newline excluded
	MaxEvents = 1_000_000
)

// ErrTruncated is wrapped by the error for a last line without its
// newline: a write cut short (a crash or a full disk mid-append). The
// events before it verify; the cut event was never acknowledged (Append
// returns only after the whole line is fsynced), so nothing served
// depended on it. LineError.Offset says where to cut the file.
var ErrTruncated = errors.New("last line is incomplete (no newline): a write was cut short")

// LineError is a problem at one line of a ledger.
type LineError struct {
	Line   int   // 1-based
	Offset int64 // byte offset of the line's start
	Err    error
}

func (e *LineError) Error() string {
	if errors.Is(e.Err, ErrTruncated) {
		return fmt.Sprintf("ledger line %d: %v; the %d events before it verify: to resume, cut the file at byte %d (truncate -s %d FILE) after keeping a copy", e.Line, e.Err, e.Line-1, e.Offset, e.Offset)
	}
	return fmt.Sprintf("ledger line %d: %v", e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// Parse reads a ledger and checks, line by line, that each line is the
// canonical encoding of its event, its format, sequence number, time
// order, hash and link to the line before, and (pub != nil) its signature;
// then that the events replay (Replay). The first problem is returned as
// a *LineError. It reads at most MaxEvents lines of at most MaxLine bytes.
func Parse(r io.Reader, pub ed25519.PublicKey) ([]Event, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var events []Event
	var offset int64
	st := newState()
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF {
			return events, nil
		}
		lineErr := func(err error) error { return &LineError{Line: n, Offset: offset, Err: err} }
		if err != nil {
			return nil, lineErr(err)
		}
		if n > MaxEvents {
			return nil, lineErr(fmt.Errorf("more than %d events", MaxEvents))
		}
		e, err := st.accept(line, events, pub)
		if err != nil {
			return nil, lineErr(err)
		}
		events = append(events, e)
		offset += int64(len(line)) + 1
	}
}

// accept checks a line as the one after events (canonical form, chain,
// and with pub its signature) and applies it to the cases; a refused line
// changes nothing.
func (st *state) accept(line []byte, events []Event, pub ed25519.PublicKey) (Event, error) {
	e, err := parseLine(line)
	if err != nil {
		return e, err
	}
	var prev *Event
	if len(events) > 0 {
		prev = &events[len(events)-1]
	}
	if err := e.checkChain(prev); err != nil {
		return e, err
	}
	if pub != nil {
		if err := e.verifySig(pub); err != nil {
			return e, err
		}
	}
	return e, st.apply(e)
}

// cloneEvents is a deep copy of events, for callers outside the lock.
func cloneEvents(events []Event) []Event {
	out := slices.Clone(events)
	for i := range out {
		out[i].Accounts = slices.Clone(out[i].Accounts)
	}
	return out
}

// readLine reads one line without its newline, up to MaxLine bytes. It
// returns io.EOF at the end of the input, ErrTruncated for a last line
// without a newline.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > MaxLine+1 {
			return nil, fmt.Errorf("line longer than %d bytes", MaxLine)
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(line) == 0:
			return nil, io.EOF
		case err == io.EOF:
			return nil, ErrTruncated
		default:
			return nil, err
		}
	}
}

// parseLine decodes a line and requires it to be its event's canonical
// encoding.
func parseLine(line []byte) (Event, error) {
	var e Event
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("not an event: %w", err)
	}
	canon, err := e.marshal()
	if err != nil {
		return e, err
	}
	if !bytes.Equal(canon, line) {
		return e, errors.New("not in canonical form (fields, order, spacing or escaping differ from encoding/json of the event)")
	}
	return e, nil
}

// ReadFile parses the ledger at path (see Parse).
func ReadFile(path string, pub ed25519.PublicKey) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	events, err := Parse(f, pub)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return events, nil
}

// Head is the Hash of the last event, "" if none: what a report quotes to
// pin the ledger it read.
func Head(events []Event) string {
	if len(events) == 0 {
		return ""
	}
	return events[len(events)-1].Hash
}
