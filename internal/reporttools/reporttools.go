// Package reporttools runs the programs the report tests check rendered
// documents with: headless Chromium and pdftotext. CI installs them (make
// report-tools); FORENSICS_REQUIRE_REPORT_TOOLS=1 makes their absence a
// failure rather than a skip. It is for tests only.
package reporttools

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Need finds a program the tests use, or skips the test (fails it when
// FORENSICS_REQUIRE_REPORT_TOOLS is set).
func Need(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("FORENSICS_REQUIRE_REPORT_TOOLS") != "" {
			t.Fatalf("%s is not installed (apt-get install poppler-utils chromium)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// Chromium runs headless Chromium on args and returns its standard
// output; a console message, uncaught error or failed load it logs fails
// the test (a page that runs script or fetches anything).
func Chromium(t testing.TB, chromium string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
		"--enable-logging=stderr", "--v=0", "--user-data-dir=" + t.TempDir()}, args...)...)
	var stdout, logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &logs
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %q: %v\n%s", args, err, logs.Bytes())
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") || strings.Contains(line, "net::ERR") {
			t.Errorf("chromium %q reported: %s", args, line)
		}
	}
	return stdout.String()
}
