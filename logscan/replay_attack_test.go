package logscan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"forensics/logscan"
)

// scanPage scans paths with the page's replay.
func scanPage(t *testing.T, opts logscan.Options, paths []string, progress func(int64)) *logscan.Report {
	t.Helper()
	opts.FiringTimes = true
	rep, err := logscan.ScanWith(context.Background(), logscan.DefaultConfig(), opts, paths, progress)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// redate is the log's first line as account's, dated ts.
func redate(t *testing.T, data []byte, account, ts string) []byte {
	t.Helper()
	first, _, _ := bytes.Cut(data, []byte("\n"))
	var m map[string]any
	if err := json.Unmarshal(first, &m); err != nil {
		t.Fatal(err)
	}
	m["account"], m["ts"] = account, ts
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// TestReplayTimesAttack: one account's own lines, dated far from the
// others (a line dated next year put first, as a forged or rotated log
// would; lines of an unflagged account dated year 1 and 9999), change
// neither another flagged account's judgements nor its figure's buckets.
func TestReplayTimesAttack(t *testing.T) {
	path, opts := pageLog(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	clean := logscan.ReplayShape(scanPage(t, opts, []string{path}, nil))
	var attacker string
	for name := range clean {
		attacker = max(attacker, name)
	}
	late := time.Now().UTC().AddDate(1, 0, 0).Format(time.RFC3339)
	attacks := map[string][]byte{
		"late line of a flagged account first": append(redate(t, data, attacker, late), data...),
		"outliers of an unflagged account": append(append(append([]byte(nil), data...),
			redate(t, data, "outlier", "0001-01-01T00:00:00Z")...), redate(t, data, "outlier", "9999-12-31T00:00:00Z")...),
	}
	for name, log := range attacks {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "log.jsonl")
			if err := os.WriteFile(p, log, 0o644); err != nil {
				t.Fatal(err)
			}
			rep := scanPage(t, opts, []string{p}, nil)
			checkReplayEnds(t, rep)
			for acct, got := range logscan.ReplayShape(rep) {
				if want, ok := clean[acct]; ok && acct != attacker && got != want {
					t.Errorf("%s: %d judgements in %d s buckets, %d in %d s without the attack", acct, got[0], got[1], want[0], want[1])
				}
			}
		})
	}
}

// TestReplayReadsWhatTheScanRead: a log appended or rotated while the
// scan reads it, or a pipe, never gives the page another log's times:
// the replay reads the scan's bytes of the same file or nothing, and the
// page says why.
func TestReplayReadsWhatTheScanRead(t *testing.T) {
	path, opts := pageLog(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	between := func(do func(p string)) *logscan.Report {
		p := filepath.Join(t.TempDir(), "log.jsonl")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := opts
		opts.FiringTimes = true
		rep, err := logscan.ScanBetween(context.Background(), logscan.DefaultConfig(), opts, []string{p}, func() { do(p) })
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	clean := logscan.ReplayShape(scanPage(t, opts, []string{path}, nil))
	var top string
	for name := range clean {
		top = max(top, name)
	}
	more := bytes.Repeat(redate(t, data, top, "2099-01-01T00:00:00Z"), 300)
	// writeMore writes more into the log, opened with flag (O_APPEND:
	// after its end; 0: over its start).
	writeMore := func(t *testing.T, flag int) func(string) {
		return func(p string) {
			f, err := os.OpenFile(p, flag|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.Write(more); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Run("appended after the scan", func(t *testing.T) {
		rep := between(writeMore(t, os.O_APPEND))
		checkReplayEnds(t, rep)
		if d := logscan.ReplayDropped(rep); len(d) > 0 {
			t.Errorf("the replay read past the scan's bytes: %v dropped", d)
		}
	})
	t.Run("rewritten in place", func(t *testing.T) {
		rep := between(writeMore(t, 0))
		checkReplayEnds(t, rep)
		page := string(writePage(t, rep))
		if !strings.Contains(page, "Firing times not drawn: its replay ended at") {
			t.Error("a replay that does not end at the verdict is drawn, or the page does not say so")
		}
	})
	during := func(do func(p string)) (string, func(int64)) {
		p := filepath.Join(t.TempDir(), "log.jsonl")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var once sync.Once
		return p, func(int64) { once.Do(func() { do(p) }) }
	}
	t.Run("rotated", func(t *testing.T) {
		p, progress := during(func(p string) {
			if err := os.Rename(p, p+".1"); err != nil {
				t.Error(err)
			}
			if err := os.WriteFile(p, data[:len(data)/2], 0o644); err != nil {
				t.Error(err)
			}
		})
		page := string(writePage(t, scanPage(t, opts, []string{p}, progress)))
		if !strings.Contains(page, "was replaced after the scan read it") || strings.Contains(page, " strip\"") {
			t.Error("the page drew a rotated log's replay or did not say why it did not")
		}
	})
	t.Run("pipe", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "fifo")
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skip(err)
		}
		go func() {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			f.Write(data)
			f.Close()
		}()
		page := string(writePage(t, scanPage(t, opts, []string{p}, nil)))
		if !strings.Contains(page, "is not a regular file") || strings.Contains(page, " strip\"") {
			t.Error("the page drew a pipe's replay or did not say why it did not")
		}
	})
}
