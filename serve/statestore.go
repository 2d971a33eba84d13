package serve

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"forensics/serve/state"
)

// openState opens the config's state store: Redis when state.redis is
// set (and refuses to start without it: limits that do not hold across
// replicas are no limits), memory otherwise, with the keys added at run
// time in state.dir if set.
func (s *Server) openState() error {
	cfg := s.cfg.State
	if cfg.Redis != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r, err := state.OpenRedis(ctx, state.RedisOptions{URL: cfg.Redis, Prefix: cfg.Prefix})
		if err != nil {
			return fmt.Errorf("state.redis %s is unreachable, so the gateway does not start (its rate limits, budgets, suspensions and keys would not hold across replicas): %w", redactURL(cfg.Redis), err)
		}
		s.lim.st = r
		s.slog.Info("state in redis", "url", redactURL(cfg.Redis), "prefix", cfg.Prefix)
		if err := s.checkClock(ctx, r); err != nil {
			s.slog.Error("state: clock check at start", "err", err)
		}
		if r.Initialised {
			// Loud: the same line follows a Redis that lost its data.
			s.slog.Warn("shared state initialised: Redis held no epoch marker under this prefix. On a first start that is expected; otherwise the revocations, suspensions and used quota it held are gone (configure Redis with appendonly yes; docs/replicas.md)",
				"url", redactURL(cfg.Redis), "prefix", cfg.Prefix)
		}
		return nil
	}
	keyFile := ""
	if cfg.Dir != "" {
		dir := s.cfg.path(cfg.Dir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("state.dir: %w", err)
		}
		keyFile = filepath.Join(dir, "keys.json")
	}
	m, err := state.NewMemory(s.now, keyFile)
	if err != nil {
		return err
	}
	s.lim.st = m
	return nil
}

// redactURL hides a password in a Redis URL, for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// defaultStore is the memory store a Server has until openState.
func defaultStore(now func() time.Time) state.Store {
	m, _ := state.NewMemory(now, "") // without a file it cannot fail
	return m
}

// caseFeed is the feed of case decisions between replicas: the one given,
// or with state.redis one on the state store's connection (nil: none).
func (s *Server) caseFeed(given CaseFeed) CaseFeed {
	if r, ok := s.lim.st.(*state.Redis); ok && given == nil {
		return NewRedisCaseFeed(r.Client(), r.Prefix())
	}
	return given
}

// noteLost logs, once, that the shared state lost its data: the error
// every request then gets is logged at most once a second, and this one
// must not drown among them.
func (s *Server) noteLost(err error) {
	if errors.Is(err, state.ErrLost) && s.lim.lostLogged.CompareAndSwap(false, true) {
		s.slog.Error("shared state lost its data: refusing every request until this replica is restarted (configure Redis with appendonly yes; docs/replicas.md)", "err", err)
	}
}
