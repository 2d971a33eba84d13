package reqlog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"
)

// Options configure a Writer.
type Options struct {
	// Path is the live log file; archives and the checkpoint side file sit
	// beside it.
	Path string
	// MaxBytes rotates the file before it would grow past this (0: never).
	MaxBytes int64
	// Compress gzips archives after rotation.
	Compress bool
	// RetentionDays deletes archives older than this many days at
	// rotation (0: keep every file).
	RetentionDays int
	// CheckpointEvery writes a checkpoint this often, also when idle, so
	// that the log shows it was alive (0: only at rotation and Close).
	CheckpointEvery time.Duration
	// Signer signs checkpoints (nil: checkpoints carry the hash only).
	Signer ed25519.PrivateKey
	// Logger receives the writer's failures and recoveries (nil: discard).
	Logger *slog.Logger
	// MaxPending is how many lines are held in memory while writes fail
	// (default 4096), MaxPendingBytes how many bytes (default 64 MiB);
	// lines beyond either are lost and recorded as a gap.
	MaxPending      int
	MaxPendingBytes int
	// Opened adds fields to the "opened" event (the tool's version, say).
	Opened map[string]any
	// Checkpoint adds fields to every checkpoint line (the build that
	// wrote it); verification reads only the chain and signature fields.
	Checkpoint map[string]any
	// Now is the clock (default time.Now).
	Now func() time.Time

	// openFile opens the live file for appending (tests inject faults).
	openFile func(path string) (file, error)
}

// file is what the writer needs of an *os.File.
type file interface {
	io.Writer
	Sync() error
	Close() error
	Truncate(size int64) error
	Stat() (os.FileInfo, error)
}

// MaxLine bounds one line as the writer's readers accept it.
const MaxLine = 16 << 20

const (
	defaultMaxPending      = 4096
	defaultMaxPendingBytes = 64 << 20
	maxGapAccounts         = 64
)

// Writer appends lines to the log. It is safe for concurrent use.
type Writer struct {
	o Options

	mu       sync.Mutex
	f        file
	size     int64            // bytes of whole lines in the live file
	seq      uint64           // seq of the last line on disk
	prev     [32]byte         // SHA-256 of the last line on disk
	torn     []byte           // a partly written line that could not be cut off
	pending  [][]byte         // lines not yet written, oldest first
	pendingN int              // their bytes
	lost     int64            // lines dropped since the last gap event
	lostBy   map[string]int64 // …by account (up to maxGapAccounts)
	lostFrom time.Time
	lostTo   time.Time
	lostAll  int64 // lines dropped over the writer's life
	failing  error
	since    time.Time // when writes started failing
	dirty    bool      // written since the last fsync
	lastCP   time.Time
	closed   bool

	stop chan struct{}
	done chan struct{}
	bg   sync.WaitGroup // archive compression and retention
}

// Open opens (or creates) the log at o.Path and resumes its chain, and
// writes an "opened" event.
func Open(o Options) (*Writer, error) {
	if o.Path == "" {
		return nil, errors.New("request log: no path")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxPending <= 0 {
		o.MaxPending = defaultMaxPending
	}
	if o.MaxPendingBytes <= 0 {
		o.MaxPendingBytes = defaultMaxPendingBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.openFile == nil {
		o.openFile = func(path string) (file, error) {
			return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		}
	}
	w := &Writer{o: o, stop: make(chan struct{}), done: make(chan struct{})}
	if err := w.resume(); err != nil {
		return nil, err
	}
	w.lastCP = o.Now()
	ev := map[string]any{"event": "opened"}
	for k, v := range o.Opened {
		ev[k] = v
	}
	if err := w.appendEvent(ev); err != nil {
		w.f.Close()
		return nil, fmt.Errorf("request log %s: %w", o.Path, err)
	}
	go w.loop()
	return w, nil
}

// resume finds where the chain stands in an existing file (finishing an
// interrupted rotation first) and opens it for appending.
func (w *Writer) resume() error {
	path := w.o.Path
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(path + ".new"); err == nil {
			// A rotation stopped between its two renames.
			if err := os.Rename(path+".new", path); err != nil {
				return fmt.Errorf("request log: finish rotation: %w", err)
			}
		}
	}
	last, frag, err := readTail(path)
	if err != nil {
		return fmt.Errorf("request log %s: %w", path, err)
	}
	if last != nil {
		seq, ok := lineSeq(last)
		if !ok {
			// A log written before lines were chained: archive it whole
			// and start a chain in a new file.
			if err := os.Rename(path, w.archiveName("legacy")); err != nil {
				return fmt.Errorf("request log: archive unchained log: %w", err)
			}
			last, frag = nil, nil
		} else {
			w.seq, w.prev = seq, sha256.Sum256(last)
		}
	}
	f, err := w.o.openFile(path)
	if err != nil {
		return fmt.Errorf("open request log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open request log: %w", err)
	}
	w.f, w.size = f, st.Size()
	if frag != nil {
		// The previous process died inside a write: end the fragment so
		// it stays a line of its own (verify-log reports it as torn).
		w.torn = frag
		w.size -= int64(len(frag))
		if err := w.endTornLocked(false); err != nil {
			f.Close()
			return fmt.Errorf("request log %s: end torn line: %w", path, err)
		}
	}
	return nil
}

// Append writes one line: a JSON object without its newline. The writer
// adds "seq" and "prev". An error means the line is not on disk yet; it
// is kept and retried unless the writer is closed or its queue is full
// (then it is counted as lost).
func (w *Writer) Append(line []byte) error {
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return errors.New("request log: a line must be one JSON object")
	}
	if len(line) > MaxLine-256 {
		return fmt.Errorf("request log: a line of %d bytes is over the %d the log's readers take", len(line), MaxLine-256)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("request log is closed")
	}
	if w.failing != nil || len(w.pending) > 0 {
		w.queueLocked(line)
		return fmt.Errorf("request log failing: %w", w.failing)
	}
	if err := w.writeLocked(line); err != nil {
		w.queueLocked(line)
		return err
	}
	return nil
}

// Failing reports whether writes are failing now (lines wait in memory).
func (w *Writer) Failing() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failing != nil
}

// Healthy is nil while lines reach the disk, and otherwise says since when
// they do not and how many wait or were lost.
func (w *Writer) Healthy() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failing == nil {
		return nil
	}
	return fmt.Errorf("request log failing since %s (%d lines waiting, %d lost): %w",
		w.since.UTC().Format(time.RFC3339), len(w.pending), w.lostAll, w.failing)
}

// Close writes what is pending and a final checkpoint, syncs and closes.
// It fails if any line was lost or could not be written.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	w.bg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	w.retryLocked()
	if w.failing == nil {
		if err := w.checkpointLocked(); err != nil {
			w.failLocked(err)
		}
	}
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	var errs []error
	if err != nil {
		errs = append(errs, fmt.Errorf("close request log: %w", err))
	}
	if n := len(w.pending); n > 0 {
		errs = append(errs, fmt.Errorf("%d request-log lines could not be written: %v", n, w.failing))
	}
	if w.lostAll > 0 {
		errs = append(errs, fmt.Errorf("%d request-log lines were lost while the log was failing", w.lostAll))
	}
	return errors.Join(errs...)
}

// loop syncs every second, retries failed writes and writes checkpoints.
func (w *Writer) loop() {
	defer close(w.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.mu.Lock()
			w.retryLocked()
			if w.failing == nil && w.dirty {
				if err := w.f.Sync(); err != nil {
					w.failLocked(fmt.Errorf("fsync: %w", err))
				}
				w.dirty = false
			}
			// Idle or not: a checkpoint every interval shows the log was
			// alive and writing through it, which the probe's relay check
			// needs (a line after the probe ends) and a reader of a quiet
			// log otherwise cannot tell from a stopped gateway.
			if w.failing == nil && w.o.CheckpointEvery > 0 && w.o.Now().Sub(w.lastCP) >= w.o.CheckpointEvery {
				if err := w.checkpointLocked(); err != nil {
					w.failLocked(err)
				}
			}
			w.mu.Unlock()
		}
	}
}

// queueLocked keeps a line for later, or counts it lost when the queue is
// full.
func (w *Writer) queueLocked(line []byte) {
	if len(w.pending) >= w.o.MaxPending || w.pendingN+len(line) > w.o.MaxPendingBytes {
		now := w.o.Now()
		if w.lost == 0 {
			w.lostFrom = now
			w.lostBy = map[string]int64{}
		}
		w.lost++
		w.lostAll++
		w.lostTo = now
		// Whose lines were lost goes into the gap event.
		var who struct {
			Account string `json:"account"`
		}
		json.Unmarshal(line, &who)
		if _, ok := w.lostBy[who.Account]; ok || len(w.lostBy) < maxGapAccounts {
			w.lostBy[who.Account]++
		}
		return
	}
	w.pending = append(w.pending, bytes.Clone(line))
	w.pendingN += len(line)
}

// retryLocked writes what waits, in order, when the disk takes it again.
func (w *Writer) retryLocked() {
	if w.failing == nil && len(w.pending) == 0 && w.lost == 0 {
		return
	}
	if w.torn != nil {
		if err := w.endTornLocked(true); err != nil {
			w.failLocked(err)
			return
		}
	}
	for len(w.pending) > 0 {
		if err := w.writeLocked(w.pending[0]); err != nil {
			return
		}
		w.pendingN -= len(w.pending[0])
		w.pending[0] = nil
		w.pending = w.pending[1:]
	}
	if w.lost > 0 {
		ev := map[string]any{"ts": w.o.Now().UTC().Format(time.RFC3339Nano), "event": "gap", "lost": w.lost,
			"from": w.lostFrom.UTC().Format(time.RFC3339Nano), "to": w.lostTo.UTC().Format(time.RFC3339Nano), "accounts": w.lostBy}
		b, _ := json.Marshal(ev)
		if err := w.writeLocked(b); err != nil {
			return
		}
		w.lost = 0
	}
	if w.failing != nil {
		w.o.Logger.Warn("request log writes again", "path", w.o.Path, "failing_since", w.since, "lost", w.lostAll)
		w.failing = nil
	}
}

func (w *Writer) failLocked(err error) {
	if w.failing == nil {
		w.since = w.o.Now()
		w.o.Logger.Error("request log write failed; requests are not being logged", "path", w.o.Path, "err", err)
	}
	w.failing = err
}

// writeLocked chains one line and writes it, rotating first if due.
func (w *Writer) writeLocked(line []byte) error {
	rec := chain(line, w.seq+1, w.prev)
	if w.o.MaxBytes > 0 && w.size > 0 && w.size+int64(len(rec))+1 > w.o.MaxBytes {
		if err := w.rotateLocked(); err != nil {
			// Keep logging to the full file rather than not at all.
			w.o.Logger.Error("request log rotation failed", "path", w.o.Path, "err", err)
		}
		rec = chain(line, w.seq+1, w.prev)
	}
	return w.writeRecLocked(rec)
}

// writeRecLocked writes an already chained line and advances the chain.
func (w *Writer) writeRecLocked(rec []byte) error {
	buf := append(rec, '\n')
	n, err := w.f.Write(buf)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		if n > 0 {
			// Cut the partial line off again; if that fails too, it is
			// ended with a newline before the next write.
			if terr := w.f.Truncate(w.size); terr != nil {
				w.torn = bytes.Clone(buf[:n])
			}
		}
		err = fmt.Errorf("write request log: %w", err)
		w.failLocked(err)
		return err
	}
	w.size += int64(n)
	w.seq++
	w.prev = sha256.Sum256(rec)
	w.dirty = true
	return nil
}

// endTornLocked ends a partly written line with a newline so that it
// stays a line of its own, and chains it. With retryCut it first tries to
// cut it off instead.
func (w *Writer) endTornLocked(retryCut bool) error {
	if retryCut {
		if err := w.f.Truncate(w.size); err == nil {
			w.torn = nil
			return nil
		}
	}
	if _, err := w.f.Write([]byte{'\n'}); err != nil {
		return fmt.Errorf("end torn request-log line: %w", err)
	}
	w.size += int64(len(w.torn)) + 1
	w.seq++
	w.prev = sha256.Sum256(w.torn)
	w.torn = nil
	w.dirty = true
	return nil
}

// appendEvent writes an event line now (Open, rotation, Close).
func (w *Writer) appendEvent(ev map[string]any) error {
	if _, ok := ev["ts"]; !ok {
		ev["ts"] = w.o.Now().UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return w.writeRecLocked(chain(b, w.seq+1, w.prev))
}

// checkpointLocked writes a checkpoint line, to the log and to the side
// file.
func (w *Writer) checkpointLocked() error {
	ts := w.o.Now().UTC().Format(time.RFC3339Nano)
	seq := w.seq + 1
	ev := map[string]any{}
	for k, v := range w.o.Checkpoint {
		ev[k] = v
	}
	ev["ts"], ev["event"] = ts, "checkpoint"
	if w.o.Signer != nil {
		ev["signer"] = base64.StdEncoding.EncodeToString(w.o.Signer.Public().(ed25519.PublicKey))
		ev["sig"] = base64.StdEncoding.EncodeToString(ed25519.Sign(w.o.Signer, CheckpointMessage(seq, w.prev, ts)))
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	rec := chain(b, seq, w.prev)
	if err := w.writeRecLocked(rec); err != nil {
		return err
	}
	w.lastCP = w.o.Now()
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("fsync request log: %w", err)
	}
	w.dirty = false
	side, err := os.OpenFile(w.o.Path+".checkpoints", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		w.o.Logger.Error("request log: checkpoint side file", "err", err)
		return nil // the checkpoint is in the log; the side file is a copy
	}
	defer side.Close()
	if _, err := side.Write(append(rec, '\n')); err != nil {
		w.o.Logger.Error("request log: checkpoint side file", "err", err)
		return nil
	}
	side.Sync()
	w.o.Logger.Info("request log checkpoint", "seq", seq, "prev", hex.EncodeToString(w.prev[:]))
	return nil
}

// CheckpointMessage is what a checkpoint's signature covers.
func CheckpointMessage(seq uint64, prev [32]byte, ts string) []byte {
	return []byte("forensics-log-checkpoint-v1\n" + strconv.FormatUint(seq, 10) + "\n" + hex.EncodeToString(prev[:]) + "\n" + ts + "\n")
}

// chain puts "seq" and "prev" at the front of a JSON object.
func chain(line []byte, seq uint64, prev [32]byte) []byte {
	out := make([]byte, 0, len(line)+96)
	out = append(out, `{"seq":`...)
	out = strconv.AppendUint(out, seq, 10)
	out = append(out, `,"prev":"`...)
	out = hex.AppendEncode(out, prev[:])
	out = append(out, '"')
	if rest := bytes.TrimSpace(line[1:]); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, line[1:]...)
}

// lineSeq reads the seq a chained line starts with.
func lineSeq(line []byte) (uint64, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"seq":`))
	if !ok {
		return 0, false
	}
	end := bytes.IndexByte(rest, ',')
	if end < 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(rest[:end]), 10, 64)
	return v, err == nil
}

// readTail returns the last whole line of a file (nil if none) and the
// bytes after it when the file does not end with a newline (a torn write).
func readTail(path string) (last, frag []byte, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := st.Size()
	if size == 0 {
		return nil, nil, nil
	}
	// Read back far enough to hold two line ends: a line is at most MaxLine.
	n := min(size, 2*MaxLine+2)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, size-n); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	end := len(buf)
	if buf[end-1] != '\n' {
		i := bytes.LastIndexByte(buf, '\n')
		frag = bytes.Clone(buf[i+1:])
		end = i + 1
		if i < 0 {
			return nil, frag, nil
		}
	}
	body := buf[:end-1] // without the final newline
	start := bytes.LastIndexByte(body, '\n') + 1
	if start == 0 && n < size {
		return nil, nil, fmt.Errorf("last line longer than %d bytes", MaxLine)
	}
	return bytes.Clone(body[start:]), frag, nil
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
