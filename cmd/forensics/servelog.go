package main

import (
	"fmt"
	"io"
	"log/slog"

	"forensics/serve"
)

// checkLogFlags checks --log-format and --log-level before anything runs.
func checkLogFlags(format, level string) error {
	switch format {
	case "", "text", "json":
	default:
		return usagef("--log-format %q: want text or json", format)
	}
	if _, err := serve.SlogLevel(level); err != nil {
		return usagef("--log-level: %v", err)
	}
	return nil
}

// gatewayLogger is the gateway's own log on w: the flags, else the
// config's gateway_log, else text at info.
func gatewayLogger(w io.Writer, cfg serve.GatewayLogConfig, format, level string) (*slog.Logger, error) {
	if format == "" {
		format = cfg.Format
	}
	if level == "" {
		level = cfg.Level
	}
	lv, err := serve.SlogLevel(level)
	if err != nil {
		return nil, fmt.Errorf("gateway log: %w", err)
	}
	ho := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return slog.New(slog.NewTextHandler(w, ho)), nil
}
