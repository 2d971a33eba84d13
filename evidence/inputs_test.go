package evidence

import (
	"os"
	"path/filepath"
	"testing"

	"forensics/probe"
)

// FuzzReadRelayLog: relay-log.json comes with a bundle, from whoever made
// it; reading it fails or gives a check whose summary can be printed.
func FuzzReadRelayLog(f *testing.F) {
	f.Add([]byte(`{"files":[],"records":3,"chains_verified":true,"matches":0,"prompts":5}`))
	f.Add([]byte(`{"accounts":[{"account":"x","requests":0}]}`))
	f.Add([]byte(`[]`))
	m := &probe.Manifest{RelayLog: &probe.RelayLogPlan{}}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, probe.FileRelayLog), data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := readRelayLog(dir, m)
		if err != nil || c == nil {
			return
		}
		_ = c.Summary()
		if len(c.Accounts) > 100 || len(c.TriggerHarvest) > 100 {
			t.Fatalf("%d accounts accepted", len(c.Accounts))
		}
	})
}
