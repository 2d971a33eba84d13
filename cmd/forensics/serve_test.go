package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/logline"
	"forensics/serve"
)

// TestServeGracefulShutdown runs the serve command, starts a long streaming
// request, then cancels the command's context as SIGTERM does: the request
// must finish whole, the command return cleanly, and the log hold the
// request.
func TestServeGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	key := newKeyFile(t)
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
keys: {k: %s}
defaults: {key: k}
accounts: [{name: dev, api_keys: [%q]}]
log: {path: %s}
shutdown_timeout: 20s
`, key, serve.HashAPIKey("dev"), filepath.Join(dir, "requests.jsonl"))
	cfgPath := filepath.Join(dir, "serve.yaml")
	os.WriteFile(cfgPath, []byte(cfg), 0o644)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan string, 1)
	var errOut bytes.Buffer
	opts := &serveOptions{io: &ioStreams{Out: &bytes.Buffer{}, ErrOut: &errOut}, Config: cfgPath, ready: func(a string) { addrc <- a }}
	done := make(chan error, 1)
	go func() { done <- serveRun(ctx, opts) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve exited: %v (%s)", err, errOut.String())
	}
	body, _ := json.Marshal(map[string]any{"model": "embedded", "prompt": "The", "options": map[string]any{"num_predict": 3000, "min_tokens": 3000}})
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/generate", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer dev")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	if !sc.Scan() {
		t.Fatal("no first chunk")
	}
	cancel() // SIGTERM
	lines := 1
	last := ""
	for sc.Scan() {
		lines++
		last = sc.Text()
	}
	if !strings.Contains(last, `"done":true`) {
		t.Fatalf("stream cut at shutdown after %d lines; last %q", lines, last)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(errOut.String(), "request log flushed") {
		t.Fatalf("stderr: %s", errOut.String())
	}
	data, _ := os.ReadFile(filepath.Join(dir, "requests.jsonl"))
	var reqs []logline.Entry
	events := map[string]int{}
	for _, l := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var e logline.Entry
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if e.Event != "" {
			events[e.Event]++
			continue
		}
		reqs = append(reqs, e)
	}
	// The request, between the log writer's "opened" line and the final
	// checkpoint written at shutdown.
	if len(reqs) != 1 || reqs[0].CompletionTokens != 3000 || reqs[0].Status != 200 || events["opened"] != 1 || events["checkpoint"] < 1 {
		t.Fatalf("log after shutdown: %+v, events %v", reqs, events)
	}
}
