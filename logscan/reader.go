package logscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"forensics/internal/jsonl"
	"forensics/logline"
)

// MaxLine bounds one log line (a request with a long prompt); the same as
// the gateway's log writer (reqlog.MaxLine), so that every line it writes
// is read.
const MaxLine = 16 << 20

// BadLine is a line that could not be read, kept as evidence of why.
type BadLine struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Err  string `json:"error"`
}

// ReadStats summarises a pass over the logs.
type ReadStats struct {
	Lines     int       `json:"lines"`
	Records   int       `json:"records"`
	Malformed int       `json:"malformed"`
	Events    int       `json:"log_events"`                   // lines the log writer added (checkpoints, rotations, gaps)
	Examples  []BadLine `json:"malformed_examples,omitempty"` // the first few
}

const maxExamples = 5

// Read streams the records of the given files (plain or gzip, detected by
// their magic bytes) to fn. A malformed line is counted and skipped, never
// fatal; if no line of a non-empty input parses, the layout is reported as
// wrong. progress, if set, is told how many bytes were read.
func Read(ctx context.Context, paths []string, layout Layout, fn func(Record) error, progress func(int64)) (ReadStats, error) {
	layout = layout.withDefaults()
	var st ReadStats
	for _, path := range paths {
		if err := readFile(ctx, path, layout, fn, progress, &st); err != nil {
			return st, err
		}
	}
	if st.Records == 0 && st.Malformed > 0 {
		first := st.Examples[0]
		return st, fmt.Errorf("no line of %d could be read with this field mapping (first: %s line %d: %s); check the config's fields", st.Lines, first.File, first.Line, first.Err)
	}
	return st, nil
}

type countingReader struct {
	r        io.Reader
	progress func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.progress != nil && n > 0 {
		c.progress(int64(n))
	}
	return n, err
}

func readFile(ctx context.Context, path string, layout Layout, fn func(Record) error, progress func(int64), st *ReadStats) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	defer f.Close()
	in, closer, err := jsonl.Uncompressed(&countingReader{r: f, progress: progress})
	if err != nil {
		return fmt.Errorf("open log %s: %w", path, err)
	}
	defer closer.Close()
	r := jsonl.NewReader(in, MaxLine)
	names := logline.Interner{}
	for {
		if st.Lines%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		st.Lines++
		var le *jsonl.LineError
		if errors.As(err, &le) {
			st.bad(path, le.Line, le.Err.Error())
			continue
		}
		if err != nil {
			return fmt.Errorf("read log %s: %w", path, err)
		}
		rec, perr := layout.parse(line, names)
		if errors.Is(perr, ErrLogEvent) {
			st.Events++
			continue
		}
		if perr != nil {
			st.bad(path, r.Line(), perr.Error())
			continue
		}
		rec.Line = r.Line()
		st.Records++
		if err := fn(rec); err != nil {
			return err
		}
	}
}

func (st *ReadStats) bad(file string, line int, msg string) {
	st.Malformed++
	if len(st.Examples) < maxExamples {
		st.Examples = append(st.Examples, BadLine{File: file, Line: line, Err: msg})
	}
}
