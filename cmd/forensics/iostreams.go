package main

import (
	"io"
	"os"

	"golang.org/x/term"
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

func systemStreams() *ioStreams {
	return &ioStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}
