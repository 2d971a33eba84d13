package reqlog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"forensics/internal/buildinfo"
	"forensics/internal/jsonl"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} }

func signer(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func entry(i int) []byte {
	return []byte(fmt.Sprintf(`{"ts":"2026-11-26T12:00:00Z","account":"acct-%d","status":200,"prompt":%q}`, i%7, strings.Repeat("x", i%50)))
}

func verify(t *testing.T, path string, o VerifyOptions) *Report {
	t.Helper()
	files, err := Files(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Verify(context.Background(), files, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func requests(t *testing.T, files []string) int {
	t.Helper()
	n := 0
	for _, f := range files {
		data := readMaybeGzip(t, f)
		n += bytes.Count(data, []byte(`"account":"acct-`))
	}
	return n
}

func TestChainRotationAndCheckpoints(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "requests.jsonl")
	clk := newClock()
	key := signer(t)
	w, err := Open(Options{Path: path, MaxBytes: 4 << 10, Compress: true, CheckpointEvery: time.Minute, Signer: key, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	for i := 0; i < n; i++ {
		if err := w.Append(entry(i)); err != nil {
			t.Fatal(err)
		}
		clk.add(time.Second)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := Files(path)
	if len(files) < 5 {
		t.Fatalf("only %d files after rotation at 4 KiB", len(files))
	}
	gz := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".gz") {
			gz++
		}
	}
	r := verify(t, path, VerifyOptions{Pub: key.Public().(ed25519.PublicKey), Checkpoints: path + ".checkpoints"})
	t.Logf("%d files (%d gzip), %d lines, %d events, seq %d..%d, %d checkpoints (%d signed, %d in side file), %d unprotected",
		len(files), gz, r.Lines, r.Events, r.FirstSeq, r.LastSeq, r.Checkpoints, r.Signed, r.SideFile, r.Unprotected)
	if !r.OK() {
		t.Fatalf("problems: %+v", r.Problems)
	}
	if got := requests(t, files); got != n {
		t.Errorf("%d request lines across files, want %d (nothing deleted)", got, n)
	}
	if gz != len(files)-1 || !r.Genesis || r.FirstSeq != 1 || r.Checkpoints < len(files) || r.Signed != r.Checkpoints || r.Unprotected != 0 || r.SideFile != r.Checkpoints {
		t.Errorf("unexpected report %+v", r)
	}
}

// TestTamperingIsFound edits, removes, reorders and appends lines of a
// finished log, and cuts it after its last exported checkpoint.
func TestTamperingIsFound(t *testing.T) {
	write := func(t *testing.T) (string, []string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "requests.jsonl")
		w, err := Open(Options{Path: path, Signer: signer(t), CheckpointEvery: time.Nanosecond})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			w.Append(entry(i))
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		return path, strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")
	}
	cases := []struct {
		name   string
		change func([]string) []string
		want   string
	}{
		{"edit", func(l []string) []string { l[5] = strings.Replace(l[5], "acct-", "acct-X", 1); return l }, "prev does not match"},
		{"remove", func(l []string) []string { return append(l[:7], l[8:]...) }, "lines are missing"},
		{"swap", func(l []string) []string { l[3], l[4] = l[4], l[3]; return l }, "lines are missing or reordered"},
		{"cut the tail", func(l []string) []string { return l[:10] }, "beyond the end of the log"},
		{"forge a checkpoint", func(l []string) []string {
			i := len(l) - 1
			l[i] = strings.Replace(l[i], `"sig":"`, `"sig":"A`, 1)
			return l
		}, "checkpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path, lines := write(t)
			out := tc.change(lines)
			text := strings.Join(out, "")
			if !strings.HasSuffix(text, "\n") {
				text += "\n"
			}
			os.WriteFile(path, []byte(text), 0o640)
			r := verify(t, path, VerifyOptions{Checkpoints: path + ".checkpoints"})
			if r.OK() {
				t.Fatalf("%s not found", tc.name)
			}
			if !strings.Contains(fmt.Sprint(r.Problems), tc.want) {
				t.Errorf("problems %v, want one mentioning %q", r.Problems, tc.want)
			}
		})
	}
}

// faultyFS hands out files that fail with ENOSPC once the disk is full,
// after writing what fits (a partial write, as a real full disk does).
type faultyFS struct {
	mu          sync.Mutex
	free        int64 // bytes that still fit
	truncFails  bool
	failedWrite int
}

type faultyFile struct {
	*os.File
	fs *faultyFS
}

func (fs *faultyFS) open(path string) (file, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: f, fs: fs}, nil
}

func (fs *faultyFS) setFree(n int64) {
	fs.mu.Lock()
	fs.free = n
	fs.mu.Unlock()
}

func (f *faultyFile) Write(b []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if int64(len(b)) <= f.fs.free {
		f.fs.free -= int64(len(b))
		return f.File.Write(b)
	}
	n := int(f.fs.free)
	f.fs.free = 0
	f.fs.failedWrite++
	if n > 0 {
		f.File.Write(b[:n])
	}
	return n, syscall.ENOSPC
}

func (f *faultyFile) Truncate(size int64) error {
	if f.fs.truncFails {
		return syscall.EIO
	}
	st, err := f.File.Stat()
	if err == nil {
		f.fs.mu.Lock()
		f.fs.free += st.Size() - size
		f.fs.mu.Unlock()
	}
	return f.File.Truncate(size)
}

// TestDiskFull fills the disk mid-line, keeps appending, frees space and
// checks that no line was lost, none merged with another, Healthy said
// so meanwhile and the chain verifies; with the cut-off failing too, the
// partial line stays a line of its own.
func TestDiskFull(t *testing.T) {
	for _, truncFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("truncate fails %v", truncFails), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "requests.jsonl")
			fs := &faultyFS{free: 1 << 30, truncFails: truncFails}
			w, err := Open(Options{Path: path, openFile: fs.open})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 10; i++ {
				w.Append(entry(i))
			}
			fs.setFree(30) // the next line is cut after 30 bytes
			var failed int
			for i := 10; i < 40; i++ {
				if w.Append(entry(i)) != nil {
					failed++
				}
			}
			if w.Healthy() == nil || failed != 30 {
				t.Fatalf("healthy %v, %d of 30 appends failed", w.Healthy(), failed)
			}
			fs.setFree(1 << 30)
			w.mu.Lock()
			w.retryLocked() // what the one-second loop does
			w.mu.Unlock()
			if err := w.Healthy(); err != nil {
				t.Fatalf("still failing after space returned: %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			r := verify(t, path, VerifyOptions{})
			data, _ := os.ReadFile(path)
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if !r.OK() || requests(t, []string{path}) != 40 {
				t.Fatalf("problems %v; %d request lines of 40", r.Problems, requests(t, []string{path}))
			}
			for _, l := range lines {
				if strings.Count(l, `"seq":`) > 1 {
					t.Fatalf("two records merged on one line: %q", l)
				}
			}
			if wantTorn := map[bool]int{false: 0, true: 1}[truncFails]; len(r.Torn) != wantTorn {
				t.Errorf("%d torn lines, want %d", len(r.Torn), wantTorn)
			}
		})
	}
}

// TestQueueOverflowIsAGap: lines beyond MaxPending are lost, recorded as a
// gap once writing works, and Close says so.
func TestQueueOverflowIsAGap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	fs := &faultyFS{free: 1 << 30}
	w, err := Open(Options{Path: path, openFile: fs.open, MaxPending: 5})
	if err != nil {
		t.Fatal(err)
	}
	fs.setFree(0)
	for i := 0; i < 12; i++ {
		w.Append(entry(i))
	}
	fs.setFree(1 << 30)
	w.mu.Lock()
	w.retryLocked()
	w.mu.Unlock()
	err = w.Close()
	if err == nil || !strings.Contains(err.Error(), "7 request-log lines were lost") {
		t.Fatalf("close error %v, want 7 lines lost (12 appended, 5 queued, the failed one among them)", err)
	}
	r := verify(t, path, VerifyOptions{})
	if !r.OK() || len(r.Gaps) != 1 || r.Gaps[0].Lost != 7 || r.Gaps[0].Accounts["acct-5"] != 1 || len(r.Gaps[0].Accounts) != 7 {
		t.Fatalf("problems %v, gaps %+v", r.Problems, r.Gaps)
	}
}

// TestQueueBoundedInBytes: while the disk fails, big lines fill the queue's
// byte budget before its line budget; memory stays bounded.
func TestQueueBoundedInBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	fs := &faultyFS{free: 1 << 30}
	w, err := Open(Options{Path: path, openFile: fs.open, MaxPendingBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	fs.setFree(0)
	big := []byte(`{"account":"a","prompt":"` + strings.Repeat("x", 100<<10) + `"}`)
	for i := 0; i < 60; i++ {
		w.Append(big)
	}
	w.mu.Lock()
	queued, bytes := len(w.pending), w.pendingN
	w.mu.Unlock()
	t.Logf("60 lines of 100 KiB while failing: %d queued (%d bytes), the rest lost", queued, bytes)
	if bytes > 1<<20 || queued != 10 {
		t.Errorf("%d lines, %d bytes queued under a 1 MiB budget", queued, bytes)
	}
	fs.setFree(1 << 30)
	w.Close()
}

// TestResumeAfterCrash: a file ending inside a line (a process killed mid
// write) is resumed: the fragment is ended and chained, later lines
// continue the chain.
func TestResumeAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	w, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		w.Append(entry(i))
	}
	w.Close()
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte(`{"seq":8,"prev":"00`)) // a torn write (opened, 5 requests and a checkpoint came before)
	f.Close()
	w, err = Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	w.Append(entry(5))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := verify(t, path, VerifyOptions{})
	if len(r.Torn) != 1 || requests(t, []string{path}) != 6 {
		t.Fatalf("torn %v, %d requests", r.Torn, requests(t, []string{path}))
	}
	// The fragment claims seq 8 where 8 is due, so the chain holds.
	if !r.OK() {
		t.Fatalf("problems %v", r.Problems)
	}
}

func TestLegacyLogIsArchived(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	os.WriteFile(path, []byte("{\"account\":\"old\"}\n"), 0o640)
	w, err := Open(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	w.Append(entry(1))
	w.Close()
	files, _ := Files(path)
	if len(files) != 2 || !strings.HasSuffix(files[0], "-legacy") {
		t.Fatalf("files %v", files)
	}
	r, _ := Verify(context.Background(), files[1:], VerifyOptions{})
	if !r.OK() || !r.Genesis {
		t.Fatalf("new chain: %+v", r)
	}
}

// TestRetention keeps every archive by default and removes only those
// older than retention_days when set.
func TestRetention(t *testing.T) {
	for _, days := range []int{0, 2} {
		path := filepath.Join(t.TempDir(), "requests.jsonl")
		clk := newClock()
		w, err := Open(Options{Path: path, MaxBytes: 2 << 10, RetentionDays: days, Now: clk.now})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 300; i++ {
			w.Append(entry(i))
			clk.add(time.Hour)
		}
		w.Close()
		files, _ := Files(path)
		oldest, _ := archiveTime(path, files[0])
		// Retention is applied when a rotation archives a file, with the
		// clock of then (in the background, so perhaps later): every
		// archive older than the retention at the last rotation is gone.
		// Measured from the end, an archive may be older by the time since
		// that rotation (CI saw 56 h at 2 days when the sweep ran at once).
		newest, _ := archiveTime(path, files[len(files)-2])
		age, span := clk.now().Sub(oldest), newest.Sub(oldest)
		t.Logf("retention %d days: %d files, oldest archive %s old, %s before the newest", days, len(files), age, span)
		switch {
		case days == 0 && requests(t, files) != 300:
			t.Errorf("retention off: %d of 300 request lines kept", requests(t, files))
		case days > 0 && span > time.Duration(days)*24*time.Hour+2*time.Hour:
			t.Errorf("archive %s older than the last archived file kept with retention %d days", span, days)
		}
	}
}

func readMaybeGzip(t *testing.T, path string) []byte {
	t.Helper()
	data, err := jsonl.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// FuzzVerify: any bytes as a log file give a report or an error, never a
// panic, in bounded memory.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{"seq":1,"prev":"0000000000000000000000000000000000000000000000000000000000000000","ts":"x","event":"opened"}` + "\n"))
	f.Add([]byte(`{"seq":1,"prev":"00","event":"checkpoint","signer":"AAAA","sig":"AAAA"}` + "\n{\"seq\":2"))
	f.Add([]byte("\x1f\x8b garbage"))
	f.Add([]byte(`{"seq":1,"prev":"00","event":"checkpoint","build":{"program":"forensics","revision":"7ed3","go_version":"go1.26.8"}}` + "\n" +
		`{"seq":2,"prev":"00","event":"opened","build":"x"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "log.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Verify(context.Background(), []string{path}, VerifyOptions{Checkpoints: path})
		if err == nil && r == nil {
			t.Fatal("no report")
		}
	})
}

// TestVerifyHashesFiles: the hashes Verify reports are those of the files'
// bytes, gzip archives included.
func TestVerifyHashesFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	clk := newClock()
	w, err := Open(Options{Path: path, MaxBytes: 2 << 10, Compress: true, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 60; i++ {
		w.Append(entry(i))
		clk.add(time.Minute)
	}
	w.Close()
	files, _ := Files(path)
	r := verify(t, path, VerifyOptions{})
	if len(r.Hashes) != len(files) || !strings.HasSuffix(files[0], ".gz") {
		t.Fatalf("%d hashes for files %v", len(r.Hashes), files)
	}
	for i, f := range files {
		data, _ := os.ReadFile(f)
		sum := sha256.Sum256(data)
		if h := r.Hashes[i]; h.Path != f || h.SHA256 != hex.EncodeToString(sum[:]) || h.Bytes != int64(len(data)) {
			t.Errorf("%s: %+v, want %x (%d bytes)", f, h, sum, len(data))
		}
	}
}

// TestCheckpointsNameTheBuild: a log begun by a writer that recorded no
// build and continued by one that does verifies, signatures and side file
// included; the checkpoints name the build, and the report lists it.
func TestCheckpointsNameTheBuild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	clk := newClock()
	key := signer(t)
	build := &buildinfo.Info{Program: "forensics", Revision: "7ed32b1cf09562f0c78852df59a8786464400b3b", GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64"}
	for _, fields := range []map[string]any{nil, {"build": build}} {
		w, err := Open(Options{Path: path, CheckpointEvery: time.Minute, Signer: key, Now: clk.now, Opened: fields, Checkpoint: fields})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 100; i++ {
			if err := w.Append(entry(i)); err != nil {
				t.Fatal(err)
			}
			clk.add(2 * time.Second)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	r := verify(t, path, VerifyOptions{Pub: key.Public().(ed25519.PublicKey), Checkpoints: path + ".checkpoints"})
	if !r.OK() || r.Checkpoints != 2 || r.Signed != r.Checkpoints || r.SideFile != r.Checkpoints {
		t.Fatalf("report %+v", r)
	}
	if len(r.Builds) != 1 || r.Builds[0] != build.String() {
		t.Errorf("builds %q, want [%q]", r.Builds, build.String())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old, named := 0, 0
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, `"event":"checkpoint"`) {
			if strings.Contains(l, `"build":{"program":"forensics"`) {
				named++
			} else {
				old++
			}
		}
	}
	if old == 0 || named == 0 {
		t.Errorf("%d checkpoints without a build, %d with: want both", old, named)
	}
}

// TestMalformedBuildIsIgnored: a build field that is no build leaves the
// line readable and lists nothing.
func TestMalformedBuildIsIgnored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	w, err := Open(Options{Path: path, Now: newClock().now, Checkpoint: map[string]any{"build": "v1; rm -rf /"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := verify(t, path, VerifyOptions{})
	if !r.OK() || r.Checkpoints != 1 || len(r.Builds) != 0 {
		t.Errorf("report %+v", r)
	}
}
