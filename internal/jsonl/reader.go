// Package jsonl reads newline-delimited records from untrusted input in
// bounded memory: a line longer than the limit is reported and skipped, not
// buffered, so one bad line can neither exhaust memory nor end the stream.
package jsonl

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrLineTooLong is wrapped by the error Next returns for an over-long line.
var ErrLineTooLong = errors.New("line too long")

// LineError is a problem with one line; reading can go on after it.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Reader yields the non-blank lines of a stream, without their line ending
// ("\n" or "\r\n").
type Reader struct {
	r     *bufio.Reader
	max   int
	line  int
	buf   []byte
	ended bool
}

// NewReader reads lines of at most maxLine bytes (without the line ending).
func NewReader(r io.Reader, maxLine int) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), max: maxLine}
}

// Line returns the 1-based number of the line Next returned last.
func (r *Reader) Line() int { return r.line }

// Next returns the next non-blank line; the slice is valid until the next
// call. It returns io.EOF at the end, a *LineError wrapping ErrLineTooLong
// for a line over the limit (the line is skipped; call Next again), and any
// other error from the underlying reader as is.
func (r *Reader) Next() ([]byte, error) {
	for {
		if r.ended {
			return nil, io.EOF
		}
		r.line++
		r.buf = r.buf[:0]
		tooLong := false
		for {
			chunk, err := r.r.ReadSlice('\n')
			if !tooLong {
				if len(r.buf)+len(chunk) > r.max+2 { // +2: room for "\r\n"
					tooLong = true
					r.buf = r.buf[:0]
				} else {
					r.buf = append(r.buf, chunk...)
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				r.ended = true
				break
			}
			if err != nil {
				return nil, err
			}
			break
		}
		if tooLong {
			return nil, &LineError{Line: r.line, Err: fmt.Errorf("%w (limit %d bytes)", ErrLineTooLong, r.max)}
		}
		line := bytes.TrimSuffix(bytes.TrimSuffix(r.buf, []byte("\n")), []byte("\r"))
		if len(line) > r.max {
			return nil, &LineError{Line: r.line, Err: fmt.Errorf("%w (limit %d bytes)", ErrLineTooLong, r.max)}
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if r.ended {
				return nil, io.EOF
			}
			continue
		}
		return line, nil
	}
}

// Uncompressed returns what r holds, gunzipped when it starts with the
// gzip magic bytes (rotated logs are compressed; live ones are not). Close
// the returned closer when done.
func Uncompressed(r io.Reader) (io.Reader, io.Closer, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, zr, nil
	}
	return br, io.NopCloser(nil), nil
}

// ReadFile reads a whole file, gunzipped if it is gzip (small files: logs
// in tests, side files).
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	in, closer, err := Uncompressed(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer closer.Close()
	return io.ReadAll(in)
}

// MarshalLine encodes v as one JSON line without its newline: encoding/json
// with HTML characters unescaped ("<" would take six bytes), the encoding
// the request log and the case ledger hash.
func MarshalLine(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
