package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"forensics/llm"
	"forensics/logline"
)

const (
	newKey    = "new-key"
	admin2Key = "admin2-key"
)

// reloadedConfig is startGateway's config with other accounts, admin keys
// and extra fields.
func reloadedConfig(t *testing.T, g *gateway, accounts, admin, extra string) *Config {
	t.Helper()
	text := fmt.Sprintf("keys: {%s: unused-because-preloaded.yaml}\ndefaults: {key: %s}\naccounts:\n%s\nadmin_api_keys: [%q]\nlog: {path: %s}\nrequests: {max_body_bytes: 4096}\n%s",
		testKeyName, testKeyName, accounts, HashAPIKey(admin), filepath.Join(g.logDir, "requests.jsonl"), extra)
	cfg, err := ParseConfig([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func acctYAML(name, key, more string) string {
	return fmt.Sprintf("  - {name: %s, api_keys: [%q]%s}\n", name, HashAPIKey(key), more)
}

// logEvents are the request log's lines of one event.
func logEvents(t *testing.T, g *gateway, event string) []logline.Entry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(g.logDir, "requests.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []logline.Entry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e logline.Entry
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Event == event {
			out = append(out, e)
		}
	}
	return out
}

func statusOf(t *testing.T, resp *http.Response) int {
	t.Helper()
	readAll(t, resp)
	return resp.StatusCode
}

// TestReloadAccounts: a reload adds, removes and changes accounts and
// admin keys at once; a removed account's key is refused at once; used
// quota survives; the log records the reload.
func TestReloadAccounts(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	if c := statusOf(t, g.get("/api/tags", limitedKey)); c != 200 {
		t.Fatalf("limited before: %d", c)
	}
	cfg := reloadedConfig(t, g, acctYAML("dev", devKey, "")+acctYAML("plain", plainKey, ", watermark: false")+
		acctYAML("limited", limitedKey, ", limits: {requests_per_hour: 4, concurrent: 1}")+acctYAML("new", newKey, ""), admin2Key, "")
	rep, err := g.srv.Reload(cfg, "test")
	if err != nil {
		t.Fatal(err)
	}
	want := ReloadReport{Source: "test", Accounts: 4, Added: []string{"new"}, Removed: []string{"dev2"}, Changed: []string{"limited"}, AdminKeys: 1,
		KeyIDs: map[string][]string{"new": {keyID(HashAPIKey(newKey))}, "limited": {keyID(HashAPIKey(limitedKey))}}}
	if !reflect.DeepEqual(rep, want) {
		t.Fatalf("report %+v, want %+v", rep, want)
	}
	for key, code := range map[string]int{dev2Key: 401, newKey: 200, devKey: 200} {
		if c := statusOf(t, g.get("/api/tags", key)); c != code {
			t.Errorf("key %s after reload: %d, want %d", key, c, code)
		}
	}
	// limited used 1 of 2; at 4 an hour it keeps the used half: 2 more, not 4.
	ok := 0
	for range 4 {
		if statusOf(t, g.get("/api/tags", limitedKey)) == 200 {
			ok++
		}
	}
	if ok != 2 {
		t.Errorf("limited after raising 2→4 an hour with 1 used: %d more accepted, want 2 (used quota kept)", ok)
	}
	if c := statusOf(t, g.post("/admin/reload", adminKey, nil)); c != 401 {
		t.Errorf("old admin key on /admin/reload: %d, want 401", c)
	}
	// Started without a config file: nothing to reload, said as 409.
	if c := statusOf(t, g.post("/admin/reload", admin2Key, nil)); c != 409 {
		t.Errorf("new admin key on /admin/reload without a file: %d, want 409", c)
	}
	g.close()
	ev := logEvents(t, g, "reload")
	if len(ev) != 1 || ev[0].Params["source"] != "test" || fmt.Sprint(ev[0].Params["removed"]) != "[dev2]" || fmt.Sprint(ev[0].Params["added"]) != "[new]" {
		t.Fatalf("reload events %+v", ev)
	}
	if bytes.Contains(mustRead(t, filepath.Join(g.logDir, "requests.jsonl")), []byte(strings.TrimPrefix(HashAPIKey(newKey), "sha256:"))) {
		t.Fatal("the log holds a new key's hash")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReloadRefused: a config without accounts, or one that is invalid
// once merged, is refused; the running one stays and the refusal is
// logged.
func TestReloadRefused(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	empty := &Config{}
	if _, err := g.srv.Reload(empty, "test"); err == nil || !strings.Contains(err.Error(), "no accounts") {
		t.Fatalf("empty config: %v", err)
	}
	// An account in a model list the merged config does not have.
	bad := reloadedConfig(t, g, acctYAML("dev", devKey, ""), adminKey, "")
	bad.Accounts[0].Models = []string{"nope"}
	bad.Models = nil
	bad.Accounts = append(bad.Accounts, bad.Accounts[0])
	if _, err := g.srv.Reload(bad, "test"); err == nil || !strings.Contains(err.Error(), "defined twice") {
		t.Fatalf("invalid config: %v", err)
	}
	if c := statusOf(t, g.get("/api/tags", dev2Key)); c != 200 {
		t.Fatalf("dev2 after refused reloads: %d", c)
	}
	g.close()
	if ev := logEvents(t, g, "reload"); len(ev) != 2 || ev[0].Error == "" || ev[1].Error == "" {
		t.Fatalf("reload events %+v", ev)
	}
}

// TestReloadKeepsRestartFields: fields that need a restart are reported
// and keep their running values.
func TestReloadKeepsRestartFields(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	accts := acctYAML("dev", devKey, "") + acctYAML("dev2", dev2Key, "")
	cfg := reloadedConfig(t, g, accts, adminKey, "listen: 127.0.0.1:9\nbackend: {kind: ollama, url: 127.0.0.1:1}\nshutdown_timeout: 1s\n")
	cfg.Keys[testKeyName] = "other.yaml"
	cfg.Requests.MaxBodyBytes = 99999
	rep, err := g.srv.Reload(cfg, "test")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"backend.kind", "backend.url", "keys." + testKeyName, "listen", "requests.max_body_bytes", "shutdown_timeout"}
	if !reflect.DeepEqual(rep.Kept, want) {
		t.Fatalf("kept %v, want %v", rep.Kept, want)
	}
	if got := g.srv.current().cfg.Requests.MaxBodyBytes; got != 4096 {
		t.Fatalf("max_body_bytes after reload: %d, want the running 4096", got)
	}
	if c := statusOf(t, g.get("/api/tags", devKey)); c != 200 {
		t.Fatalf("dev after reload: %d", c)
	}
}

// TestReloadMidStream: a generation streaming across a reload that
// removes its account finishes whole; the account's next request is
// refused.
func TestReloadMidStream(t *testing.T) {
	g := startGatewayWith(t, testKey(t, 1), "", func(_ *Config, o *Options) { o.Backend = &slowBackend{Backend: o.Backend, per: 2 * time.Millisecond} })
	resp := g.post("/api/generate", devKey, map[string]any{"model": "embedded", "prompt": "The", "options": map[string]any{"num_predict": 500, "min_tokens": 500}})
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	if !sc.Scan() {
		t.Fatal("no first chunk")
	}
	reloaded := time.Now()
	if _, err := g.srv.Reload(reloadedConfig(t, g, acctYAML("dev2", dev2Key, ""), adminKey, ""), "test"); err != nil {
		t.Fatal(err)
	}
	if c := statusOf(t, g.get("/api/tags", devKey)); c != 401 {
		t.Fatalf("removed account during its stream: %d, want 401", c)
	}
	last := ""
	for sc.Scan() {
		last = sc.Text()
	}
	var chunk struct {
		Done      bool `json:"done"`
		EvalCount int  `json:"eval_count"`
	}
	if err := json.Unmarshal([]byte(last), &chunk); err != nil || !chunk.Done || chunk.EvalCount != 500 {
		t.Fatalf("stream across the reload ended with %q", last)
	}
	if d := time.Since(reloaded); d < 200*time.Millisecond {
		t.Fatalf("the stream ended %s after the reload: it was not in flight", d)
	}
}

// slowBackend delays every draft, for requests that must be in flight.
type slowBackend struct {
	Backend
	per time.Duration
}

func (b *slowBackend) Stream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) error {
	return b.Backend.Stream(ctx, req, func(d llm.Draft) error {
		time.Sleep(b.per)
		return fn(d)
	})
}

// TestReloadFile: POST /admin/reload reads the file again; a broken file
// is refused with its error and the running config stays.
func TestReloadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "serve.yaml")
	g := startGatewayWith(t, testKey(t, 1), "", func(_ *Config, o *Options) { o.ConfigPath = path })
	os.WriteFile(path, []byte("accounts: [{name: x}]\n"), 0o600)
	resp := g.post("/admin/reload", adminKey, nil)
	if body := readAll(t, resp); resp.StatusCode != 422 || !strings.Contains(body, "no api_keys") {
		t.Fatalf("broken file: %d %s", resp.StatusCode, body)
	}
	text := fmt.Sprintf("keys: {%s: unused.yaml}\ndefaults: {key: %s}\naccounts:\n%sadmin_api_keys: [%q]\nlog: {path: %s}\nrequests: {max_body_bytes: 4096}\n",
		testKeyName, testKeyName, acctYAML("dev", devKey, "")+acctYAML("new", newKey, ""), HashAPIKey(adminKey), filepath.Join(g.logDir, "requests.jsonl"))
	os.WriteFile(path, []byte(text), 0o600)
	resp = g.post("/admin/reload", adminKey, nil)
	var rep ReloadReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || resp.StatusCode != 200 || rep.Accounts != 2 || rep.Source != "admin" {
		t.Fatalf("reload: %d %+v %v", resp.StatusCode, rep, err)
	}
	resp.Body.Close()
	if c := statusOf(t, g.get("/api/tags", newKey)); c != 200 {
		t.Fatalf("new account: %d", c)
	}
	// The kept path of the key: reported, the running key stays.
	if !reflect.DeepEqual(rep.Kept, []string{"keys." + testKeyName}) {
		t.Fatalf("kept %v", rep.Kept)
	}
	lines := g.logLines()
	n := 0
	for _, e := range lines {
		if e.Endpoint == "/admin/reload" && e.Account == "admin" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d /admin/reload calls logged, want 2", n)
	}
}

func TestMergeReloadable(t *testing.T) {
	base := "keys: {a: a.yaml}\ndefaults: {key: a}\naccounts: [{name: x, api_keys: [\"" + HashAPIKey("x") + "\"]}]\n"
	tests := []struct {
		name, next string
		kept       []string
		keys       map[string]string
	}{
		{"same", base, nil, map[string]string{"a": "a.yaml"}},
		{"accounts and defaults", base + "admin_api_keys: [\"" + HashAPIKey("y") + "\"]\n", nil, map[string]string{"a": "a.yaml"}},
		{"new key name", strings.Replace(base, "{a: a.yaml}", "{a: a.yaml, b: b.yaml}", 1), nil, map[string]string{"a": "a.yaml", "b": "b.yaml"}},
		{"key file changed", strings.Replace(base, "a.yaml", "z.yaml", 1), []string{"keys.a"}, map[string]string{"a": "a.yaml"}},
		{"restart fields", base + "listen: 0.0.0.0:1\nlog: {path: l.jsonl}\nwatermarking: {pacing: false, repeat_window: 5m}\ncases: {}\n",
			[]string{"listen", "log.path", "watermarking.pacing", "watermarking.repeat_window"}, map[string]string{"a": "a.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			running, err := ParseConfig([]byte(base))
			if err != nil {
				t.Fatal(err)
			}
			next, err := ParseConfig([]byte(tt.next))
			if err != nil {
				t.Fatal(err)
			}
			merged, kept := mergeReloadable(running, next)
			if !reflect.DeepEqual(kept, tt.kept) || !reflect.DeepEqual(merged.Keys, tt.keys) {
				t.Fatalf("kept %v keys %v, want %v %v", kept, merged.Keys, tt.kept, tt.keys)
			}
			if !reflect.DeepEqual(merged.AdminAPIKeys, next.AdminAPIKeys) || merged.Listen != running.Listen || merged.Log.Path != running.Log.Path {
				t.Fatalf("merged %+v", merged)
			}
		})
	}
}

// TestReloadAllowedOrigins: http.allowed_origins changes with a reload.
func TestReloadAllowedOrigins(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	origin := func() string {
		req, _ := http.NewRequest(http.MethodGet, g.http.URL+"/api/tags", nil)
		req.Header.Set("Authorization", "Bearer "+devKey)
		req.Header.Set("Origin", "https://app.example")
		resp, err := g.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		return resp.Header.Get("Access-Control-Allow-Origin")
	}
	if o := origin(); o != "" {
		t.Fatalf("before the reload: %q", o)
	}
	cfg := reloadedConfig(t, g, acctYAML("dev", devKey, ""), adminKey, "")
	cfg.HTTP.AllowedOrigins = []string{"https://app.example"}
	rep, err := g.srv.Reload(cfg, "test")
	if err != nil || len(rep.Kept) != 0 {
		t.Fatalf("reload: %v, kept %v", err, rep.Kept)
	}
	if o := origin(); o != "https://app.example" {
		t.Fatalf("after the reload: %q", o)
	}
}
