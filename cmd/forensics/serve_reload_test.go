package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"forensics/logline"
	"forensics/serve"
)

// gatewayProcess is `forensics serve` running as its own process, its
// stderr (JSON lines) collected.
type gatewayProcess struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []map[string]any
	notify chan struct{}
}

// waitLine waits for a stderr line whose msg contains msg.
func (p *gatewayProcess) waitLine(t *testing.T, msg string, from int) (map[string]any, int) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		p.mu.Lock()
		for i := from; i < len(p.lines); i++ {
			if m, _ := p.lines[i]["msg"].(string); strings.Contains(m, msg) {
				p.mu.Unlock()
				return p.lines[i], i + 1
			}
		}
		p.mu.Unlock()
		select {
		case <-p.notify:
		case <-deadline:
			t.Fatalf("no %q line on stderr", msg)
		}
	}
}

func startGatewayProcess(t *testing.T, bin, cfgPath string) *gatewayProcess {
	t.Helper()
	p := &gatewayProcess{cmd: exec.Command(bin, "serve", "--config", cfgPath, "--log-format", "json", "--listen", "127.0.0.1:0"), notify: make(chan struct{}, 1)}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				m = map[string]any{"msg": sc.Text()}
			}
			p.mu.Lock()
			p.lines = append(p.lines, m)
			p.mu.Unlock()
			select {
			case p.notify <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	return p
}

// TestServeProcessSIGHUP builds the binary and runs `forensics serve` on
// the embedded model: a SIGHUP after the config file changed swaps the
// accounts while a stream is running (it finishes whole), a broken file
// on the next SIGHUP is refused and the process keeps serving, and the
// request log records both reloads.
func TestServeProcessSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "forensics")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	key, logPath, cfgPath := newKeyFile(t), filepath.Join(dir, "requests.jsonl"), filepath.Join(dir, "serve.yaml")
	writeCfg := func(accounts ...string) {
		var b strings.Builder
		fmt.Fprintf(&b, "listen: 127.0.0.1:1\nkeys: {k: %s}\ndefaults: {key: k}\nlog: {path: %s}\naccounts:\n", key, logPath)
		for _, a := range accounts {
			fmt.Fprintf(&b, "  - {name: %s, api_keys: [%q]}\n", a, serve.HashAPIKey(a+"-key"))
		}
		os.WriteFile(cfgPath, []byte(b.String()), 0o600)
	}
	writeCfg("old")
	p := startGatewayProcess(t, bin, cfgPath)
	started, next := p.waitLine(t, "started", 0)
	base := "http://" + started["listen"].(string)
	get := func(key string) int {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/tags", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get("old-key"); c != 200 {
		t.Fatalf("old account before the reload: %d", c)
	}
	body, _ := json.Marshal(map[string]any{"model": "embedded", "prompt": "The", "options": map[string]any{"num_predict": 3000, "min_tokens": 3000}})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/generate", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer old-key")
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	sc := bufio.NewScanner(stream.Body)
	if !sc.Scan() {
		t.Fatal("no first chunk")
	}
	writeCfg("new")
	p.cmd.Process.Signal(syscall.SIGHUP)
	reloaded, next := p.waitLine(t, "reloaded", next)
	if reloaded["added"] != 1.0 || reloaded["removed"] != 1.0 || reloaded["source"] != "sighup" {
		t.Fatalf("reload line %v", reloaded)
	}
	if kept := fmt.Sprint(reloaded["kept"]); strings.Contains(kept, "listen") {
		t.Errorf("--listen, applied again to the reloaded file, reads as a change needing a restart: kept %s", kept)
	}
	if a, b := get("old-key"), get("new-key"); a != 401 || b != 200 {
		t.Fatalf("after SIGHUP: old %d (want 401), new %d (want 200)", a, b)
	}
	last := ""
	for sc.Scan() {
		last = sc.Text()
	}
	if !strings.Contains(last, `"done":true`) || !strings.Contains(last, `"eval_count":3000`) {
		t.Fatalf("stream across the reload ended with %q", last)
	}
	os.WriteFile(cfgPath, []byte("accounts: []\n"), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitLine(t, "reload refused", next)
	if c := get("new-key"); c != 200 {
		t.Fatalf("after a refused reload: %d", c)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("serve exited: %v", err)
	}
	p.waitLine(t, "request log flushed", next)
	var reloads []logline.Entry
	for _, l := range bytes.Split(bytes.TrimSpace(mustReadFile(t, logPath)), []byte("\n")) {
		var e logline.Entry
		if json.Unmarshal(l, &e) == nil && e.Event == "reload" {
			reloads = append(reloads, e)
		}
	}
	if len(reloads) != 2 || reloads[0].Error != "" || reloads[1].Error == "" {
		t.Fatalf("reload events in the request log: %+v", reloads)
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServeRefusesEmptyConfig: an empty config is refused with what to
// do, not served on a default address.
func TestServeRefusesEmptyConfig(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "serve.yaml")
	os.WriteFile(cfgPath, nil, 0o600)
	var errOut bytes.Buffer
	err := serveRun(context.Background(), &serveOptions{io: &ioStreams{Out: &bytes.Buffer{}, ErrOut: &errOut}, Config: cfgPath})
	if err == nil || !strings.Contains(err.Error(), "forensics serve apikey") || !strings.Contains(err.Error(), "log: {disabled: true}") {
		t.Fatalf("empty config: %v", err)
	}
}
