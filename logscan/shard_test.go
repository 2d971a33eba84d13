package logscan_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"forensics/internal/traffic"
	"forensics/logscan"
)

// shardLogs writes a simulated log as two files, the second gzipped, with
// malformed lines and log events among the requests; it returns their
// paths and total size.
func shardLogs(t *testing.T, cfg traffic.Config) ([]string, int64) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := traffic.Simulate(cfg, &buf); err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(buf.Bytes(), []byte("\n"))
	half := len(lines) / 2
	var first bytes.Buffer
	for i, l := range lines[:half] {
		first.Write(l)
		if i%97 == 0 {
			first.WriteString("not json\n{\"event\":\"checkpoint\"}\n")
		}
	}
	var second bytes.Buffer
	zw := gzip.NewWriter(&second)
	for _, l := range lines[half:] {
		zw.Write(l)
	}
	zw.Write([]byte(`{"ts":"2026-11-02T00:00:00Z","prompt":"no account"}` + "\n"))
	zw.Close()
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl.gz")}
	for i, data := range [][]byte{first.Bytes(), second.Bytes()} {
		if err := os.WriteFile(paths[i], data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths, int64(first.Len() + second.Len())
}

func reportJSON(t *testing.T, rep *logscan.Report) string {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestParallelReadMatchesSerial: the parallel read leaves the scanner as
// the serial one does, whatever the number of workers, down to the last
// byte of the report (read statistics and malformed examples included);
// and it carries on from accounts added before it.
func TestParallelReadMatchesSerial(t *testing.T) {
	defer goleak.VerifyNone(t)
	paths, size := shardLogs(t, traffic.Config{Accounts: 60, Attackers: 10, Days: 3, Seed: 5})
	ctx := context.Background()
	serial, _ := logscan.NewScanner(logscan.DefaultConfig())
	st, err := logscan.Read(ctx, paths, logscan.DefaultLayout(), func(r logscan.Record) error { serial.Add(r); return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Malformed == 0 || st.Events == 0 || len(st.Examples) != 5 {
		t.Fatalf("the log lacks malformed lines or events: %+v", st)
	}
	want := serial.Report()
	want.Read = st
	wantJSON := reportJSON(t, want)
	for _, workers := range []int{1, 2, 7} {
		s, _ := logscan.NewScanner(logscan.DefaultConfig())
		var seen atomic.Int64
		got, err := s.ReadLogs(ctx, paths, logscan.ReadOptions{Workers: workers, Progress: func(n int64) { seen.Add(n) }})
		if err != nil {
			t.Fatal(err)
		}
		rep := s.Report()
		rep.Read = got
		if g := reportJSON(t, rep); g != wantJSON {
			t.Errorf("%d workers: the report differs from the serial scan's", workers)
		}
		if seen.Load() != size {
			t.Errorf("%d workers: progress counted %d bytes of %d", workers, seen.Load(), size)
		}
	}
	// Half the logs added one by one, the rest read in parallel: the
	// accounts carry on.
	s, _ := logscan.NewScanner(logscan.DefaultConfig())
	st1, err := logscan.Read(ctx, paths[:1], logscan.DefaultLayout(), func(r logscan.Record) error { s.Add(r); return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	st2, err := s.ReadLogs(ctx, paths[1:], logscan.ReadOptions{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	rep := s.Report()
	rep.Read = want.Read
	if rep.Read.Records != st1.Records+st2.Records || reportJSON(t, rep) != wantJSON {
		t.Errorf("Add then ReadLogs differs from the serial scan")
	}
}

// TestReadLogsCancel: a cancelled or failed read stops promptly with its
// error and leaves no goroutine behind.
func TestReadLogsCancel(t *testing.T) {
	defer goleak.VerifyNone(t)
	paths, _ := shardLogs(t, traffic.Config{Accounts: 200, Attackers: 10, Days: 7, Seed: 6})
	for _, workers := range []int{1, 4} {
		ctx, cancel := context.WithCancel(context.Background())
		s, _ := logscan.NewScanner(logscan.DefaultConfig())
		var calls atomic.Int64
		start := time.Now()
		_, err := s.ReadLogs(ctx, paths, logscan.ReadOptions{Workers: workers, Progress: func(int64) {
			if calls.Add(1) == 2 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%d workers: cancelled read returned %v", workers, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%d workers: cancelled read took %v", workers, d)
		}
		cancel()
	}
	// A file that cannot be opened ends the read with its error.
	s, _ := logscan.NewScanner(logscan.DefaultConfig())
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	if _, err := s.ReadLogs(context.Background(), append(paths, missing), logscan.ReadOptions{Workers: 3}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read with a missing file: %v", err)
	}
}

// FuzzReadLogsMatchesRead: on any input, the parallel read reports as
// the serial one (the same error, or the same report and statistics).
func FuzzReadLogsMatchesRead(f *testing.F) {
	f.Add([]byte(`{"ts":"2026-11-01T00:00:00Z","account":"a","prompt":"explain step by step"}` + "\n" +
		`{"ts":"2026-11-01T00:01:00Z","account":"b","messages":[{"role":"user","content":"hi"}]}` + "\nnot json\n"))
	f.Add([]byte(`{"event":"checkpoint"}` + "\n\n" + `{"ts":"x","account":"c"}`))
	f.Add([]byte{0x1f, 0x8b, 0, 1})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "log.jsonl")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		serial, _ := logscan.NewScanner(logscan.DefaultConfig())
		st, errS := logscan.Read(ctx, []string{path}, logscan.DefaultLayout(), func(r logscan.Record) error { serial.Add(r); return nil }, nil)
		par, _ := logscan.NewScanner(logscan.DefaultConfig())
		pst, errP := par.ReadLogs(ctx, []string{path}, logscan.ReadOptions{Workers: 3})
		if fmt.Sprint(errS) != fmt.Sprint(errP) {
			t.Fatalf("serial error %v, parallel %v", errS, errP)
		}
		want, got := serial.Report(), par.Report()
		want.Read, got.Read = st, pst
		if reportJSON(t, want) != reportJSON(t, got) {
			t.Fatalf("reports differ:\nserial   %s\nparallel %s", reportJSON(t, want), reportJSON(t, got))
		}
	})
}
