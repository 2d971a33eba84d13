package logscan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"forensics/internal/logtile"
	"forensics/internal/measure"
	"forensics/internal/traffic"
	"forensics/logscan"
)

// recordPool reads a simulated week of 500 accounts: realistic requests
// to deal out to accounts of any size.
func recordPool(t *testing.T) []logscan.Record {
	t.Helper()
	var buf bytes.Buffer
	if _, err := traffic.Simulate(traffic.Config{Accounts: 500, Attackers: 10, Days: 7, Seed: 11}, &buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pool.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var pool []logscan.Record
	if _, err := logscan.Read(context.Background(), []string{path}, logscan.DefaultLayout(), func(r logscan.Record) error {
		pool = append(pool, r)
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	return pool
}

// heapAfterGC is the live heap.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// bytesPerAccount feeds n accounts of per requests each, dealt from the
// pool gap apart, and returns the scanner's live heap per account.
func bytesPerAccount(pool []logscan.Record, n, per int, gap time.Duration) float64 {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	before := heapAfterGC()
	s, _ := logscan.NewScanner(logscan.DefaultConfig())
	for a := range n {
		name := fmt.Sprintf("acct-%07d", a)
		for i := range per {
			r := pool[(a*7919+i*104729)%len(pool)]
			r.Account = name
			r.TS = start.Add(time.Duration(i) * gap)
			s.Add(r)
		}
	}
	after := heapAfterGC()
	runtime.KeepAlive(s)
	return float64(after-before) / float64(n)
}

// TestBytesPerAccount measures the scanner's memory per account, for
// light (10 requests) and heavy (10,000 requests) accounts of simulated
// traffic, a minute apart, and of requests an hour apart (an account
// active over days keeps more of its hour histogram). About 40 s.
func TestBytesPerAccount(t *testing.T) {
	measure.Require(t, "scanner memory per account, about 40 s")
	pool := recordPool(t)
	for _, c := range []struct {
		accounts, requests int
		gap                time.Duration
	}{{20000, 10, time.Minute}, {1000, 100, time.Minute}, {20, 10000, time.Minute}, {20000, 10, time.Hour}, {1000, 100, time.Hour}, {100, 1000, time.Hour}} {
		t.Logf("%6d accounts × %5d requests %v apart: %8.0f bytes/account", c.accounts, c.requests, c.gap, bytesPerAccount(pool, c.accounts, c.requests, c.gap))
	}
}

// scaleCase is one log size of the scaling measurement: copies of a
// simulated week of about 510 accounts (internal/logtile), as many as
// make the accounts, thinned to make the lines.
type scaleCase struct {
	name            string
	lines, accounts int
}

var scaleCases = []scaleCase{
	{"100k-1k", 100_000, 1_000}, // a quick check of the harness
	{"1M-10k", 1_000_000, 10_000},
	{"1M-100k", 1_000_000, 100_000},
	{"10M-100k", 10_000_000, 100_000},
}

// tiling is the copies and share of lines that make the case from a base
// of baseLines lines and baseAccounts accounts.
func (c scaleCase) tiling(baseLines, baseAccounts int) logtile.Config {
	copies := max(1, (c.accounts+baseAccounts/2)/baseAccounts)
	keep := float64(c.lines) / float64(copies*baseLines)
	if keep >= 1 {
		keep = 0
	}
	return logtile.Config{Copies: copies, Keep: keep, Seed: 1}
}

// scaleResult is what a child process measured of one scan.
type scaleResult struct {
	Mode      string  `json:"mode"`
	Procs     int     `json:"procs"`
	Lines     int     `json:"lines"`
	ReadSec   float64 `json:"read_s"`   // wall time of the read
	ReadCPU   float64 `json:"read_cpu"` // user+sys seconds of the read
	ReportSec float64 `json:"report_s,omitempty"`
	ReportCPU float64 `json:"report_cpu,omitempty"`
	Accounts  int     `json:"accounts,omitempty"` // known only with the report
	HeapMiB   float64 `json:"heap_mib"`           // live heap after the read
	MaxRSSMiB float64 `json:"max_rss_mib"`        // the child's peak resident memory
	// OthersCPU is the CPU time the rest of the machine used while the
	// child ran (the parent's reading of /proc/stat).
	OthersCPU float64 `json:"others_cpu"`
}

// TestScanScale measures the scan of tiled logs of 1M and 10M lines, each
// configuration in a child process (so that peak memories do not mix):
// CPU seconds (robust to other load on the machine), wall time, lines per
// second and peak RSS, serial (Read and Add) and parallel (ReadLogs), at
// GOMAXPROCS 1 and 2. FORENSICS_SCALE picks cases by name (comma-
// separated; default all), FORENSICS_SCALE_MODES the modes,
// FORENSICS_SCALE_REPORT=1 times Report too, FORENSICS_SCALE_DIR keeps
// the logs (about 5.6 GB for 10M lines) between runs. Most of an hour for
// everything.
func TestScanScale(t *testing.T) {
	measure.Require(t, "scan-logs on 1M and 10M lines in child processes, about 30 min")
	dir := os.Getenv("FORENSICS_SCALE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	modes := strings.Split(envOr("FORENSICS_SCALE_MODES", "serial,parallel"), ",")
	pick := envOr("FORENSICS_SCALE", "")
	for _, c := range scaleCases {
		if pick != "" && !slices.Contains(strings.Split(pick, ","), c.name) {
			continue
		}
		path := tiledLog(t, dir, c)
		for _, procs := range []int{1, 2} {
			for _, mode := range modes {
				r := runScaleChild(t, path, mode, procs)
				t.Logf("%-8s %-8s GOMAXPROCS %d: %d lines, read %.1f s wall, %.1f CPU-s, %.0f lines/s, %.0f lines/CPU-s; heap %.0f MiB, peak RSS %.0f MiB; others used %.0f CPU-s meanwhile%s",
					c.name, mode, procs, r.Lines, r.ReadSec, r.ReadCPU, float64(r.Lines)/r.ReadSec, float64(r.Lines)/r.ReadCPU, r.HeapMiB, r.MaxRSSMiB, r.OthersCPU, reportNote(r))
			}
		}
	}
}

func reportNote(r scaleResult) string {
	if r.ReportSec == 0 {
		return ""
	}
	return fmt.Sprintf("; report of %d accounts %.1f s wall, %.1f CPU-s", r.Accounts, r.ReportSec, r.ReportCPU)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// tiledLog writes (or finds, from an earlier run) the case's log.
func tiledLog(t *testing.T, dir string, c scaleCase) string {
	t.Helper()
	path := filepath.Join(dir, "scale-"+c.name+".jsonl")
	if data, err := os.ReadFile(path + ".stats"); err == nil {
		t.Logf("%s: %s (written before)", c.name, data)
		return path
	}
	base := filepath.Join(dir, "scale-base.jsonl")
	if _, err := os.Stat(base); err != nil {
		var buf bytes.Buffer
		if _, err := traffic.Simulate(traffic.Config{Accounts: 500, Attackers: 10, Days: 7, Seed: 11}, &buf); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(base, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	baseLines, baseAccounts := countLog(t, base)
	cfg := c.tiling(baseLines, baseAccounts)
	start := time.Now()
	st, err := logtile.WriteFile(path+".tmp", base, cfg)
	if err != nil {
		t.Fatal(err)
	}
	about := fmt.Sprintf("%d lines, %d accounts", st.Lines, st.Accounts)
	if cfg.Keep > 0 { // some accounts may have lost every line: count them
		seen := map[string]bool{}
		if _, err := logscan.Read(context.Background(), []string{path + ".tmp"}, logscan.DefaultLayout(), func(r logscan.Record) error {
			seen[r.Account] = true
			return nil
		}, nil); err != nil {
			t.Fatal(err)
		}
		about = fmt.Sprintf("%d lines, %d accounts", st.Lines, len(seen))
	}
	if err := errors.Join(os.Rename(path+".tmp", path), os.WriteFile(path+".stats", []byte(about), 0o644)); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: wrote %s in %.1f s", c.name, about, time.Since(start).Seconds())
	return path
}

// countLog counts a log's lines and accounts.
func countLog(t *testing.T, path string) (lines, accounts int) {
	t.Helper()
	seen := map[string]bool{}
	st, err := logscan.Read(context.Background(), []string{path}, logscan.DefaultLayout(), func(r logscan.Record) error {
		seen[r.Account] = true
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st.Lines, len(seen)
}

// runScaleChild runs TestScanScaleChild in a new process of this test
// binary and reads its result.
func runScaleChild(t *testing.T, path, mode string, procs int) scaleResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScanScaleChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FORENSICS_SCALE_CHILD="+path, "FORENSICS_SCALE_MODE="+mode, fmt.Sprintf("GOMAXPROCS=%d", procs))
	busy0 := machineBusy(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s %s: %v\n%s", mode, path, err, out)
	}
	others := machineBusy(t) - busy0 - (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	for _, line := range strings.Split(string(out), "\n") {
		if js, ok := strings.CutPrefix(line, "SCALE-RESULT "); ok {
			var r scaleResult
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				t.Fatal(err)
			}
			r.OthersCPU = max(0, others)
			return r
		}
	}
	t.Fatalf("child %s %s printed no result:\n%s", mode, path, out)
	return scaleResult{}
}

// TestScanScaleChild is one measurement of TestScanScale, in its own
// process.
func TestScanScaleChild(t *testing.T) {
	path := os.Getenv("FORENSICS_SCALE_CHILD")
	if path == "" {
		t.Skip("a child process of TestScanScale")
	}
	r := scaleResult{Mode: os.Getenv("FORENSICS_SCALE_MODE"), Procs: runtime.GOMAXPROCS(0)}
	s, err := logscan.NewScanner(logscan.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cpu0, start := cpuSeconds(t), time.Now()
	var st logscan.ReadStats
	if r.Mode == "serial" {
		st, err = logscan.Read(ctx, []string{path}, logscan.DefaultLayout(), func(rec logscan.Record) error { s.Add(rec); return nil }, nil)
	} else {
		st, err = s.ReadLogs(ctx, []string{path}, logscan.ReadOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
	r.ReadSec, r.ReadCPU, r.Lines = time.Since(start).Seconds(), cpuSeconds(t)-cpu0, st.Lines
	r.HeapMiB = float64(heapAfterGC()) / (1 << 20)
	if os.Getenv("FORENSICS_SCALE_REPORT") == "1" {
		cpu0, start = cpuSeconds(t), time.Now()
		rep := s.Report()
		r.ReportSec, r.ReportCPU, r.Accounts = time.Since(start).Seconds(), cpuSeconds(t)-cpu0, len(rep.Accounts)
	}
	r.MaxRSSMiB = peakRSS(t)
	js, _ := json.Marshal(r)
	fmt.Println("SCALE-RESULT " + string(js))
}

// machineBusy is the CPU time all processes have used since boot
// (/proc/stat: everything but idle and iowait, in USER_HZ = 1/100 s).
func machineBusy(t *testing.T) float64 {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	f := strings.Fields(line)
	busy := 0.0
	for i, v := range f[1:] {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatal(err)
		}
		if i != 3 && i != 4 && i < 8 { // idle, iowait; guest time is in user already
			busy += n
		}
	}
	return busy / 100
}

// peakRSS is the process's peak resident memory in MiB: VmHWM, not
// getrusage's ru_maxrss, which a process inherits across exec from the
// process that started it (the parent test's peak, here).
func peakRSS(t *testing.T) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// cpuSeconds is the process's user and system time so far.
func cpuSeconds(t *testing.T) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkReadLogs compares the serial read (Read and Add) with the
// parallel one on a simulated week of 500 accounts; run with -cpu 1,2.
func BenchmarkReadLogs(b *testing.B) {
	var buf bytes.Buffer
	if _, err := traffic.Simulate(traffic.Config{Accounts: 500, Attackers: 10, Days: 7, Seed: 11}, &buf); err != nil {
		b.Fatal(err)
	}
	lines := bytes.Count(buf.Bytes(), []byte("\n"))
	path := filepath.Join(b.TempDir(), "sim.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, mode := range []string{"serial", "parallel"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(buf.Len()))
			for b.Loop() {
				s, _ := logscan.NewScanner(logscan.DefaultConfig())
				var err error
				if mode == "serial" {
					_, err = logscan.Read(ctx, []string{path}, logscan.DefaultLayout(), func(r logscan.Record) error { s.Add(r); return nil }, nil)
				} else {
					_, err = s.ReadLogs(ctx, []string{path}, logscan.ReadOptions{})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
