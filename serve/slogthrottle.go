package serve

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// throttledLog bounds the gateway's own log lines of one kind to one a
// second: errors a client can cause (a backend failing under its
// requests, a full disk) must show in the log without letting the client
// flood it. The next line of a kind carries how many were left out.
type throttledLog struct {
	mu      sync.Mutex
	last    map[string]time.Time
	dropped map[string]int
}

// throttleEvery is how often one kind of line may be written.
const throttleEvery = time.Second

// logThrottled writes one line of kind at most once per throttleEvery;
// the lines in between are counted into the next one's "suppressed".
func (s *Server) logThrottled(level slog.Level, kind, msg string, args ...any) {
	t := &s.throttle
	now := s.now()
	t.mu.Lock()
	if t.last == nil {
		t.last, t.dropped = map[string]time.Time{}, map[string]int{}
	}
	if last, ok := t.last[kind]; ok && now.Sub(last) < throttleEvery && !now.Before(last) {
		t.dropped[kind]++
		t.mu.Unlock()
		return
	}
	t.last[kind] = now
	n := t.dropped[kind]
	delete(t.dropped, kind)
	t.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	s.slog.Log(context.Background(), level, msg, args...)
}
