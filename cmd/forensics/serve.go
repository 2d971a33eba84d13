package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"forensics/evidence"
	"forensics/internal/buildinfo"
	"forensics/llm/embedded"
	"forensics/llm/ollama"
	"forensics/serve"
)

type serveOptions struct {
	io     *ioStreams
	Config string
	Listen string
	// LogFormat and LogLevel are the gateway's own log lines on stderr
	// (overriding the config's gateway_log).
	LogFormat string
	LogLevel  string
	// ready, if set, receives the bound address (tests).
	ready func(addr string)
}

func newCmdServe(io *ioStreams, runF func(context.Context, *serveOptions) error) *cobra.Command {
	opts := &serveOptions{io: io}
	cmd := &cobra.Command{
		Use:   "serve --config serve.yaml",
		Short: "Run the watermarking gateway",
		Long: `Run the watermarking gateway: an HTTP server that speaks Ollama's API
(/api/generate, /api/chat, /api/tags, /api/show, /api/ps, embeddings) and
OpenAI's (/v1/chat/completions, /v1/completions, /v1/models,
/v1/embeddings), in front of an Ollama server or the
embedded model. Every generated token is sampled from the watermarked
distribution of the caller's account key; every request is logged as one
JSON line (the input of scan-logs), chained by SHA-256 with periodic
(signed) checkpoints that "forensics verify-log" checks; /metrics serves
Prometheus metrics to the admin key (or on admin_listen) and /healthz a
liveness check (503 once shutdown begins) and /readyz a readiness check
(backend reachable, request log written).

Clients authenticate with "Authorization: Bearer KEY" (or Basic with the
key as user or password, or X-API-Key); Ollama's CLI with
OLLAMA_HOST=http://host:port/k/KEY (docs/gateway-api.md). The config
stores only SHA-256 hashes of keys (see "serve apikey").

The config must name at least one account and either log.path or
log: {disabled: true}: an empty config is refused, not served.

SIGHUP reloads the config without a restart: accounts, their API keys,
limits and models, admin keys and new watermark key names change at once
(used quota is kept; a removed account's keys are refused at once), and
fields that need a restart are kept and named in a warning; an invalid
new config is refused and the running one stays (POST /admin/reload does
the same). Every reload is an event line in the request log.

The gateway's own events (start, reloads, backend and request-log
errors, risk and case decisions, shutdown) go to stderr through log/slog,
as text or JSON (--log-format; gateway_log in the config), without
secrets or prompts.

SIGINT or SIGTERM stops accepting connections, lets running generations
finish (up to shutdown_timeout), and flushes the request log.`,
		Example: `  forensics keygen --out key.yaml
  forensics serve --config serve.example.yaml
  curl -s localhost:8080/api/generate -H 'Authorization: Bearer dev-key-change-me' \
    -d '{"model":"embedded","prompt":"The letter said","stream":false}'`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Config == "" {
				return usagef("--config is required (serve.example.yaml is a start)")
			}
			if err := checkLogFlags(opts.LogFormat, opts.LogLevel); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return serveRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Config, "config", "c", "", "gateway configuration (YAML)")
	cmd.Flags().StringVar(&opts.Listen, "listen", "", "address to listen on (overrides the config's listen)")
	cmd.Flags().StringVar(&opts.LogFormat, "log-format", "", "the gateway's own log lines: text or json (default: gateway_log.format, else text)")
	cmd.Flags().StringVar(&opts.LogLevel, "log-level", "", "debug, info, warn or error (default: gateway_log.level, else info)")
	cmd.AddCommand(newCmdServeAPIKey(io, nil), newCmdServeKeys(io))
	return cmd
}

type serveAPIKeyOptions struct {
	io   *ioStreams
	JSON bool
}

func newCmdServeAPIKey(io *ioStreams, runF func(context.Context, *serveAPIKeyOptions) error) *cobra.Command {
	opts := &serveAPIKeyOptions{io: io}
	cmd := &cobra.Command{
		Use:   "apikey",
		Short: "Make a new API key and the hash to put in the config",
		Long: `Print a new random API key (give it to the customer) and its SHA-256
hash (put it under the account's api_keys). The gateway never stores keys.`,
		Example: `  forensics serve apikey`,
		Args:    maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return serveAPIKeyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}

func serveAPIKeyRun(_ context.Context, opts *serveAPIKeyOptions) error {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	key := "fk-" + hex.EncodeToString(b[:])
	if opts.JSON {
		return writeJSON(opts.io.Out, map[string]string{"api_key": key, "hash": serve.HashAPIKey(key)})
	}
	fmt.Fprintf(opts.io.Out, "api key  %s\nhash     %s\n", key, serve.HashAPIKey(key))
	return nil
}

func serveRun(ctx context.Context, opts *serveOptions) error {
	cfg, err := serve.LoadConfig(opts.Config)
	if err != nil {
		return err
	}
	if err := cfg.CheckServing(); err != nil {
		return fmt.Errorf("config %s: %w", opts.Config, err)
	}
	override := func(c *serve.Config) {
		if opts.Listen != "" {
			c.Listen = opts.Listen
		}
	}
	override(cfg)
	logger, err := gatewayLogger(opts.io.ErrOut, cfg.GatewayLog, opts.LogFormat, opts.LogLevel)
	if err != nil {
		return err
	}
	backend, err := serveBackend(cfg)
	if err != nil {
		return err
	}
	var signer ed25519.PrivateKey
	if cfg.Log.SigningKey != "" {
		if signer, err = evidence.LoadSigningKey(cfg.Path(cfg.Log.SigningKey)); err != nil {
			return err
		}
	}
	gw, err := serve.New(cfg, serve.Options{Backend: backend, LogSigner: signer, Logger: logger, Version: buildinfo.Current().Label(), Build: buildinfo.Current(), ConfigPath: opts.Config, Adjust: override})
	if err != nil {
		return err
	}
	servers, listeners, err := gatewayServers(gw, cfg)
	if err != nil {
		gw.Close()
		return err
	}
	// Registered before anyone learns the address: an early SIGHUP must
	// reload, not kill.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	logStarted(logger, cfg, backend, listeners)
	if opts.ready != nil {
		opts.ready(listeners[0].Addr().String())
	}
	return serveUntilDone(ctx, logger, gw, cfg, servers, listeners, hup)
}

// logStarted says where the gateway listens and what it serves.
func logStarted(logger *slog.Logger, cfg *serve.Config, backend serve.Backend, listeners []net.Listener) {
	args := []any{"url", "http://" + listeners[0].Addr().String(), "listen", listeners[0].Addr().String(), "backend", backend.Name(), "accounts", len(cfg.Accounts),
		"log", cfg.Log.Path, "admin_keys", len(cfg.AdminAPIKeys)}
	if cfg.Log.Disabled {
		args = append(args, "log_disabled", true)
	}
	if cfg.ListenIsDefault() {
		args = append(args, "listen_default", true)
	}
	if len(listeners) > 1 {
		args = append(args, "admin_listen", listeners[1].Addr().String())
	}
	logger.Info("forensics serve: started", args...)
	if cfg.Log.Disabled {
		logger.Warn("no request log (log.disabled): requests are served unlogged; scan-logs and evidence will have nothing of them")
	}
}

// serveBackend opens the model the config names.
func serveBackend(cfg *serve.Config) (serve.Backend, error) {
	switch cfg.Backend.Kind {
	case "embedded":
		m, err := embedded.Load()
		if err != nil {
			return nil, err
		}
		return serve.NewEmbeddedBackend(m), nil
	case "ollama":
		u, err := ollama.ParseHost(cfg.Backend.URL)
		if err != nil {
			return nil, err
		}
		oc := ollama.New(u, &http.Client{Timeout: cfg.Backend.Timeout.Duration})
		oc.Chunk, oc.Cancel = cfg.Backend.ChunkTokens, cfg.Backend.CancelStreams
		return serve.NewOllamaBackend(oc), nil
	case "openai":
		return openAIBackend(cfg)
	}
	return nil, fmt.Errorf("backend kind %q: want embedded, ollama or openai", cfg.Backend.Kind) // LoadConfig refuses it first
}

// gatewayServers listens on the gateway's address (with its connection
// limits) and on the admin address if the config has one: the API server
// and its listener first, then the admin one.
func gatewayServers(gw *serve.Server, cfg *serve.Config) ([]*http.Server, []net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	limited := serve.LimitListener(ln, cfg.HTTP.MaxConnections, cfg.HTTP.MaxConnectionsPerIP)
	servers := []*http.Server{gw.HTTPServer(gw.Handler(), limited)}
	listeners := []net.Listener{limited}
	if cfg.AdminListen != "" {
		aln, err := net.Listen("tcp", cfg.AdminListen)
		if err != nil {
			ln.Close()
			return nil, nil, fmt.Errorf("listen %s: %w", cfg.AdminListen, err)
		}
		servers = append(servers, gw.HTTPServer(gw.AdminHandler(), nil))
		listeners = append(listeners, aln)
	}
	return servers, listeners, nil
}

// serveUntilDone serves until a server fails or ctx ends, reloading the
// config on each SIGHUP, then shuts down: running requests get up to the
// config's shutdown_timeout, and the request log is flushed.
func serveUntilDone(ctx context.Context, logger *slog.Logger, gw *serve.Server, cfg *serve.Config, servers []*http.Server, listeners []net.Listener, hup <-chan os.Signal) error {
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	var serveErr error
wait:
	for {
		select {
		case serveErr = <-errc:
			break wait
		case <-ctx.Done():
			break wait
		case <-hup:
			gw.ReloadFile("sighup") // logged, refused or not
		}
	}
	gw.BeginShutdown()
	logger.Info("forensics serve: shutting down", "grace", cfg.ShutdownTimeout.Duration)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout.Duration)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); errors.Is(err, context.DeadlineExceeded) {
			srv.Close() // cut the streams still running; their contexts end them
		}
	}
	logErr := gw.Close()
	for range servers {
		if err := <-errc; serveErr == nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return errors.Join(fmt.Errorf("serve: %w", serveErr), logErr)
	}
	if logErr != nil {
		return fmt.Errorf("stopped, but the request log is incomplete: %w", logErr)
	}
	logger.Info("forensics serve: stopped; request log flushed")
	return nil
}
