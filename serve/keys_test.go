package serve

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/internal/testredis"
)

// addKey adds a key for account through the admin API and returns it.
func (g *gateway) addKey(account string) (key, id string) {
	g.t.Helper()
	resp := g.post("/admin/keys", adminKey, map[string]any{"account": account})
	body := readAll(g.t, resp)
	var out struct{ APIKey, ID string }
	out.APIKey, out.ID = jsonField(body, "api_key"), jsonField(body, "id")
	if resp.StatusCode != 200 || out.APIKey == "" {
		g.t.Fatalf("add key: %d %s", resp.StatusCode, body)
	}
	return out.APIKey, out.ID
}

func jsonField(body, name string) string {
	var m map[string]any
	json.Unmarshal([]byte(body), &m)
	s, _ := m[name].(string)
	return s
}

func tags(g *gateway, key string) int {
	resp := g.get("/api/tags", key)
	readAll(g.t, resp)
	return resp.StatusCode
}

// TestKeysAtRunTime adds, lists and revokes keys through the admin API,
// a key of the config included, on each store; the list never shows a
// key, and every call is in the request log.
func TestKeysAtRunTime(t *testing.T) {
	stores := map[string]string{"dir": "state: {dir: %s}"}
	if srv := testredisOrSkip(t); srv != nil {
		stores["redis"] = "state: {redis: \"" + srv.URL(0) + "\"} # %s"
	}
	for name, extra := range stores {
		t.Run(name, func(t *testing.T) {
			g := startGateway(t, testKey(t, 1), strings.Replace(extra, "%s", t.TempDir(), 1))
			key, id := g.addKey("plain")
			if got := tags(g, key); got != 200 {
				t.Fatalf("new key: %d", got)
			}
			list := readAll(t, g.get("/admin/keys", adminKey))
			if strings.Contains(list, key) || !strings.Contains(list, id) || !strings.Contains(list, `"source":"config"`) {
				t.Fatalf("list: %s", list)
			}
			for _, k := range []struct{ field, value, apiKey string }{{"id", id, key}, {"hash", HashAPIKey(dev2Key), dev2Key}} {
				resp := g.post("/admin/keys/revoke", adminKey, map[string]any{k.field: k.value})
				if body := readAll(t, resp); resp.StatusCode != 200 {
					t.Fatalf("revoke %s: %d %s", k.field, resp.StatusCode, body)
				}
				if got := tags(g, k.apiKey); got != 401 {
					t.Fatalf("revoked key (%s) answered %d", k.field, got)
				}
			}
			if got := tags(g, devKey); got != 200 {
				t.Fatalf("a key not revoked: %d", got)
			}
			logged := map[string]int{}
			for _, e := range g.logLines() {
				if strings.HasPrefix(e.Endpoint, "/admin/keys") {
					logged[e.Endpoint]++
					if strings.Contains(e.Error+jsonOf(e.Params), key) {
						t.Fatal("the request log holds a key")
					}
				}
			}
			if logged["/admin/keys"] != 2 || logged["/admin/keys/revoke"] != 2 {
				t.Fatalf("admin key calls logged: %v", logged)
			}
		})
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestKeysNeedDurableState: without Redis or state.dir a key added at run
// time would vanish at restart, so the API refuses; with state.dir, a
// revocation survives a restart.
func TestKeysNeedDurableState(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	resp := g.post("/admin/keys", adminKey, map[string]any{"account": "plain"})
	if body := readAll(t, resp); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "state.dir") {
		t.Fatalf("without durable state: %d %s", resp.StatusCode, body)
	}
	dir := t.TempDir()
	extra := "state: {dir: " + filepath.Join(dir, "state") + "}"
	g1 := startGateway(t, testKey(t, 1), extra)
	key, _ := g1.addKey("plain")
	readAll(t, g1.post("/admin/keys/revoke", adminKey, map[string]any{"hash": HashAPIKey(devKey)}))
	g1.close()
	g2 := startGateway(t, testKey(t, 1), extra)
	if a, b := tags(g2, key), tags(g2, devKey); a != 200 || b != 401 {
		t.Fatalf("after a restart: added key %d, revoked key %d", a, b)
	}
}

func testredisOrSkip(t *testing.T) *testredis.Server {
	if testing.Short() || (!testredis.Available() && os.Getenv(testredis.RequireEnv) != "1") {
		t.Log("redis-server not found: the Redis store is not tested here")
		return nil
	}
	return testredis.Start(t)
}
