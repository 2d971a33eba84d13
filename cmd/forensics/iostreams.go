package main

import (
	"io"
	"os"

	"golang.org/x/term"

	"forensics/internal/termsafe"
)

// ioStreams is where a command reads and writes; tests substitute buffers.
type ioStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// ErrTTY reports whether ErrOut is a terminal, which decides whether
	// progress bars are drawn.
	ErrTTY bool
}

// jsonOut wraps w for JSON from encoding/json: every Write must be whole
// values (as json.Encoder's are), whose strings then carry the characters
// a terminal would act on as \u escapes (termsafe.JSON); the values are
// unchanged.
func jsonOut(w io.Writer) io.Writer { return safeJSONWriter{w} }

type safeJSONWriter struct{ w io.Writer }

func (s safeJSONWriter) Write(p []byte) (int, error) {
	if _, err := s.w.Write(termsafe.JSON(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func systemStreams() *ioStreams {
	return &ioStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}
