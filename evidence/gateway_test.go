package evidence

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"forensics/llm/embedded"
	"forensics/probe"
	"forensics/probe/probetest"
	"forensics/serve"
	"forensics/watermark"
)

// TestProbeThroughGateway questions the real HTTP gateway, serving the
// embedded model with our key, through both its OpenAI and its Ollama API:
// a suspect that is our watermarked service must show the watermark, the
// unwatermarked account must not, and the file: target must re-score the
// collected transcripts to the same result.
func TestProbeThroughGateway(t *testing.T) {
	dir := t.TempDir()
	keyPath, key := probetest.Key(t, dir, 5)
	cfg, err := serve.ParseConfig([]byte(fmt.Sprintf(`
keys:
  main: %s
defaults:
  key: main
accounts:
  - name: acme
    api_keys: ["%s"]
  - name: plain
    api_keys: ["%s"]
    watermark: false
log:
  path: %s
`, keyPath, serve.HashAPIKey("sk-acme"), serve.HashAPIKey("sk-plain"), filepath.Join(dir, "requests.jsonl"))))
	if err != nil {
		t.Fatal(err)
	}
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := serve.New(cfg, serve.Options{Backend: serve.NewEmbeddedBackend(m), Keys: map[string]*watermark.Key{"main": key}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer srv.Close()
	defer hs.Close()
	host := strings.TrimPrefix(hs.URL, "http://")
	cs := probetest.SmallSet(t, 40)
	tk, tf := probetest.EmbeddedTokenizer(t)

	probeWith := func(spec, apiKey string) (*probe.Results, string) {
		t.Helper()
		t.Setenv("PROBE_TEST_KEY", apiKey)
		env := "PROBE_TEST_KEY"
		if apiKey == "" {
			env = ""
		}
		out := t.TempDir()
		mf, _, err := probe.Prepare(out, probetest.Manifest(t, key, cs, tk, probetest.Options{
			Targets: probe.Targets{Suspect: spec}, Plan: probe.Plan{Prompts: 40}, Seed: 3, Rounds: 99, NullKeys: 100,
		}), cs, tf)
		if err != nil {
			t.Fatal(err)
		}
		tg, err := probe.OpenTarget(spec, probe.TargetOptions{APIKeyEnv: env, Canaries: cs})
		if err != nil {
			t.Fatal(err)
		}
		if err := tg.Check(context.Background()); err != nil {
			t.Fatal(err)
		}
		st, _, _ := probe.OpenStore(filepath.Join(out, probe.FileTranscripts), mf.SHA256())
		stats, err := probe.Run(context.Background(), mf, cs, map[string]probe.Target{"suspect": tg}, st, probe.RunOptions{Concurrency: 4})
		st.Close()
		if err != nil || stats.Answered != 40 {
			t.Fatalf("%s: %+v %v", spec, stats, err)
		}
		res, err := Finish(context.Background(), out, key, tk, nil)
		if err != nil {
			t.Fatal(err)
		}
		checks, _ := Verify(context.Background(), out, VerifyOptions{Key: key})
		for _, c := range checks {
			if !c.OK {
				t.Errorf("%s: verify %s: %s", spec, c.Name, c.Detail)
			}
		}
		r := probetest.TestNamed(res.Tests, probe.TestRadioactivity)
		t.Logf("%-45s %s log10 p %.1f, %d tuples, key-swap KS p %.3f", spec, r.Status, r.Log10P, r.N, r.Radioactivity.Null.KSP)
		return res, out
	}
	openai, openaiDir := probeWith("openai://"+host+"/v1/embedded", "sk-acme")
	if r := probetest.TestNamed(openai.Tests, probe.TestRadioactivity); r.Status != probe.StatusRejected || r.Log10P > -10 {
		t.Errorf("watermarked service via OpenAI API: %s %.1f", r.Status, r.Log10P)
	}
	ollama, _ := probeWith("ollama://"+host+"/embedded", "sk-acme")
	if r := probetest.TestNamed(ollama.Tests, probe.TestRadioactivity); r.Status != probe.StatusRejected || r.Log10P > -10 {
		t.Errorf("watermarked service via Ollama API: %s %.1f", r.Status, r.Log10P)
	}
	plain, _ := probeWith("ollama://"+host+"/embedded", "sk-plain")
	if r := probetest.TestNamed(plain.Tests, probe.TestRadioactivity); r.Status == probe.StatusRejected {
		t.Errorf("unwatermarked account: %s %.1f", r.Status, r.Log10P)
	}
	// Re-scoring the collected transcripts gives the same evidence.
	rescored, _ := probeWith("file:"+filepath.Join(openaiDir, probe.FileTranscripts), "")
	a, b := probetest.TestNamed(openai.Tests, probe.TestRadioactivity), probetest.TestNamed(rescored.Tests, probe.TestRadioactivity)
	if a.Log10P != b.Log10P || a.N != b.N {
		t.Errorf("file: re-score %v over %d, original %v over %d", b.Log10P, b.N, a.Log10P, a.N)
	}
	// Wrong credentials are named before any query.
	t.Setenv("PROBE_TEST_KEY", "sk-wrong")
	tg, _ := probe.OpenTarget("openai://"+host+"/v1/embedded", probe.TargetOptions{APIKeyEnv: "PROBE_TEST_KEY"})
	if err := tg.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "credentials refused") {
		t.Errorf("wrong API key: %v", err)
	}
}
