package logscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

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
// their magic bytes) to fn, in file order. A malformed line is counted and
// skipped, never fatal; if no line of a non-empty input parses, the layout
// is reported as wrong. progress, if set, is told how many bytes were
// read. (Scanner.ReadLogs is the same read on all cores.)
func Read(ctx context.Context, paths []string, layout Layout, fn func(Record) error, progress func(int64)) (ReadStats, error) {
	p := newParser(layout.withDefaults(), 1)
	var st ReadStats
	_, err := readBatches(ctx, paths, progress, func(b *rawBatch) error {
		pb := p.parse(b)
		st.merge(pb.stats)
		for _, r := range pb.shards[0] {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	return st, st.noneRead()
}

// noneRead is the error of a read where lines were malformed and none
// was read: the layout does not fit the log.
func (st *ReadStats) noneRead() error {
	if st.Records == 0 && st.Malformed > 0 {
		first := st.Examples[0]
		return fmt.Errorf("no line of %d could be read with this field mapping (first: %s line %d: %s); check the config's fields", st.Lines, first.File, first.Line, first.Err)
	}
	return nil
}

func (st *ReadStats) bad(file string, line int, msg string) {
	st.Malformed++
	if len(st.Examples) < maxExamples {
		st.Examples = append(st.Examples, BadLine{File: file, Line: line, Err: msg})
	}
}

// merge adds the statistics of the next stretch of the logs.
func (st *ReadStats) merge(b ReadStats) {
	st.Lines += b.Lines
	st.Records += b.Records
	st.Malformed += b.Malformed
	st.Events += b.Events
	for _, e := range b.Examples {
		if len(st.Examples) < maxExamples {
			st.Examples = append(st.Examples, e)
		}
	}
}

type countingReader struct {
	r        io.Reader
	progress func(int64)
	n        int64 // bytes read
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(int64(n))
	}
	return n, err
}

// rawBatch is a run of consecutive lines of one file, copied out of the
// reader's buffer.
type rawBatch struct {
	file  string
	buf   []byte // the lines back to back
	lines []rawLine
}

type rawLine struct {
	no  int    // line number in its file
	end int    // where the line ends in buf (it starts where the previous one ends)
	err string // why the reader could not read it (a line over MaxLine)
}

// batches recycles raw batches: the parser copies what it keeps.
var batches = sync.Pool{New: func() any { return &rawBatch{} }}

// readBatches cuts the files into batches of lines and passes each to
// emit, in order; emit owns the batch (and may put it back in batches).
// It returns what it read of each file (replayread.go).
func readBatches(ctx context.Context, paths []string, progress func(int64), emit func(*rawBatch) error) ([]fileRead, error) {
	var files []fileRead
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			return files, err
		}
		fr, err := readFileBatches(ctx, path, progress, emit)
		files = append(files, fr)
		if err != nil {
			return files, err
		}
	}
	return files, nil
}

func readFileBatches(ctx context.Context, path string, progress func(int64), emit func(*rawBatch) error) (fileRead, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileRead{path: path}, fmt.Errorf("open log: %w", err)
	}
	defer f.Close()
	info, _ := f.Stat() // nil: unknown, and not read again
	c := &countingReader{r: f, progress: progress}
	err = readerBatches(ctx, path, c, emit)
	return fileRead{path: path, info: info, bytes: c.n}, err
}

// readerBatches cuts one file's bytes, from r, into batches.
func readerBatches(ctx context.Context, path string, r io.Reader, emit func(*rawBatch) error) error {
	in, closer, err := jsonl.Uncompressed(r)
	if err != nil {
		return fmt.Errorf("open log %s: %w", path, err)
	}
	defer closer.Close()
	lines := jsonl.NewReader(in, MaxLine)
	b := newRawBatch(path)
	for {
		line, err := lines.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var le *jsonl.LineError
		switch {
		case errors.As(err, &le):
			b.lines = append(b.lines, rawLine{no: le.Line, end: len(b.buf), err: le.Err.Error()})
		case err != nil:
			return fmt.Errorf("read log %s: %w", path, err)
		default:
			b.buf = append(b.buf, line...)
			b.lines = append(b.lines, rawLine{no: lines.Line(), end: len(b.buf)})
		}
		if len(b.lines) >= batchLines || len(b.buf) >= batchBytes {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := emit(b); err != nil {
				return err
			}
			b = newRawBatch(path)
		}
	}
	if len(b.lines) == 0 {
		recycle(b)
		return nil
	}
	return emit(b)
}

// recycle puts a batch back in the pool, unless a long line made it big.
func recycle(b *rawBatch) {
	if cap(b.buf) <= 2*batchBytes {
		batches.Put(b)
	}
}

func newRawBatch(file string) *rawBatch {
	b := batches.Get().(*rawBatch)
	b.file, b.buf, b.lines = file, b.buf[:0], b.lines[:0]
	return b
}

// parser turns raw batches into records, split by shard.
type parser struct {
	layout Layout
	names  logline.Interner
	shards int
}

// parsedBatch is a batch's records for each shard, in file order, and
// its statistics.
type parsedBatch struct {
	stats  ReadStats
	shards [][]Record
}

type parseJob struct {
	batch *rawBatch
	done  chan<- *parsedBatch
}

func newParser(layout Layout, shards int) *parser {
	return &parser{layout: layout, names: logline.Interner{}, shards: shards}
}

// parse reads a batch's lines and recycles the batch.
func (p *parser) parse(b *rawBatch) *parsedBatch {
	out := &parsedBatch{shards: make([][]Record, p.shards)}
	st := &out.stats
	start := 0
	for _, l := range b.lines {
		line := b.buf[start:l.end]
		start = l.end
		st.Lines++
		if l.err != "" {
			st.bad(b.file, l.no, l.err)
			continue
		}
		rec, err := p.layout.parse(line, p.names)
		if errors.Is(err, ErrLogEvent) {
			st.Events++
			continue
		}
		if err != nil {
			st.bad(b.file, l.no, err.Error())
			continue
		}
		rec.Line = l.no
		st.Records++
		i := 0
		if p.shards > 1 {
			i = shardOf(rec.Account, p.shards)
		}
		out.shards[i] = append(out.shards[i], rec)
	}
	recycle(b)
	return out
}
