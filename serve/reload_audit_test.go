package serve

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
)

// TestReloadAuditTrail: the request log says which keys every account had
// at start and after each reload, and a removed account's keys added at
// run time are revoked, so that the account added back does not find them
// working again.
func TestReloadAuditTrail(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "state: {dir: "+filepath.Join(t.TempDir(), "state")+"}")
	resp := g.post("/admin/keys", adminKey, map[string]any{"account": "dev2"})
	var added struct {
		ID     string `json:"id"`
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal([]byte(readAll(t, resp)), &added); err != nil || resp.StatusCode != 200 {
		t.Fatalf("add key: %d %v", resp.StatusCode, err)
	}
	if c := statusOf(t, g.get("/api/tags", added.APIKey)); c != 200 {
		t.Fatalf("the added key: %d", c)
	}
	accounts := acctYAML("dev", devKey, "") + acctYAML("plain", plainKey, ", watermark: false") + acctYAML("limited", limitedKey, "")
	if _, err := g.srv.Reload(reloadedConfig(t, g, accounts, adminKey, ""), "test"); err != nil {
		t.Fatal(err)
	}
	back := accounts + acctYAML("dev2", newKey, "")
	if _, err := g.srv.Reload(reloadedConfig(t, g, back, adminKey, ""), "test"); err != nil {
		t.Fatal(err)
	}
	if c := statusOf(t, g.get("/api/tags", added.APIKey)); c != 401 {
		t.Errorf("a removed account's run-time key after the account came back: %d, want 401", c)
	}
	if c := statusOf(t, g.get("/api/tags", newKey)); c != 200 {
		t.Errorf("the account's new configured key: %d", c)
	}

	start := logEvents(t, g, "config")
	if len(start) != 1 {
		t.Fatalf("%d config events at start", len(start))
	}
	ids := func(p map[string]any) map[string][]string {
		var out map[string][]string
		raw, _ := json.Marshal(p["key_ids"])
		json.Unmarshal(raw, &out)
		return out
	}
	if got := ids(start[0].Params); !reflect.DeepEqual(got["dev2"], []string{keyID(HashAPIKey(dev2Key))}) || len(got) != 4 {
		t.Errorf("key ids at start: %v", got)
	}
	reloads := logEvents(t, g, "reload")
	if len(reloads) != 2 {
		t.Fatalf("%d reload events", len(reloads))
	}
	if got := fmt.Sprint(reloads[0].Params["keys_revoked"]); got != "["+added.ID+"]" {
		t.Errorf("the removal's reload line revoked %s, want [%s]", got, added.ID)
	}
	if got := ids(reloads[1].Params); !reflect.DeepEqual(got, map[string][]string{"dev2": {keyID(HashAPIKey(newKey))}}) {
		t.Errorf("the re-adding reload's key ids: %v", got)
	}
}
