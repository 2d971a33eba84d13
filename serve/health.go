package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"forensics/serve/state"
)

// Liveness and readiness. /healthz is 200 while the process serves and
// 503 once shutdown has begun (a supervisor restarts on it). /readyz is
// 200 while requests can be served as configured: the backend answers,
// the request log is written, and every check added with
// AddReadinessCheck passes (a shared store, say). Probes that cost
// something (the backend) run at most once per their interval, whatever
// the rate of /readyz requests: a client polling it cannot turn it into
// load on the backend. The public listener answers without detail, the
// admin listener with each check as JSON.

// backendProbeEvery is how often /readyz may ask the backend.
const backendProbeEvery = 5 * time.Second

// probeTimeout bounds one probe.
const probeTimeout = 3 * time.Second

// readiness is the gateway's named checks, each cached.
type readiness struct {
	mu     sync.Mutex
	checks []*cachedCheck
	probes sync.WaitGroup // Close waits for probes running
}

// cachedCheck runs check at most once per every; callers in between get
// the last result, and while a probe runs, callers do not wait for it.
type cachedCheck struct {
	name  string
	every time.Duration
	check func(context.Context) error
	// parent ends probes at Close; probes counts them.
	parent context.Context
	probes *sync.WaitGroup

	mu      sync.Mutex
	at      time.Time // of the last result
	err     error
	running bool
	done    chan struct{} // closed when the first probe ends
}

// AddReadinessCheck adds a named condition to /readyz, probed at most
// once per every (0: on every /readyz, for checks that cost nothing). The
// first /readyz waits for the first probe; later ones take the last
// result while a new probe runs.
func (s *Server) AddReadinessCheck(name string, every time.Duration, check func(context.Context) error) {
	s.ready.mu.Lock()
	defer s.ready.mu.Unlock()
	s.ready.checks = append(s.ready.checks, &cachedCheck{name: name, every: every, check: check, done: make(chan struct{}),
		parent: s.bgCtx, probes: &s.ready.probes})
}

// result is the check's last result, starting a probe if it is stale.
func (c *cachedCheck) result(ctx context.Context, now time.Time) error {
	if c.every == 0 {
		return c.check(ctx)
	}
	c.mu.Lock()
	first := c.at.IsZero()
	if !c.running && (first || now.Sub(c.at) >= c.every) {
		c.running = true
		c.probes.Add(1)
		go c.probe(now)
	}
	c.mu.Unlock()
	if first {
		select {
		case <-c.done:
		case <-ctx.Done():
			return errors.New("not probed yet")
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *cachedCheck) probe(now time.Time) {
	defer c.probes.Done()
	ctx, cancel := context.WithTimeout(c.parent, probeTimeout)
	defer cancel()
	err := c.check(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		defer close(c.done)
	}
	c.at, c.err, c.running = now, err, false
}

// addBuiltinChecks adds the backend and request-log checks.
func (s *Server) addBuiltinChecks() {
	s.AddReadinessCheck("backend", backendProbeEvery, func(ctx context.Context) error {
		_, err := s.backend.Tags(ctx)
		return err
	})
	if s.cfg.State.Redis != "" {
		s.AddReadinessCheck("state", backendProbeEvery, s.lim.st.Ping)
		if r, ok := s.lim.st.(*state.Redis); ok {
			s.AddReadinessCheck("clock", clockCheckEvery, func(ctx context.Context) error { return s.checkClock(ctx, r) })
		}
	}
	if s.log != nil {
		s.AddReadinessCheck("request_log", 0, func(context.Context) error { return s.log.Healthy() })
	}
}

// clockCheckEvery is how often a replica compares its clock with Redis's.
const clockCheckEvery = 30 * time.Second

// maxSkew is how far a replica's clock may be from Redis's before it is
// not ready: half the margin a case decision leaves before its boundary
// (switchMargin, or a quarter of the window), the time every replica has
// to switch at the same instant.
func (s *Server) maxSkew() time.Duration {
	return min(switchMargin, time.Duration(s.window)/4) / 2
}

// checkClock fails when this replica's clock is further from Redis's than
// maxSkew: it would switch accounts into and out of their cases at
// another time than the other replicas. A smaller skew over a second is
// logged.
func (s *Server) checkClock(ctx context.Context, r *state.Redis) error {
	skew, err := r.ClockSkew(ctx)
	if err != nil {
		return err
	}
	return s.judgeSkew(skew)
}

// judgeSkew is checkClock's verdict on a measured skew.
func (s *Server) judgeSkew(skew time.Duration) error {
	abs := max(skew, -skew)
	if abs > s.maxSkew() {
		s.slog.Error("this replica's clock is off from Redis's by more than half the case-switch margin: keep replicas on NTP", "skew", skew, "max", s.maxSkew())
		return fmt.Errorf("clock %v off from the shared state's (at most %v): case switches would not be simultaneous", skew.Round(time.Millisecond), s.maxSkew())
	}
	if abs > time.Second {
		s.slog.Warn("this replica's clock is off from Redis's", "skew", skew)
	}
	return nil
}

// checkReady runs every check; the map holds each one's error ("ok").
func (s *Server) checkReady(ctx context.Context) (map[string]string, bool) {
	s.ready.mu.Lock()
	checks := append([]*cachedCheck(nil), s.ready.checks...)
	s.ready.mu.Unlock()
	out := map[string]string{}
	ok := true
	now := s.now()
	for _, c := range checks {
		out[c.name] = "ok"
		if err := c.result(ctx, now); err != nil {
			out[c.name], ok = err.Error(), false
		}
	}
	return out, ok
}

// handleHealth is liveness: 200 until shutdown begins, then 503.
func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	if s.stopping.Load() {
		writeError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	io.WriteString(w, "ok\n")
}

// handleReady is readiness; with detail (the admin listener) it answers
// each check as JSON.
func (s *Server) handleReady(detail bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
		defer cancel()
		checks, ok := s.checkReady(ctx)
		if s.stopping.Load() {
			checks["shutdown"], ok = "shutting down", false
		}
		status := http.StatusOK
		if !ok {
			status = http.StatusServiceUnavailable
		}
		if detail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]any{"ready": ok, "checks": checks})
			return
		}
		if !ok {
			writeError(w, status, "not ready")
			return
		}
		io.WriteString(w, "ok\n")
	}
}
