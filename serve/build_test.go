package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/internal/buildinfo"
	"forensics/reqlog"
)

// TestGatewayNamesItsBuild: given its build, the gateway names it in full
// in the case ledger's events, and in the request log's opened event and
// checkpoints, which verify-log lists.
func TestGatewayNamesItsBuild(t *testing.T) {
	build := &buildinfo.Info{Program: "forensics", Version: "v1.2.0", Revision: "7ed32b1cf09562f0c78852df59a8786464400b3b", GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64",
		BinarySHA256: strings.Repeat("ab", 32)}
	ledger := filepath.Join(t.TempDir(), "cases.jsonl")
	g := startClockedGateway(t, testKey(t, 1), "", func(c *Config, o *Options) {
		c.Log.SigningKey = "preloaded"
		c.Cases = CasesConfig{Ledger: ledger, MasterKey: testKeyName, OpenAt: "alert"}
		o.LogSigner, o.Build, o.Version = caseSigner, build, build.Label()
	})
	askSeeded(t, g, devKey, 1)
	if code, _, body := caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev"}}); code != 200 {
		t.Fatalf("open: %d %s", code, body)
	}
	g.close()
	events := ledgerEvents(t, ledger)
	want := "forensics serve v1.2.0 rev 7ed32b1cf095 (go1.26.8 linux/amd64); revision 7ed32b1cf09562f0c78852df59a8786464400b3b; binary sha256 " + build.BinarySHA256
	if len(events) == 0 || events[0].Tool != want {
		t.Fatalf("ledger events %+v, want tool %q", events, want)
	}
	path := filepath.Join(g.logDir, "requests.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, event := range []string{`"event":"opened","tool"`, `"event":"checkpoint"`} {
		if !strings.Contains(string(data), event) || !linesWith(string(data), event, `"build":{"program":"forensics","version":"v1.2.0"`) {
			t.Errorf("%s lines do not name the build:\n%s", event, data)
		}
	}
	files, err := reqlog.Files(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := reqlog.Verify(t.Context(), files, reqlog.VerifyOptions{Checkpoints: path + ".checkpoints"})
	if err != nil || !r.OK() || len(r.Builds) != 1 || r.Builds[0] != build.String() {
		t.Errorf("verify-log: %v %+v", err, r)
	}
}

// linesWith reports whether every line of log with has also want.
func linesWith(log, with, want string) bool {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, with) && !strings.Contains(l, want) {
			return false
		}
	}
	return true
}
