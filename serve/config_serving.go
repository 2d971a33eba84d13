package serve

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// GatewayLogConfig is the gateway's own event log (stderr), not the
// request log.
type GatewayLogConfig struct {
	// Format is text (default) or json.
	Format string `yaml:"format"`
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
}

// SlogLevel is the level a gateway_log level names ("" is info).
func SlogLevel(name string) (slog.Level, error) {
	var l slog.Level
	if name == "" {
		return slog.LevelInfo, nil
	}
	if err := l.UnmarshalText([]byte(strings.ToUpper(name))); err != nil || strings.ContainsAny(name, "+-") {
		return 0, fmt.Errorf("log level %q: want debug, info, warn or error", name)
	}
	return l, nil
}

func (c *Config) validateGatewayLog() error {
	switch c.GatewayLog.Format {
	case "", "text", "json":
	default:
		return fmt.Errorf("gateway_log: format %q: want text or json", c.GatewayLog.Format)
	}
	if _, err := SlogLevel(c.GatewayLog.Level); err != nil {
		return fmt.Errorf("gateway_log: %w", err)
	}
	return nil
}

// ErrNotServable wraps the reasons CheckServing refuses a config.
var ErrNotServable = errors.New("config cannot be served")

// CheckServing is what a config must say before `forensics serve` runs it
// (and before a reload replaces a running one): ParseConfig accepts less,
// for programs and tests that build gateways in process. An empty or
// truncated file must not start, or reload into, a gateway that serves
// nobody or logs nothing without anyone having said so.
func (c *Config) CheckServing() error {
	var errs []string
	if len(c.Accounts) == 0 {
		errs = append(errs, ("no accounts: nobody could call the gateway; add one under accounts: with the hash `forensics serve apikey` prints (serve.example.yaml shows the shape)"))
	}
	if c.Log.Path == "" && !c.Log.Disabled {
		errs = append(errs, ("no log.path: every request is logged to it (set log: {path: requests.jsonl}); to run without a request log, say so with log: {disabled: true}"))
	}
	if len(errs) > 0 {
		// One line: it is printed by the CLI and by a text logger alike.
		return fmt.Errorf("%w: %s", ErrNotServable, strings.Join(errs, "; and "))
	}
	return nil
}

// ListenIsDefault reports whether listen was left out (the gateway then
// says at start which address it took).
func (c *Config) ListenIsDefault() bool { return c.listenDefault }
