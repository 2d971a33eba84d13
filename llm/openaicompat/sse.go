package openaicompat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxEvent bounds one server-sent event's data. A chunk of one
// token with 20 candidates is about 2 KiB; 1 MiB leaves room for engines
// that batch many tokens into one chunk and for long special tokens.
const DefaultMaxEvent = 1 << 20

// errEventTooLong is readEvents' error for an event over the bound.
var errEventTooLong = errors.New("server-sent event too long")

// readEvents reads a text/event-stream body and calls fn with each event's
// data: its "data" lines joined by "\n", as the EventSource algorithm of
// the HTML standard does. Other fields and comments are ignored, and an
// event cut off by the end of the body is dropped (the caller tells a lost
// stream by the completion it never saw). Memory is bounded by max bytes
// of data per event, whatever the body: a line is read in pieces of the
// reader's buffer and its bytes past max are never kept.
func readEvents(r io.Reader, max int, fn func(data []byte) error) error {
	// A buffer no larger than an event needs (bufio's least is 16).
	br := bufio.NewReaderSize(r, min(16<<10, max+2))
	var data []byte
	pending := false // a data field was seen in the current event
	for {
		line, err := readLine(br, max)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if len(line) == 0 {
			if pending {
				if err := fn(data); err != nil {
					return err
				}
			}
			data, pending = data[:0], false
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		if string(field) != "data" {
			continue // a comment (":…"), or event/id/retry: unused here
		}
		value = bytes.TrimPrefix(value, []byte(" "))
		if pending {
			data = append(data, '\n')
		}
		if len(data)+len(value) > max {
			return fmt.Errorf("%w (over %d bytes)", errEventTooLong, max)
		}
		data, pending = append(data, value...), true
	}
}

// readLine returns the next line without its "\n" or "\r\n", at most max
// bytes of it kept (a longer line is errEventTooLong); the returned slice
// is valid until the next call. A last line without its newline counts as
// cut off: io.EOF.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == nil {
		return trimEOL(line), nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, err
	}
	long := append([]byte(nil), line...)
	for {
		line, err = br.ReadSlice('\n')
		if len(long)+len(line) > max+2 {
			return nil, fmt.Errorf("%w (a line over %d bytes)", errEventTooLong, max)
		}
		long = append(long, line...)
		switch {
		case err == nil:
			return trimEOL(long), nil
		case !errors.Is(err, bufio.ErrBufferFull):
			return nil, err
		}
	}
}

func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}
