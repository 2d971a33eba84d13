package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nodeScripts are the Node scripts in e2e/clients, each with the key its
// calls use (the budget and one-at-a-time keys go in as extra variables).
var nodeScripts = []struct{ file, client string }{
	{"openai.mjs", "openai-node"},
	{"ollama.mjs", "ollama-js"},
	{"retry.mjs", "openai-node"},
}

// nodeClients returns the node binary and the scripts' folder, or why they
// cannot run (no node, or scripts/install-clients.sh has not run).
func nodeClients() (node, dir, missing string) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", "", "node is not installed"
	}
	dir, _ = filepath.Abs("clients")
	for _, pkg := range []string{"openai", "ollama"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			return "", "", "e2e/clients/node_modules/" + pkg + " is missing: run scripts/install-clients.sh"
		}
	}
	return node, dir, ""
}

// nodeRows runs each Node script against the gateway and returns its
// result lines. A script that prints no line for a call, or exits non-zero
// without a failed line, adds a red row of its own.
func nodeRows(t *testing.T, gw *clientGateway) []clientResult {
	t.Helper()
	node, dir, missing := nodeClients()
	if missing != "" {
		if requireClients() {
			t.Fatalf("FORENSICS_REQUIRE_CLIENTS=1 but %s", missing)
		}
		t.Logf("the npm clients do not run: %s", missing)
		return nil
	}
	var rows []clientResult
	for _, s := range nodeScripts {
		rows = append(rows, runNodeScript(t, node, dir, s.file, s.client, gw)...)
	}
	return rows
}

func runNodeScript(t *testing.T, node, dir, file, client string, gw *clientGateway) []clientResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, file)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"FORENSICS_GATEWAY_URL="+gw.hs.URL,
		"FORENSICS_API_KEY="+wmKey,
		"FORENSICS_MODEL="+clientModel,
		"FORENSICS_MAX_TOKENS="+strconv.Itoa(clientTokens),
		"FORENSICS_CONCURRENT_KEY="+concurrentKey,
		"FORENSICS_BUDGET_KEY="+budgetKey,
		"FORENSICS_BUDGET_TOKENS="+strconv.Itoa(budgetTokens),
		"OLLAMA_API_KEY=", "OPENAI_API_KEY=", "OPENAI_BASE_URL=", "OLLAMA_HOST=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	rows, bad := parseResultLines(stdout.String())
	failed := false
	for _, r := range rows {
		failed = failed || !r.OK
	}
	switch {
	case bad != "":
		rows = append(rows, clientResult{Client: client, Call: file, Detail: "unreadable output line: " + bad})
	case len(rows) == 0 || (err != nil && !failed):
		rows = append(rows, clientResult{Client: client, Call: file, Detail: "script failed: " + errText(err, stderr.String())})
	}
	return rows
}

// parseResultLines reads the scripts' JSON lines, skipping what the
// client libraries print themselves (ollama-js logs to stdout when an
// error body is not JSON); bad is the first line that looks like a result
// but is not one.
func parseResultLines(out string) (rows []clientResult, bad string) {
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r clientResult
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Client == "" || r.Call == "" {
			return rows, line
		}
		rows = append(rows, r)
	}
	return rows, ""
}

func errText(err error, stderr string) string {
	msg := "exit 0"
	if err != nil {
		msg = err.Error()
	}
	if s := strings.TrimSpace(stderr); s != "" {
		if len(s) > 500 {
			s = s[len(s)-500:]
		}
		msg += ": " + s
	}
	return msg
}
