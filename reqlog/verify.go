package reqlog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"forensics/internal/buildinfo"
	"forensics/internal/jsonl"
)

// VerifyOptions say what a log is checked against.
type VerifyOptions struct {
	// Pub pins the checkpoint signer (nil: any signer, reported).
	Pub ed25519.PublicKey
	// Checkpoints is a copy of the side file kept elsewhere: every
	// checkpoint in it must be in the log, byte for byte.
	Checkpoints string
}

// Location is a line of one file.
type Location struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

// Problem is a place where the log is not what it claims to be.
type Problem struct {
	Location
	Msg string `json:"problem"`
}

// Gap is a span of requests that the gateway could not log.
type Gap struct {
	Location
	Lost int64  `json:"lost"`
	From string `json:"from"`
	To   string `json:"to"`
	// Accounts counts the lost lines by account ("" for unauthenticated).
	Accounts map[string]int64 `json:"accounts,omitempty"`
}

// Report is what Verify found.
type Report struct {
	Files    []string `json:"files"`
	Lines    int      `json:"lines"`
	Events   int      `json:"events"`
	FirstSeq uint64   `json:"first_seq"`
	LastSeq  uint64   `json:"last_seq"`
	// First and Last are the earliest and latest line times (records and
	// the writer's events: checkpoints are written every interval, idle
	// or not, so Last shows until when the log was alive).
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Hashes are the SHA-256 of each file's bytes as read (compressed
	// ones compressed), in Files' order.
	Hashes []FileHash `json:"hashes"`
	// Genesis is true when the first line given starts the chain (prev is
	// all zeros); otherwise earlier files were not given.
	Genesis bool `json:"genesis"`
	// Checkpoints counts checkpoint lines, Signed those whose signature
	// verified; LastCheckpoint is the seq of the last one, and Unprotected
	// the lines after it, which no signature covers yet.
	Checkpoints    int      `json:"checkpoints"`
	Signed         int      `json:"signed"`
	Signers        []string `json:"signers,omitempty"`
	LastCheckpoint uint64   `json:"last_checkpoint_seq"`
	Unprotected    int      `json:"unprotected_lines"`
	// SideFile counts checkpoints of VerifyOptions.Checkpoints found in
	// the log.
	SideFile int `json:"side_file_checkpoints"`
	// Builds are the gateway builds the opened events and checkpoints
	// name (buildinfo.Info.String), in order of appearance; logs from
	// before builds were recorded name none.
	Builds   []string   `json:"builds,omitempty"`
	Torn     []Location `json:"torn_lines,omitempty"`
	Gaps     []Gap      `json:"gaps,omitempty"`
	Problems []Problem  `json:"problems,omitempty"`
}

// OK reports whether the chain, signatures and side file all check out.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

const maxProblems = 100

// lineHead is what verification reads of a line.
type lineHead struct {
	Seq      *uint64          `json:"seq"`
	Prev     string           `json:"prev"`
	TS       string           `json:"ts"`
	Event    string           `json:"event"`
	Signer   string           `json:"signer"`
	Sig      string           `json:"sig"`
	Lost     int64            `json:"lost"`
	From     string           `json:"from"`
	To       string           `json:"to"`
	Accounts map[string]int64 `json:"accounts"`
	// Build is decoded apart (builds()): a malformed one must not make
	// the line unreadable.
	Build json.RawMessage `json:"build"`
}

// Verify checks the hash chain through files (in chain order, plain or
// gzip), the checkpoints' signatures and, if given, the side file. It
// reads each line once, in bounded memory. The error is for files that
// cannot be read; what is wrong with their content is in the report.
func Verify(ctx context.Context, files []string, o VerifyOptions) (*Report, error) {
	r := &Report{Files: files}
	v := verifier{r: r, o: o, cps: map[uint64][32]byte{}, signers: map[string]bool{}}
	for _, f := range files {
		if err := v.file(ctx, f); err != nil {
			return r, err
		}
	}
	if o.Checkpoints != "" {
		if err := v.sideFile(o.Checkpoints); err != nil {
			return r, err
		}
	}
	return r, nil
}

// FileHash names a file read by its SHA-256.
type FileHash struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

type verifier struct {
	r       *Report
	o       VerifyOptions
	started bool
	seq     uint64
	prev    [32]byte
	cps     map[uint64][32]byte // checkpoint seq → hash of its line
	signers map[string]bool
}

func (v *verifier) problem(loc Location, format string, args ...any) {
	if len(v.r.Problems) < maxProblems {
		v.r.Problems = append(v.r.Problems, Problem{Location: loc, Msg: fmt.Sprintf(format, args...)})
	}
}

func (v *verifier) file(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("verify log: %w", err)
	}
	defer f.Close()
	// The file's hash, from the same read: what it holds after the
	// lines (a gzip trailer) is hashed when they are done.
	h := sha256.New()
	counted := &countingWriter{w: h}
	raw := io.TeeReader(f, counted)
	in, closer, err := jsonl.Uncompressed(raw)
	if err != nil {
		return fmt.Errorf("verify log %s: %w", path, err)
	}
	defer closer.Close()
	defer func() {
		if _, err := io.Copy(io.Discard, raw); err == nil {
			v.r.Hashes = append(v.r.Hashes, FileHash{Path: path, SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: counted.n})
		}
	}()
	lr := jsonl.NewReader(in, MaxLine)
	for {
		if v.r.Lines%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		loc := Location{File: path, Line: lr.Line()}
		var le *jsonl.LineError
		if errors.As(err, &le) {
			// Too long to be ours: the chain cannot be followed past it.
			v.r.Lines++
			v.problem(loc, "line longer than %d bytes: not written by the gateway", MaxLine)
			v.started = false
			continue
		}
		if err != nil {
			return fmt.Errorf("verify log %s: %w", path, err)
		}
		v.r.Lines++
		v.line(loc, line)
	}
}

func (v *verifier) line(loc Location, line []byte) {
	hash := sha256.Sum256(line)
	var h lineHead
	if err := json.Unmarshal(line, &h); err != nil || h.Seq == nil {
		// A torn write (the writer ends such a fragment with a newline
		// and chains it as a line of its own).
		v.r.Torn = append(v.r.Torn, loc)
		if seq, ok := lineSeq(line); ok && v.started && seq != v.seq+1 {
			v.problem(loc, "torn line has seq %d, want %d", seq, v.seq+1)
		}
		v.advance(hash)
		return
	}
	seq := *h.Seq
	if ts, err := time.Parse(time.RFC3339Nano, h.TS); err == nil {
		if v.r.First.IsZero() || ts.Before(v.r.First) {
			v.r.First = ts
		}
		if ts.After(v.r.Last) {
			v.r.Last = ts
		}
	}
	switch {
	case !v.started && v.r.Lines == 1:
		v.r.FirstSeq = seq
		v.r.Genesis = h.Prev == zeroHash
		if seq != 1 && v.r.Genesis {
			v.problem(loc, "chain starts at seq %d with no previous line", seq)
		}
	case !v.started:
		// After an unreadable line: pick the chain up again.
	default:
		if seq != v.seq+1 {
			v.problem(loc, "seq %d follows seq %d: lines are missing or reordered", seq, v.seq)
		}
		if h.Prev != hex.EncodeToString(v.prev[:]) {
			v.problem(loc, "prev does not match the hash of the line before: a line was changed, removed or inserted")
		}
	}
	v.started, v.seq, v.prev = true, seq, hash
	v.r.LastSeq = seq
	v.r.Unprotected++
	if h.Event == "" {
		return
	}
	v.r.Events++
	v.build(h.Build)
	switch h.Event {
	case "checkpoint":
		v.checkpoint(loc, seq, h, hash)
	case "gap":
		v.r.Gaps = append(v.r.Gaps, Gap{Location: loc, Lost: h.Lost, From: h.From, To: h.To, Accounts: h.Accounts})
	}
}

func (v *verifier) advance(hash [32]byte) {
	if v.started {
		v.seq++
	}
	v.prev = hash
	v.r.LastSeq = v.seq
	v.r.Unprotected++
}

func (v *verifier) checkpoint(loc Location, seq uint64, h lineHead, hash [32]byte) {
	v.r.Checkpoints++
	v.r.LastCheckpoint = seq
	v.r.Unprotected = 0
	v.cps[seq] = hash
	if h.Sig == "" {
		if v.o.Pub != nil {
			v.problem(loc, "checkpoint %d is not signed", seq)
		}
		return
	}
	pub, err1 := base64.StdEncoding.DecodeString(h.Signer)
	sig, err2 := base64.StdEncoding.DecodeString(h.Sig)
	prev, err3 := hex.DecodeString(h.Prev)
	if err1 != nil || err2 != nil || err3 != nil || len(pub) != ed25519.PublicKeySize || len(prev) != 32 {
		v.problem(loc, "checkpoint %d: malformed signature fields", seq)
		return
	}
	if v.o.Pub != nil && !bytes.Equal(pub, v.o.Pub) {
		v.problem(loc, "checkpoint %d is signed by another key than the one given", seq)
		return
	}
	if !ed25519.Verify(pub, CheckpointMessage(seq, [32]byte(prev), h.TS), sig) {
		v.problem(loc, "checkpoint %d: signature does not verify", seq)
		return
	}
	v.r.Signed++
	if fp := hex.EncodeToString(pub[:8]); !v.signers[fp] {
		v.signers[fp] = true
		v.r.Signers = append(v.r.Signers, fp)
	}
}

// maxBuilds bounds the distinct builds a report lists.
const maxBuilds = 32

// build notes a build an event names.
func (v *verifier) build(raw json.RawMessage) {
	if len(raw) == 0 || len(v.r.Builds) >= maxBuilds {
		return
	}
	var b buildinfo.Info
	if json.Unmarshal(raw, &b) != nil || b.Validate() != nil {
		return
	}
	if s := b.String(); !slices.Contains(v.r.Builds, s) {
		v.r.Builds = append(v.r.Builds, s)
	}
}

// sideFile checks that every exported checkpoint is in the log.
func (v *verifier) sideFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("checkpoint file: %w", err)
	}
	defer f.Close()
	lr := jsonl.NewReader(f, MaxLine)
	for {
		line, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		loc := Location{File: path, Line: lr.Line()}
		if err != nil {
			var le *jsonl.LineError
			if errors.As(err, &le) {
				v.problem(loc, "unreadable checkpoint line")
				continue
			}
			return fmt.Errorf("checkpoint file: %w", err)
		}
		seq, ok := lineSeq(line)
		if !ok {
			v.problem(loc, "not a checkpoint line")
			continue
		}
		got, in := v.cps[seq]
		switch {
		case !in && seq > v.r.LastSeq:
			v.problem(loc, "exported checkpoint %d is beyond the end of the log (last seq %d): the log was cut", seq, v.r.LastSeq)
		case !in:
			v.problem(loc, "exported checkpoint %d is not in the log", seq)
		case got != sha256.Sum256(line):
			v.problem(loc, "exported checkpoint %d differs from the one in the log", seq)
		default:
			v.r.SideFile++
		}
	}
}

var zeroHash = hex.EncodeToString(make([]byte, 32))

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
