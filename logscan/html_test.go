package logscan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"forensics/internal/reporttools"
	"forensics/internal/traffic"
	"forensics/logscan"
)

// pageLog writes a small simulated log with campaigns and its accounts
// file: 120 benign accounts and 4 campaigns over 3 days.
func pageLog(t *testing.T) (logPath string, opts logscan.Options) {
	t.Helper()
	dir := t.TempDir()
	var buf, accts bytes.Buffer
	if _, err := traffic.Simulate(traffic.Config{Accounts: 120, Attackers: 4, Days: 3, Seed: 5, AccountsOut: &accts}, &buf); err != nil {
		t.Fatal(err)
	}
	logPath = filepath.Join(dir, "log.jsonl")
	acctPath := filepath.Join(dir, "accounts.jsonl")
	if err := os.WriteFile(logPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(acctPath, accts.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	opts = simOptions()
	var err error
	if opts.Business, err = logscan.LoadAccounts(context.Background(), acctPath); err != nil {
		t.Fatal(err)
	}
	return logPath, opts
}

// TestFiringTimesLeaveReportAlone: the replay for the page changes
// nothing in the report (its JSON is byte for byte the one without), it
// ends where the scan did (the log is in time order), with the prior and
// with the log as the reference, and the page is the same read serially
// or on several cores.
func TestFiringTimesLeaveReportAlone(t *testing.T) {
	path, opts := pageLog(t)
	pages := map[string][]byte{}
	for _, tc := range []struct {
		reference string
		workers   int
	}{{logscan.RefPrior, 1}, {logscan.RefPrior, 3}, {logscan.RefLog, 2}} {
		o := opts
		o.Reference, o.Workers = tc.reference, tc.workers
		plain, err := logscan.ScanWith(context.Background(), logscan.DefaultConfig(), o, []string{path}, nil)
		if err != nil {
			t.Fatal(err)
		}
		o.FiringTimes = true
		rep, err := logscan.ScanWith(context.Background(), logscan.DefaultConfig(), o, []string{path}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(plain)
		b, _ := json.Marshal(rep)
		if !bytes.Equal(a, b) {
			t.Errorf("%+v: the report with firing times differs from the one without", tc)
		}
		checkReplayEnds(t, rep)
		page := writePage(t, rep)
		if prev, ok := pages[tc.reference]; ok && !bytes.Equal(prev, page) {
			t.Errorf("%+v: report.html differs from the one read on another number of cores", tc)
		}
		pages[tc.reference] = page
		for _, want := range []string{`id="fig-scores"`, `id="fig-activity-1"`, "first fired by", "own action"} {
			if !bytes.Contains(page, []byte(want)) {
				t.Errorf("%+v: report.html lacks %q", tc, want)
			}
		}
	}
}

// checkReplayEnds: each replayed account's last judgement is its final
// own score.
func checkReplayEnds(t *testing.T, rep *logscan.Report) {
	t.Helper()
	ends := logscan.ReplayEnds(rep)
	if len(ends) == 0 {
		t.Fatal("no account was replayed")
	}
	for name, e := range ends {
		if e[0] != e[1] {
			t.Errorf("%s: the replay ends at score %.2f, the scan at %.2f", name, e[0], e[1])
		}
	}
}

// writePage writes the report's outputs and returns report.html.
func writePage(t *testing.T, rep *logscan.Report) []byte {
	t.Helper()
	dir := t.TempDir()
	if err := logscan.WriteOutputs(rep, dir); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	return page
}

// TestReportPageInChromium renders the page of a small simulated scan in
// headless Chromium: no console errors, the figures in the DOM, and it
// prints to PDF.
func TestReportPageInChromium(t *testing.T) {
	chromium := reporttools.Need(t, "chromium")
	path, opts := pageLog(t)
	opts.FiringTimes = true
	rep, err := logscan.ScanWith(context.Background(), logscan.DefaultConfig(), opts, []string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := logscan.WriteOutputs(rep, dir); err != nil {
		t.Fatal(err)
	}
	page := "file://" + filepath.Join(dir, "report.html")
	dom := reporttools.Chromium(t, chromium, "--dump-dom", page)
	want := []string{`id="fig-scores"`, "Distribution of the accounts' scores", `id="fig-activity-1"`, "Requests over time and when indicators fired"}
	if len(rep.Clusters) > 0 {
		want = append(want, `id="fig-cluster-`, "the links between them")
	}
	for _, w := range want {
		if !strings.Contains(dom, w) {
			t.Errorf("the DOM Chromium built lacks %q", w)
		}
	}
	printed := filepath.Join(t.TempDir(), "printed.pdf")
	reporttools.Chromium(t, chromium, "--print-to-pdf="+printed, page)
	if st, err := os.Stat(printed); err != nil || st.Size() < 10_000 {
		t.Errorf("printed PDF: %v (%v)", st, err)
	}
	if pdftotext, err := exec.LookPath("pdftotext"); err == nil {
		out, err := exec.Command(pdftotext, printed, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"Summary", "How the scores are distributed", "Flagged accounts over time"} {
			if !strings.Contains(string(out), w) {
				t.Errorf("the printed page lacks %q", w)
			}
		}
	}
}

// TestReplayOutOfOrder: logs given out of time order (a rotated file after
// the current one) still replay, and the page says the times are
// approximate.
func TestReplayOutOfOrder(t *testing.T) {
	path, opts := pageLog(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	half := len(lines) / 2
	dir := t.TempDir()
	older, newer := filepath.Join(dir, "requests.jsonl.1"), filepath.Join(dir, "requests.jsonl")
	if err := os.WriteFile(older, bytes.Join(lines[:half], nil), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(newer, bytes.Join(lines[half:], nil), 0o644); err != nil {
		t.Fatal(err)
	}
	opts.FiringTimes = true
	rep, err := logscan.ScanWith(context.Background(), logscan.DefaultConfig(), opts, []string{newer, older}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if page := writePage(t, rep); !bytes.Contains(page, []byte("came out of time order; its firing times are approximate")) {
		t.Error("the page does not say the replay was out of time order")
	}
}

// TestShortLogPage: a log of one minute (the demo's, an incident's) is
// drawn in seconds, in more than one bar, and its indicators fire at
// different times, not all at the end.
func TestShortLogPage(t *testing.T) {
	path, opts := pageLog(t)
	short := squeezeLog(t, path, time.Minute)
	opts.FiringTimes = true
	rep, err := logscan.ScanWith(context.Background(), logscan.DefaultConfig(), opts, []string{short}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkReplayEnds(t, rep)
	page := string(writePage(t, rep))
	fig, _, _ := strings.Cut(page[strings.Index(page, `id="fig-activity-1"`):], "</svg>")
	if n := strings.Count(fig, `class="bar"`); n < 2 {
		t.Errorf("%d bars for a minute's log", n)
	}
	if !strings.Contains(fig, "per second") {
		t.Error("the bars are not per second")
	}
	fired := map[string]bool{}
	for _, m := range regexp.MustCompile(`first fired by ([^<]+)<`).FindAllStringSubmatch(page, -1) {
		fired[m[1]] = true
	}
	if len(fired) < 2 {
		t.Errorf("indicators first fired at %d distinct times (%v), want several", len(fired), fired)
	}
}

// squeezeLog rewrites a log's times into span, keeping their order and
// relative spacing (to the second), and returns the new file.
func squeezeLog(t *testing.T, path string, span time.Duration) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]json.RawMessage
	var times []time.Time
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var r map[string]json.RawMessage
		var ts time.Time
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(r["ts"], &ts); err != nil {
			t.Fatal(err)
		}
		recs, times = append(recs, r), append(times, ts)
	}
	first, last := times[0], times[len(times)-1]
	var out bytes.Buffer
	for i, r := range recs {
		at := first.Add(time.Duration(float64(span) * float64(times[i].Sub(first)) / float64(last.Sub(first)))).Truncate(time.Second)
		r["ts"], _ = json.Marshal(at.UTC().Format(time.RFC3339))
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(append(line, '\n'))
	}
	short := filepath.Join(t.TempDir(), "short.jsonl")
	if err := os.WriteFile(short, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return short
}
