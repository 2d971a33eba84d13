package probe

import (
	"errors"
	"fmt"
	"io"
	"os"

	"forensics/internal/jsonl"
)

// maxLine bounds one transcript line: a response of maxResponse bytes, JSON
// escaped, plus the request.
const maxLine = 6 * maxResponse

// readLines calls fn for each non-blank line of a file, with its number,
// and stops at the first error.
func readLines(path string, fn func(line int, raw []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := jsonl.NewReader(f, maxLine)
	for {
		raw, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(r.Line(), raw); err != nil {
			return err
		}
	}
}

// errLine is an error about one line of a named file.
func errLine(file string, line int, format string, args ...any) error {
	return fmt.Errorf("%s line %d: %s", file, line, fmt.Sprintf(format, args...))
}
