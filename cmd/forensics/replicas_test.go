package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"forensics/internal/testredis"
	"forensics/serve"
)

// replica is one `forensics serve` process.
type replica struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
}

var listening = regexp.MustCompile(`url=(http://\S+)`) // the "started" line

// buildForensics builds the binary into a temporary folder.
func buildForensics(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "forensics")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startReplica runs `forensics serve --config cfg --listen 127.0.0.1:0`
// and waits for its address.
func startReplica(t *testing.T, bin, cfg string) *replica {
	t.Helper()
	r := &replica{cmd: exec.Command(bin, "serve", "--config", cfg, "--listen", "127.0.0.1:0"), stderr: &bytes.Buffer{}}
	pipe, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.stop)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			r.stderr.WriteString(sc.Text() + "\n") // read only after addr or exit
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
	}()
	select {
	case u, ok := <-addr:
		if !ok {
			t.Fatalf("replica exited before listening: %s", r.stderr)
		}
		r.url = u
	case <-time.After(30 * time.Second):
		t.Fatal("replica did not listen within 30 s")
	}
	return r
}

func (r *replica) stop() {
	if r.cmd.Process != nil && r.cmd.ProcessState == nil {
		r.cmd.Process.Signal(syscall.SIGTERM)
		r.cmd.Wait()
	}
}

// call makes one request and returns its status and body.
func call(t *testing.T, method, url, key string, body any) (int, string, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, "", nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header
}

// TestReplicasShareState is the acceptance test of shared state: three
// gateway processes behind one Redis accept at most the 100 requests an
// hour of an account between them, a restarted replica keeps the quota
// used, and a suspension or a key revocation made through one replica is
// refused by the others within a second.
func TestReplicasShareState(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three gateway processes and a redis-server")
	}
	rds := testredis.Start(t)
	bin := buildForensics(t)
	dir := t.TempDir()
	configs := make([]string, 3)
	for i := range configs {
		configs[i] = filepath.Join(dir, fmt.Sprintf("replica%d.yaml", i))
		cfg := fmt.Sprintf(`state: {redis: %q, prefix: "acceptance:"}
accounts:
  - {name: acme, watermark: false, api_keys: [%q], limits: {requests_per_hour: 100}}
  - {name: other, watermark: false, api_keys: [%q]}
admin_api_keys: [%q]
log: {path: %s}
watermarking: {pacing: false}
`, rds.URL(0), serve.HashAPIKey("acme-key"), serve.HashAPIKey("other-key"), serve.HashAPIKey("admin-key"), filepath.Join(dir, fmt.Sprintf("requests%d.jsonl", i)))
		os.WriteFile(configs[i], []byte(cfg), 0o644)
	}
	reps := make([]*replica, 3)
	for i := range reps {
		reps[i] = startReplica(t, bin, configs[i])
	}
	start := time.Now()
	accepted := fireSpread(t, reps, 180)
	refills := int(time.Since(start) / (36 * time.Second)) // 100 an hour: one every 36 s
	t.Logf("180 requests over 3 replicas: %d accepted (limit 100/h, %d refilled while firing)", accepted, refills)
	if accepted < 100 || accepted > 100+refills {
		t.Fatalf("%d accepted", accepted)
	}

	reps[0].stop()
	reps[0] = startReplica(t, bin, configs[0])
	if st, body, _ := call(t, "GET", reps[0].url+"/v1/models", "acme-key", nil); st != 429 {
		t.Fatalf("after a restart: %d %s (the used quota was lost)", st, body)
	}

	suspend := map[string]any{"accounts": []map[string]any{{"account": "other", "risk": 0.9, "action": "suspend"}}}
	if st, body, _ := call(t, "POST", reps[0].url+"/admin/risk", "admin-key", suspend); st != 200 {
		t.Fatalf("suspend: %d %s", st, body)
	}
	t.Logf("suspension through replica 1 refused by replicas 2 and 3 after %v", refusedWithin(t, reps[1:], "other-key", 403))

	// Keys through the CLI: added on replica 2, revoked on replica 3.
	adminFile := filepath.Join(dir, "admin.key")
	os.WriteFile(adminFile, []byte("admin-key\n"), 0o600)
	gw := func(i int) []string { return []string{"--gateway", reps[i].url, "--admin-key-file", adminFile} }
	code, out, errOut := runCLI(t, "", append([]string{"serve", "keys", "add", "--account", "acme", "--json"}, gw(1)...)...)
	added := struct {
		APIKey string `json:"api_key"`
		ID     string `json:"id"`
	}{}
	if json.Unmarshal([]byte(out), &added); code != 0 || added.APIKey == "" {
		t.Fatalf("keys add: %d %s %s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "", append([]string{"serve", "keys", "list"}, gw(0)...)...); code != 0 || !strings.Contains(out, added.ID) || strings.Contains(out, added.APIKey) {
		t.Fatalf("keys list: %d\n%s", code, out)
	}
	if st, body, _ := call(t, "GET", reps[0].url+"/api/tags", added.APIKey, nil); st != 429 || !strings.Contains(body, "acme") {
		t.Fatalf("a key added through replica 2 on replica 1: %d %s (want acme's exhausted quota)", st, body)
	}
	if code, out, errOut := runCLI(t, "", append([]string{"serve", "keys", "revoke", "--id", added.ID}, gw(2)...)...); code != 0 {
		t.Fatalf("keys revoke: %d %s %s", code, out, errOut)
	}
	t.Logf("key revoked through replica 3 refused by replicas 1 and 2 after %v", refusedWithin(t, reps[:2], added.APIKey, 401))
}

// fireSpread sends n cheap authenticated requests of acme, spread over the
// replicas and both APIs, 12 at a time, and counts the 200s; every other
// answer must be a 429 in its API's shape.
func fireSpread(t *testing.T, reps []*replica, n int) int {
	var ok atomic.Int32
	var wg sync.WaitGroup
	sem := make(chan struct{}, 12)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			path, shape := "/v1/models", `"type":"rate_limit_error"`
			if i%2 == 1 {
				path, shape = "/api/tags", `{"error":"rate limit`
			}
			st, body, h := call(t, "GET", reps[i%len(reps)].url+path, "acme-key", nil)
			switch {
			case st == 200:
				ok.Add(1)
			case st != 429 || !strings.Contains(body, shape) || h.Get("Retry-After") == "" || h.Get("X-Ratelimit-Remaining-Requests") != "0":
				t.Errorf("%s: %d %v %s", path, st, h, body)
			}
		}()
	}
	wg.Wait()
	return int(ok.Load())
}

// refusedWithin polls the replicas with key until each answers status,
// and returns how long the last one took; more than a second fails.
func refusedWithin(t *testing.T, reps []*replica, key string, status int) time.Duration {
	t.Helper()
	start := time.Now()
	for _, r := range reps {
		for {
			st, _, _ := call(t, "GET", r.url+"/api/tags", key, nil)
			if st == status {
				break
			}
			if time.Since(start) > time.Second {
				t.Fatalf("%s still answers %d after a second", r.url, st)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return time.Since(start)
}
