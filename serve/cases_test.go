package serve

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"forensics/caseledger"
	"forensics/llm/embedded"
	"forensics/logscan"
	"forensics/watermark"
)

var caseSigner = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))

// startCaseGateway is the test gateway with cases on, its ledger at
// ledger, signed with caseSigner, on a test clock (g.clock): a case takes
// effect at the next hour (g.nextWindow).
func startCaseGateway(t testing.TB, key *watermark.Key, ledger, extra string) *gateway {
	t.Helper()
	return startClockedGateway(t, key, extra, func(c *Config, o *Options) {
		c.Log.SigningKey = "preloaded"
		c.Cases = CasesConfig{Ledger: ledger, MasterKey: testKeyName, OpenAt: "alert"}
		o.LogSigner = caseSigner
	})
}

// caseCall posts to a case endpoint and decodes the answer.
func caseCall(t *testing.T, g *gateway, path string, req CaseRequest) (int, CasesResponse, string) {
	t.Helper()
	resp := g.post(path, adminKey, req)
	body := readAll(t, resp)
	var cr CasesResponse
	json.Unmarshal([]byte(body), &cr)
	return resp.StatusCode, cr, body
}

// askSeeded is a seeded 30-token generation; it returns the text.
func askSeeded(t *testing.T, g *gateway, key string, seed int) string {
	t.Helper()
	resp := g.post("/api/generate", key, map[string]any{"model": "embedded", "prompt": "Tell me about the sea.", "stream": false,
		"options": map[string]any{"num_predict": 30, "min_tokens": 30, "seed": seed, "temperature": 1.0}})
	var r struct {
		Response string `json:"response"`
	}
	if err := json.Unmarshal([]byte(readAll(t, resp)), &r); err != nil || resp.StatusCode != 200 {
		t.Fatalf("generation: %d %v", resp.StatusCode, err)
	}
	return r.Response
}

func ledgerEvents(t *testing.T, path string) []caseledger.Event {
	t.Helper()
	events, err := caseledger.ReadFile(path, caseSigner.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// TestCasesOperator: open, extend, list and close through the admin API;
// responses to a case's accounts carry the case key (and not the master's)
// from the boundary after the opening to the boundary after the closing,
// and their log lines say so.
func TestCasesOperator(t *testing.T) {
	key := testKey(t, 1)
	ledger := filepath.Join(t.TempDir(), "cases.jsonl")
	g := startCaseGateway(t, key, ledger, "")
	askSeeded(t, g, devKey, 1)
	code, cr, body := caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev"}, Note: "ticket 12"})
	if code != 200 || len(cr.Cases) != 1 || cr.Cases[0].ID != "case-0001" || cr.Cases[0].KeyID != "gw-test.case-0001" {
		t.Fatalf("open: %d %s", code, body)
	}
	g.nextWindow() // the case takes effect
	caseKey, _ := key.DeriveCase(cr.Cases[0].Ledger, "case-0001", cr.Cases[0].Nonce)
	m, _ := embedded.Load()
	detect := func(k *watermark.Key, text string) float64 {
		d := &watermark.Detector{Scheme: watermark.NewScheme(k), Tokenizer: m.Tokenizer(), Normalize: true, Alpha: 1e-6}
		r, err := d.DetectText("", text)
		if err != nil {
			t.Fatal(err)
		}
		return r.Log10P
	}
	resp := g.post("/api/generate", devKey, map[string]any{"model": "embedded", "prompt": "Write about the war.", "stream": false,
		"options": map[string]any{"num_predict": 200, "min_tokens": 200, "seed": 5, "temperature": 1.0}})
	text := responseText(t, "/api/generate", false, resp)
	// Under the master key the answer is null text: its p is uniform (the
	// case nonce is random, so is the case key), and below 1e-5 once in
	// 100,000 runs.
	if pc, pm := detect(caseKey, text), detect(key, text); pc > -6 || pm < -5 {
		t.Errorf("in the case, dev's answer detects at log10 p %.1f under the case key and %.1f under the master key", pc, pm)
	}
	askSeeded(t, g, dev2Key, 2)
	errs := []struct {
		req  CaseRequest
		path string
		code int
		want string
	}{
		{CaseRequest{Accounts: []string{"plain"}}, "/admin/cases", 400, "not watermarked"},
		{CaseRequest{Accounts: []string{"nobody"}}, "/admin/cases", 400, "no account"},
		{CaseRequest{Accounts: []string{"dev"}}, "/admin/cases", 409, "already in open case case-0001"},
		{CaseRequest{}, "/admin/cases", 400, "no accounts"},
		{CaseRequest{Accounts: []string{"dev2"}, Case: "bad.id"}, "/admin/cases", 400, "case id"},
		{CaseRequest{Case: "case-0009"}, "/admin/cases/close", 404, "no case"},
	}
	for _, e := range errs {
		if code, _, body := caseCall(t, g, e.path, e.req); code != e.code || !strings.Contains(body, e.want) || !strings.Contains(body, `"error"`) {
			t.Errorf("%+v: %d %s, want %d %q", e.req, code, body, e.code, e.want)
		}
	}
	if resp := g.post("/admin/cases", devKey, CaseRequest{Accounts: []string{"dev2"}}); readAll(t, resp) == "" || resp.StatusCode != 401 {
		t.Errorf("a client key opened a case: %d", resp.StatusCode)
	}
	if code, cr, body := caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev2"}, Case: "case-0001"}); code != 200 || len(cr.Cases[0].Members) != 2 {
		t.Fatalf("extend: %d %s", code, body)
	}
	g.nextWindow()
	askSeeded(t, g, dev2Key, 3)
	if code, _, body := caseCall(t, g, "/admin/cases/close", CaseRequest{Case: "case-0001", Note: "done"}); code != 200 || !strings.Contains(body, `"closed"`) {
		t.Fatalf("close: %d %s", code, body)
	}
	g.nextWindow()
	if code, _, body := caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev"}, Case: "case-0001"}); code != 409 || !strings.Contains(body, "not reopened") {
		t.Errorf("extend a closed case: %d %s", code, body)
	}
	askSeeded(t, g, devKey, 4)
	list := g.get("/admin/cases", adminKey)
	var all CasesResponse
	json.Unmarshal([]byte(readAll(t, list)), &all)
	events := ledgerEvents(t, ledger)
	if len(all.Cases) != 1 || all.Head != caseledger.Head(events) || len(events) != 3 {
		t.Errorf("list %+v; %d events", all, len(events))
	}
	want := []struct{ account, caseID string }{{"dev", ""}, {"dev", "case-0001"}, {"dev2", ""}, {"dev2", "case-0001"}, {"dev", ""}}
	var got []struct{ account, caseID string }
	for _, e := range g.logLines() {
		if e.Account == "admin" || e.Account == "" {
			continue
		}
		got = append(got, struct{ account, caseID string }{e.Account, e.Case})
		if wantKey := strings.TrimSuffix("gw-test."+e.Case, "."); e.Watermark == nil || e.Watermark.KeyID != wantKey {
			t.Errorf("line of case %q logged key %+v", e.Case, e.Watermark)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("log lines (account, case) %v, want %v", got, want)
	}
}

// TestCasesFromAdminRisk: a scan-logs result opens one case per flagged
// cluster and one per flagged account in none; a later result whose
// cluster has grown extends the case; an unflagged or unwatermarked
// account joins none.
func TestCasesFromAdminRisk(t *testing.T) {
	ledger := filepath.Join(t.TempDir(), "cases.jsonl")
	g := startCaseGateway(t, testKey(t, 1), ledger, "")
	first := logscan.Report{
		Accounts: []logscan.AccountReport{{Account: "dev", Verdict: logscan.Verdict{Action: "none"}, Cluster: 1}, {Account: "limited", Verdict: logscan.Verdict{Action: "alert", Risk: 0.4}},
			{Account: "plain", Verdict: logscan.Verdict{Action: "suspend", Risk: 0.9}}, {Account: "dev2", Verdict: logscan.Verdict{Action: "none"}}},
		Clusters: []logscan.ClusterReport{{ID: 1, Accounts: []string{"dev"}, Verdict: logscan.Verdict{Action: "throttle", Throttle: 0.5}}},
	}
	body, _ := json.Marshal(first)
	resp := g.post("/admin/risk", adminKey, string(body))
	if out := readAll(t, resp); resp.StatusCode != 200 || !strings.Contains(out, `"cases":["case-0001","case-0002"]`) {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	second := logscan.Report{
		Accounts: []logscan.AccountReport{{Account: "dev", Verdict: logscan.Verdict{Action: "throttle", Throttle: 0.5}, Cluster: 4}, {Account: "dev2", Verdict: logscan.Verdict{Action: "none"}, Cluster: 4}},
		Clusters: []logscan.ClusterReport{{ID: 4, Accounts: []string{"dev", "dev2"}, Verdict: logscan.Verdict{Action: "throttle", Throttle: 0.5}}},
	}
	if out := readAll(t, g.post("/admin/risk", adminKey, second)); !strings.Contains(out, `"cases":["case-0001"]`) {
		t.Fatalf("second result: %s", out)
	}
	if out := readAll(t, g.post("/admin/risk", adminKey, second)); !strings.Contains(out, `"cases":null`) {
		t.Errorf("the same result again changed cases: %s", out)
	}
	events := ledgerEvents(t, ledger)
	cases, _ := caseledger.Replay(events)
	if len(cases) != 2 || !reflect.DeepEqual(cases[0].Accounts(), []string{"dev", "dev2"}) || !reflect.DeepEqual(cases[1].Accounts(), []string{"limited"}) {
		t.Fatalf("cases %+v", cases)
	}
	sum := sha256.Sum256(body)
	if tr := events[0].Trigger; tr.Source != caseledger.SourceAdminRisk || tr.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("trigger %+v, want the body's SHA-256", tr)
	}
	if events[2].Kind != caseledger.KindExtended || events[2].Case != "case-0001" {
		t.Errorf("third event %+v, want the extension of case-0001", events[2])
	}
}

func TestFlaggedGroups(t *testing.T) {
	vs := []scanVerdict{
		{account: "a", action: "alert"}, {account: "b", action: "none", cluster: 2, clusterAction: "suspend"},
		{account: "c", action: "throttle", cluster: 2, clusterAction: "suspend"}, {account: "d", action: "none"},
		{account: "e", action: "alert", cluster: 3, clusterAction: "alert"}, {account: "f", action: "suspend"},
	}
	tests := []struct {
		openAt int
		want   [][]string
	}{
		{1, [][]string{{"a"}, {"b", "c"}, {"e"}, {"f"}}},
		{2, [][]string{{"b", "c"}, {"f"}}},
		{3, [][]string{{"b", "c"}, {"f"}}},
	}
	for _, tc := range tests {
		if got := flaggedGroups(vs, tc.openAt); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("open at %d: %v, want %v", tc.openAt, got, tc.want)
		}
	}
}

// TestCasesFromBuiltInScan: the gateway's own scan puts a harvester in a
// case of its own (trigger "scan", with the result's SHA-256).
func TestCasesFromBuiltInScan(t *testing.T) {
	ledger := filepath.Join(t.TempDir(), "cases.jsonl")
	g := startCaseGateway(t, testKey(t, 1), ledger, "risk:\n  scan_every: 1h\n")
	for i := range 30 {
		askAbout(t, g, devKey, "Solve the following physics problem step by step and show your reasoning: gravity case "+strings.Repeat("x", i%3))
		askAbout(t, g, dev2Key, []string{"hello there", "what should I cook tonight", "thanks!", "recommend a novel"}[i%4])
	}
	if _, err := g.srv.ScanNow(); err != nil {
		t.Fatal(err)
	}
	cases, _ := caseledger.Replay(ledgerEvents(t, ledger))
	if len(cases) == 0 || !reflect.DeepEqual(cases[0].Accounts(), []string{"dev"}) || cases[0].Trigger.Source != caseledger.SourceScan || len(cases[0].Trigger.SHA256) != 64 {
		t.Fatalf("cases after the scan: %+v", cases)
	}
	if _, err := g.srv.ScanNow(); err != nil || len(ledgerEvents(t, ledger)) != len(cases) {
		t.Errorf("a second scan of the same traffic changed the ledger: %v", err)
	}
}

// TestCasesRestart: a restarted gateway serves the open cases' accounts
// under their case keys again, keeps the switches still pending (a
// restart before the boundary switches at the boundary), and refuses a
// ledger that was edited.
func TestCasesRestart(t *testing.T) {
	key := testKey(t, 1)
	ledger := filepath.Join(t.TempDir(), "cases.jsonl")
	g := startCaseGateway(t, key, ledger, "")
	caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev"}})
	caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev2"}, Case: "other"})
	caseCall(t, g, "/admin/cases/close", CaseRequest{Case: "other"})
	g.close()

	// Restarted in the same window: every switch is still pending.
	g2 := startCaseGateway(t, key, ledger, "")
	askSeeded(t, g2, devKey, 1)
	askSeeded(t, g2, dev2Key, 1)
	g2.nextWindow()
	askSeeded(t, g2, devKey, 1)
	askSeeded(t, g2, dev2Key, 1)
	g2.close()
	// Restarted after the boundary: dev is in its case from the start.
	later := newTestClock()
	later.advance(time.Hour)
	g3 := startGatewayWith(t, key, "", func(c *Config, o *Options) {
		c.Log.SigningKey = "preloaded"
		c.Cases = CasesConfig{Ledger: ledger, MasterKey: testKeyName, OpenAt: "alert"}
		o.LogSigner, o.Now = caseSigner, later.now
	})
	askSeeded(t, g3, devKey, 1)
	askSeeded(t, g3, dev2Key, 1)
	lines := append(g2.logLines(), g3.logLines()...)
	want := []string{"", "", "case-0001", "", "case-0001", ""}
	for i, e := range lines {
		if i >= len(want) || e.Case != want[i] || e.Watermark.KeyID != strings.TrimSuffix("gw-test."+want[i], ".") {
			t.Errorf("after restart, line %d (%s): case %q key %s, want case %q", i, e.Account, e.Case, e.Watermark.KeyID, want)
		}
	}

	data, _ := os.ReadFile(ledger)
	os.WriteFile(ledger, bytes.Replace(data, []byte(`"accounts":["dev"]`), []byte(`"accounts":["dev2"]`), 1), 0o600)
	cfg, _ := ParseConfig([]byte("keys: {k1: x}\ndefaults: {key: k1}\nlog: {signing_key: s}\ncases: {ledger: " + ledger + "}\n"))
	if _, err := New(cfg, Options{Backend: NewEmbeddedBackend(nil), Keys: map[string]*watermark.Key{testKeyName: key}, LogSigner: caseSigner}); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("an edited ledger: %v", err)
	}
	other := testKey(t, 2)
	os.WriteFile(ledger, data, 0o600)
	if _, err := New(cfg, Options{Backend: NewEmbeddedBackend(nil), Keys: map[string]*watermark.Key{testKeyName: other}, LogSigner: caseSigner}); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Errorf("a ledger of another master key: %v", err)
	}
}

func TestCasesConfig(t *testing.T) {
	base := "keys: {k1: x, k2: y}\ndefaults: {key: k1}\n"
	bad := []struct{ yaml, want string }{
		{base + "cases: {ledger: c.jsonl}\n", "log.signing_key"},
		{base + "log: {signing_key: s}\ncases: {ledger: c.jsonl, master_key: k3}\n", "master_key"},
		{base + "log: {signing_key: s}\ncases: {ledger: c.jsonl, open_at: none}\n", "open_at"},
		{base + "cases: {open_at: alert}\n", "need a ledger"},
		{base + "watermarking: {repeat_window: -1h}\n", "repeat_window"},
	}
	for _, b := range bad {
		if _, err := ParseConfig([]byte(b.yaml)); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: %v, want %q", b.yaml, err, b.want)
		}
	}
	cfg, err := ParseConfig([]byte(base + "log: {signing_key: s}\ncases: {ledger: c.jsonl}\n"))
	if err != nil || cfg.Cases.MasterKey != "k1" || cfg.Cases.OpenAt != "alert" || cfg.Watermarking.RepeatWindow.Duration != time.Hour {
		t.Fatalf("defaults: %+v %v", cfg.Cases, err)
	}
	cfg.dir = t.TempDir()
	if _, err := New(cfg, Options{Backend: NewEmbeddedBackend(nil), Keys: map[string]*watermark.Key{"k1": testKey(t, 1), "k2": testKey(t, 2)}}); err == nil || !strings.Contains(err.Error(), "no signing key") {
		t.Errorf("New without a signer: %v", err)
	}
}

// TestCasesConcurrent: requests in flight while cases open and close are
// each served and logged under one key, the one their line names.
func TestCasesConcurrent(t *testing.T) {
	ledger := filepath.Join(t.TempDir(), "cases.jsonl")
	g := startCaseGateway(t, testKey(t, 1), ledger, "")
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 6 {
				resp, err := g.postErr("/api/generate", []string{devKey, dev2Key}[w%2], map[string]any{"model": "embedded", "prompt": "hi", "stream": false, "options": map[string]any{"num_predict": 5}})
				if err != nil {
					t.Error(err)
					return
				}
				readAll(t, resp)
				_ = i
			}
		})
	}
	for i := range 4 {
		id := []string{"c1", "c2", "c3", "c4"}[i]
		caseCall(t, g, "/admin/cases", CaseRequest{Accounts: []string{"dev", "dev2"}, Case: id})
		g.nextWindow() // requests in flight see the switch
		caseCall(t, g, "/admin/cases/close", CaseRequest{Case: id})
		g.nextWindow()
	}
	wg.Wait()
	ledgerEvents(t, ledger)
	for _, e := range g.logLines() {
		if e.Account == "admin" || e.Account == "" {
			continue
		}
		if wantKey := strings.TrimSuffix("gw-test."+e.Case, "."); e.Watermark == nil || e.Watermark.KeyID != wantKey {
			t.Errorf("line of case %q logged key %+v", e.Case, e.Watermark)
		}
	}
}

func TestSplitAccounts(t *testing.T) {
	for _, tc := range []struct {
		names []string
		limit int
		want  string
	}{
		{nil, 100, "[]"},
		{[]string{"a", "b", "c"}, 100, "[[a b c]]"},
		{[]string{"a", "b", "c"}, 18, "[[a b] [c]]"},  // 9 bytes each
		{[]string{"a", "b", "c"}, 1, "[[a] [b] [c]]"}, // a name larger than the limit still goes alone
	} {
		if got := fmt.Sprint(splitAccounts(tc.names, tc.limit)); got != tc.want {
			t.Errorf("splitAccounts(%v, %d) = %s, want %s", tc.names, tc.limit, got, tc.want)
		}
	}
}
