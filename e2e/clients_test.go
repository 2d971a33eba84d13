package e2e

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"forensics/llm/ollama"
	"forensics/serve"
	"forensics/watermark"
)

// Keys of the accounts the client suite uses besides wmKey: one request at
// a time (a 429 a client should wait out), and a daily token budget of
// budgetTokens (once spent, a 429 it should not wait out).
const (
	concurrentKey = "one-at-a-time-key"
	budgetKey     = "small-budget-key"
	budgetTokens  = 60
	// clientModel is the model every client asks for; answers are cut at
	// clientTokens tokens (the gateway's default too, for the CLI).
	clientModel  = modelLong
	clientTokens = 100
)

// clientResult is one row of the table: one client call and what came of
// it. Node scripts print these as JSON lines; the Go rows fill them too.
type clientResult struct {
	Client   string     `json:"client"`
	Call     string     `json:"call"`
	OK       bool       `json:"ok"`
	Status   int        `json:"status"`
	Detail   string     `json:"detail"`
	Text     string     `json:"text,omitempty"`
	MS       int64      `json:"ms,omitempty"` // how long the call took
	Requests []exchange `json:"requests,omitempty"`
}

// exchange is one HTTP request a client made and the gateway's answer.
type exchange struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
	ID     string `json:"id"`           // X-Request-Id
	At     int64  `json:"at,omitempty"` // Unix ms, when the answer's headers came
	// Aborted: the client went away mid-answer on purpose, so the log may
	// give the request another status than the headers had.
	Aborted bool `json:"aborted,omitempty"`
}

// clientGateway is the gateway the clients talk to, in front of a real
// Ollama, with its key and request log.
type clientGateway struct {
	hs      *httptest.Server
	key     *watermark.Key
	logPath string
}

func startClientGateway(t *testing.T, o *ollamaServer) *clientGateway {
	t.Helper()
	k, err := watermark.NewKey("e2e-clients", watermark.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "requests.jsonl")
	cfg, err := serve.ParseConfig([]byte(fmt.Sprintf(`
backend: {kind: ollama, url: %q}
models:
  - {name: %s, upstream: "%s:latest"}
keys: {k: unused.yaml}
defaults: {key: k, limits: {requests_per_hour: 10000, tokens_per_day: 10000000}}
accounts:
  - {name: wm, api_keys: [%q]}
  - {name: one-at-a-time, api_keys: [%q], watermark: false, limits: {concurrent: 1}}
  - {name: small-budget, api_keys: [%q], limits: {tokens_per_day: %d}}
log: {path: %s}
requests: {default_tokens: %d}
`, o.host, clientModel, clientModel, serve.HashAPIKey(wmKey), serve.HashAPIKey(concurrentKey), serve.HashAPIKey(budgetKey),
		budgetTokens, logPath, clientTokens)))
	if err != nil {
		t.Fatal(err)
	}
	opts := serve.Options{Backend: serve.NewOllamaBackend(ollama.New(o.url(), nil)), Keys: map[string]*watermark.Key{"k": k}}
	srv, err := serve.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return &clientGateway{hs: hs, key: k, logPath: logPath}
}

// TestClients drives the gateway, in front of a real Ollama, with clients
// nobody here wrote, unchanged: the `openai` and `ollama` npm packages
// (e2e/clients, installed by scripts/install-clients.sh), Ollama's Go api
// client and the `ollama` CLI, and raw HTTP for what browsers and probes
// send. Every call is a row of one table (printed, and written to
// .cache/clients-results.md); every row must be green. Then every answer
// a client got must carry the account's watermark, and every HTTP
// exchange must be in the request log once, with its status.
func TestClients(t *testing.T) {
	o := server(t)
	gw := startClientGateway(t, o)
	var rows []clientResult
	rows = append(rows, rawHTTPRows(t, gw)...)
	rows = append(rows, nodeRows(t, gw)...)
	rows = append(rows, goClientRows(t, gw)...)
	rows = append(rows, cliRows(t, gw, o)...)
	rows = append(rows, watermarkRows(t, gw, o, rows)...)
	rows = append(rows, requestLogRows(t, gw, rows)...)
	table := clientTable(rows)
	t.Logf("client calls through the gateway:\n%s", table)
	if path, err := writeClientTable(rows, table); err != nil {
		t.Errorf("write the table: %v", err)
	} else {
		t.Logf("table written to %s", path)
	}
	for _, r := range rows {
		if !r.OK {
			t.Errorf("%s %s: %d %s", r.Client, r.Call, r.Status, r.Detail)
		}
	}
}

// requireClients reports whether the suite must have the Node clients
// (make test sets FORENSICS_REQUIRE_CLIENTS=1) rather than skip them.
func requireClients() bool { return os.Getenv("FORENSICS_REQUIRE_CLIENTS") == "1" }
