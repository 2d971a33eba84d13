package serve

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestLogThrottled: a flood of one kind of error writes one line a
// second, the next carrying how many were left out; other kinds are not
// held back by it.
func TestLogThrottled(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(1_000_000, 0)
	s := &Server{slog: slog.New(slog.NewTextHandler(&buf, nil)), now: func() time.Time { return clock }}
	for range 500 {
		s.logThrottled(slog.LevelError, "upstream", "backend error", "request_id", "r1")
	}
	s.logThrottled(slog.LevelError, "log_append", "request log: a line waits in memory")
	clock = clock.Add(time.Second)
	s.logThrottled(slog.LevelError, "upstream", "backend error", "request_id", "r2")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "request_id=r1") || strings.Contains(lines[0], "suppressed") ||
		!strings.Contains(lines[1], "waits in memory") ||
		!strings.Contains(lines[2], "request_id=r2") || !strings.Contains(lines[2], "suppressed=499") {
		t.Fatalf("lines:\n%s", buf.String())
	}
}
