package probe

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"forensics/internal/jsonl"
)

// fileTarget answers from a transcript file collected elsewhere: our own
// transcripts.jsonl (its suspect records, raw exchanges kept) or any JSONL
// with "prompt" and "response" (or "text"), optionally "prompt_id",
// "kind" and "repeat". Queries are matched by prompt id and repeat when the
// file has ids, otherwise by prompt text and occurrence.
//
// Nobody watched those answers being collected, so the file is evidence
// only of itself: the probe copies it whole into the bundle (sourceFile),
// the manifest commits to its hash before any query, and the results
// account for every line (SourceAccount): which answered a planned query,
// which were extra, repeated or missing. A file that does not answer
// exactly the planned queries, each once, cannot support a proposition:
// keeping the lines that suit and dropping the rest is how unrelated text
// was made to look watermarked (issue 14: the 650 greenest of 5,558 human
// documents gave log10 p = −150).
type fileTarget struct {
	spec  string
	lines []fileLine
	byID  map[string]int   // kind/prompt-id/repeat → first line with that key
	byPr  map[string][]int // prompt text → lines, in order
	other int              // records of other roles, failed records
}

// fileLine is one answer line of a transcript file.
type fileLine struct {
	line int
	ex   Exchange
	// key is kind/prompt-id/repeat when the line has an id; dup marks a
	// line whose key an earlier line already had.
	key string
	dup bool
}

// sourceFile is the name of a file target's copy in the bundle.
func sourceFile(role string) string { return "source-" + role + ".jsonl" }

// fileTargetPath returns the path of a file: target spec, or "".
func fileTargetPath(spec string) string {
	if rest, ok := strings.CutPrefix(spec, "file:"); ok {
		return strings.TrimPrefix(rest, "//")
	}
	return ""
}

// readSource reads a file target's file for the bundle, bounded like the
// transcripts it stands in for.
func readSource(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(io.LimitReader(f, MaxTranscriptsSize+1)); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if b.Len() > MaxTranscriptsSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxTranscriptsSize)
	}
	return b.Bytes(), nil
}

func newFileTarget(spec string, data []byte) (Target, error) {
	t, err := parseFileTarget(spec, data)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func parseFileTarget(spec string, data []byte) (*fileTarget, error) {
	t := &fileTarget{spec: spec, byID: map[string]int{}, byPr: map[string][]int{}}
	r := jsonl.NewReader(bytes.NewReader(data), maxLine)
	for {
		raw, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", spec, err)
		}
		line := r.Line()
		// The reader reuses its buffer: the exchange keeps its own copy
		// (sharing it made every answer the last line's text).
		raw = bytes.Clone(raw)
		var rl struct {
			Role     string `json:"role"`
			PromptID string `json:"prompt_id"`
			Kind     string `json:"kind"`
			Repeat   int    `json:"repeat"`
			Prompt   string `json:"prompt"`
			Extract  string `json:"extract"`
			Error    string `json:"error"`
		}
		if err := json.Unmarshal(raw, &rl); err != nil {
			return nil, fmt.Errorf("target %s: line %d: not JSON: %w", spec, line, err)
		}
		ex := Exchange{Endpoint: spec + "#L" + strconv.Itoa(line), Extract: ExtractFile, Status: 200, Response: raw}
		if rl.Extract != "" { // one of our transcript records: keep its raw exchange
			if rl.Role != "suspect" || rl.Error != "" {
				// Not an answer, but a line of the file all the same: it
				// is counted (Other), so that candidates cannot hide as
				// other roles' or failed records.
				t.other++
				continue
			}
			var rec Record
			if err := json.Unmarshal(raw, &rec); err != nil {
				return nil, fmt.Errorf("target %s: line %d: %w", spec, line, err)
			}
			req, resp, err := rec.Bodies()
			if err != nil {
				return nil, fmt.Errorf("target %s: line %d: %w", spec, line, err)
			}
			ex = Exchange{Endpoint: rec.Endpoint, Model: rec.Model, Extract: rec.Extract, Request: req, Status: rec.Status, Response: resp}
			rl.Prompt = rec.Prompt
		} else if _, _, err := ExtractText(ExtractFile, raw); err != nil {
			return nil, fmt.Errorf("target %s: line %d: %w", spec, line, err)
		}
		fl := fileLine{line: line, ex: ex}
		i := len(t.lines)
		if rl.PromptID != "" {
			kind := rl.Kind
			if kind == "" {
				kind = "prompt"
			}
			fl.key = kind + "/" + rl.PromptID + "/" + strconv.Itoa(rl.Repeat)
			if _, seen := t.byID[fl.key]; seen {
				fl.dup = true
			} else {
				t.byID[fl.key] = i
			}
		}
		if rl.Prompt != "" {
			t.byPr[rl.Prompt] = append(t.byPr[rl.Prompt], i)
		}
		t.lines = append(t.lines, fl)
	}
	if len(t.lines) == 0 {
		return nil, fmt.Errorf("target %s: no answers in the file (%d lines of other roles or failed)", spec, t.other)
	}
	return t, nil
}

func (t *fileTarget) Spec() string                { return t.spec }
func (t *fileTarget) Check(context.Context) error { return nil }

// lineFor is the line answering a query, or −1.
func (t *fileTarget) lineFor(q Query) int {
	if i, ok := t.byID[q.Kind+"/"+q.PromptID+"/"+strconv.Itoa(q.Repeat)]; ok {
		return i
	}
	if ls := t.byPr[q.Prompt]; q.Repeat < len(ls) {
		return ls[q.Repeat]
	}
	return -1
}

func (t *fileTarget) Ask(_ context.Context, q Query, _ Sampling) (Exchange, error) {
	if i := t.lineFor(q); i >= 0 {
		return t.lines[i].ex, nil
	}
	return Exchange{}, ErrNoAnswer
}

// SourceRef is a file target's copy in the bundle, committed to by the
// manifest before any query.
type SourceRef struct {
	Role   string `json:"role"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Bytes  int    `json:"bytes"`
}

// NewSourceRef commits to a file target's copy: its name in the bundle
// and its SHA-256.
func NewSourceRef(role string, data []byte) SourceRef {
	d := sha256.Sum256(data)
	return SourceRef{Role: role, File: sourceFile(role), SHA256: hex.EncodeToString(d[:]), Bytes: len(data)}
}

// SourceAccount says what became of every line of a file target: the
// provenance a reader needs before trusting answers nobody watched being
// collected.
type SourceAccount struct {
	Role string `json:"role"`
	File string `json:"file"`
	// Lines are the file's answer lines (for our own transcripts, the
	// suspect's answered records).
	Lines int `json:"lines"`
	// Used answered a planned query; Repeated had the id of an earlier
	// line; Extra answered no planned query; Missing are planned queries
	// of the role the file does not answer.
	Used     int `json:"used"`
	Repeated int `json:"repeated"`
	Extra    int `json:"extra"`
	Missing  int `json:"missing"`
	// Other are lines that are not answers: records of other roles or
	// failed ones, in our own transcript format.
	Other int `json:"other"`
	// Exact: every planned query of the role answered by exactly one
	// line, and no other line. Only then can the answers support a
	// proposition.
	Exact bool   `json:"exact"`
	Note  string `json:"note"`
}

// account matches a file against the plan's queries for a role.
func (t *fileTarget) account(role string, qs []Query) SourceAccount {
	a := SourceAccount{Role: role, File: sourceFile(role), Lines: len(t.lines)}
	used := make([]bool, len(t.lines))
	for _, q := range qs {
		if q.Role != role {
			continue
		}
		if i := t.lineFor(q); i >= 0 && !used[i] {
			used[i] = true
			a.Used++
		} else {
			a.Missing++
		}
	}
	for i, l := range t.lines {
		switch {
		case used[i]:
		case l.dup:
			a.Repeated++
		default:
			a.Extra++
		}
	}
	a.Other = t.other
	a.Exact = a.Missing == 0 && a.Repeated == 0 && a.Extra == 0 && a.Other == 0
	a.Note = fmt.Sprintf("collected elsewhere; completeness not verified: %d answer lines and %d other lines, %d answer planned queries, %d extra, %d repeated, %d planned queries unanswered", a.Lines, a.Other, a.Used, a.Extra, a.Repeated, a.Missing)
	return a
}
