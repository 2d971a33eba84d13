package logscan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/internal/traffic"
	"forensics/logscan"
)

// pageLog writes a small simulated log with campaigns and its accounts
// file: 80 benign accounts and 4 campaigns over 3 days.
func pageLog(t *testing.T) (logPath string, opts logscan.Options) {
	t.Helper()
	dir := t.TempDir()
	var buf, accts bytes.Buffer
	if _, err := traffic.Simulate(traffic.Config{Accounts: 80, Attackers: 4, Days: 3, Seed: 5, AccountsOut: &accts}, &buf); err != nil {
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
// nothing in the report (its JSON is byte for byte the one without), and
// the page is the same read serially or on several cores.
func TestFiringTimesLeaveReportAlone(t *testing.T) {
	path, opts := pageLog(t)
	plain, err := logscan.ScanWith(context.Background(), logscan.DefaultConfig(), opts, []string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pages [][]byte
	for _, workers := range []int{1, 3} {
		o := opts
		o.FiringTimes, o.Workers = true, workers
		rep, err := logscan.ScanWith(context.Background(), logscan.DefaultConfig(), o, []string{path}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(plain)
		b, _ := json.Marshal(rep)
		if !bytes.Equal(a, b) {
			t.Errorf("workers %d: the report with firing times differs from the one without", workers)
		}
		dir := t.TempDir()
		if err := logscan.WriteOutputs(rep, dir); err != nil {
			t.Fatal(err)
		}
		page, err := os.ReadFile(filepath.Join(dir, "report.html"))
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page)
	}
	if !bytes.Equal(pages[0], pages[1]) {
		t.Error("report.html differs between 1 and 3 workers")
	}
	for _, want := range []string{`id="fig-scores"`, `id="fig-activity-1"`, "first fired by", "own action"} {
		if !bytes.Contains(pages[0], []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

// TestReportPageInChromium renders the page of a small simulated scan in
// headless Chromium: no console errors, the figures in the DOM, and it
// prints to PDF.
func TestReportPageInChromium(t *testing.T) {
	chromium := needTool(t, "chromium")
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
	dom := runChromium(t, chromium, "--dump-dom", page)
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
	runChromium(t, chromium, "--print-to-pdf="+printed, page)
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

// runChromium runs headless Chromium with args, fails the test on any
// console message, script error or failed fetch it logs, and returns its
// standard output.
func runChromium(t *testing.T, chromium string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
		"--enable-logging=stderr", "--v=0", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, chromium, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") || strings.Contains(line, "net::ERR") {
			t.Errorf("chromium reported: %s", line)
		}
	}
	return stdout.String()
}

// needTool finds a program the page tests use (FORENSICS_REQUIRE_REPORT_TOOLS=1
// makes its absence a failure, as in the report package).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("FORENSICS_REQUIRE_REPORT_TOOLS") != "" {
			t.Fatalf("%s is not installed (apt-get install chromium)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}
