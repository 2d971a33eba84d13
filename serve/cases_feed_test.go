package serve

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/watermark"
)

// startCaseReplica is a test gateway on clock clk and feed: holding the
// ledger at ledger, or following (ledger "").
func startCaseReplica(t testing.TB, key *watermark.Key, clk *testClock, feed CaseFeed, ledger string) *gateway {
	t.Helper()
	g := startGatewayWith(t, key, "", func(c *Config, o *Options) {
		c.Log.SigningKey = "preloaded"
		c.Cases = CasesConfig{Ledger: ledger, Follow: ledger == "", MasterKey: testKeyName, OpenAt: "alert"}
		o.LogSigner, o.Now, o.CaseFeed = caseSigner, clk.now, feed
	})
	g.clock = clk
	return g
}

// casedPair is a holder with case-0001 open on dev and a follower started
// after it, on one memory feed.
func casedPair(t *testing.T, key *watermark.Key) (*MemoryCaseFeed, *gateway, *gateway) {
	t.Helper()
	clk := newTestClock()
	feed := &MemoryCaseFeed{}
	holder := startCaseReplica(t, key, clk, feed, filepath.Join(t.TempDir(), "cases.jsonl"))
	caseCall(t, holder, "/admin/cases", CaseRequest{Accounts: []string{"dev"}})
	follower := startCaseReplica(t, key, clk, feed, "")
	return feed, holder, follower
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// TestCasesAcrossReplicas: a case opened on the replica holding the
// ledger reaches a follower, which serves the account under the case key
// from the same boundary, records the event in its own request log and
// refuses to decide cases itself; a follower started later restores the
// cases; the closing follows too.
func TestCasesAcrossReplicas(t *testing.T) {
	key := testKey(t, 1)
	clk := newTestClock()
	feed := &MemoryCaseFeed{}
	holder := startCaseReplica(t, key, clk, feed, filepath.Join(t.TempDir(), "cases.jsonl"))
	follower := startCaseReplica(t, key, clk, feed, "")

	if code, _, body := caseCall(t, follower, "/admin/cases", CaseRequest{Accounts: []string{"dev"}}); code != 409 || !strings.Contains(body, "follows") {
		t.Fatalf("a follower decided a case: %d %s", code, body)
	}
	if code, _, body := caseCall(t, holder, "/admin/cases", CaseRequest{Accounts: []string{"dev"}}); code != 200 {
		t.Fatalf("open: %d %s", code, body)
	}
	took := waitFor(t, "the follower hears of the case", func() bool { return len(follower.srv.cases.list()) == 1 })
	t.Logf("the follower had the case after %v", took)

	askSeeded(t, follower, devKey, 1) // before the boundary: the master key
	clk.advance(time.Duration(follower.srv.window))
	askSeeded(t, follower, devKey, 1)
	askSeeded(t, holder, devKey, 1)
	late := startCaseReplica(t, key, clk, feed, "")
	askSeeded(t, late, devKey, 1)

	if code, _, body := caseCall(t, holder, "/admin/cases/close", CaseRequest{Case: "case-0001"}); code != 200 {
		t.Fatalf("close: %d %s", code, body)
	}
	waitFor(t, "the followers hear of the closing", func() bool {
		return !follower.srv.cases.list()[0].Open() && !late.srv.cases.list()[0].Open()
	})
	clk.advance(time.Duration(follower.srv.window))
	askSeeded(t, late, devKey, 1)

	type served struct{ replica, keyID string }
	var got []served
	for name, g := range map[string]*gateway{"follower": follower, "holder": holder, "late": late} {
		for _, e := range g.logLines() {
			if e.Event == "" && e.Endpoint == "/api/generate" {
				got = append(got, served{name, e.Watermark.KeyID})
			}
		}
	}
	want := map[served]int{{"follower", "gw-test"}: 1, {"follower", "gw-test.case-0001"}: 1, {"holder", "gw-test.case-0001"}: 1,
		{"late", "gw-test.case-0001"}: 1, {"late", "gw-test"}: 1}
	counts := map[served]int{}
	for _, s := range got {
		counts[s]++
	}
	if len(counts) != len(want) {
		t.Fatalf("served %v, want %v", counts, want)
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%v served %d times, want %d (all: %v)", k, counts[k], n, counts)
		}
	}
	// The follower's own request log records both events it applied.
	data, err := os.ReadFile(filepath.Join(follower.logDir, "requests.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte(`"event":"case"`)); n != 2 {
		t.Errorf("the follower's request log records %d case events, want 2", n)
	}
}

// TestCaseFeedRefusesForgeries: a line in the feed that the ledger's
// signer did not sign stops a follower at it (nothing is served under a
// forged case); a second ledger cannot claim the feed; a follower needs a
// feed.
func TestCaseFeedRefusesForgeries(t *testing.T) {
	key := testKey(t, 1)
	feed, holder, follower := casedPair(t, key)
	if n := len(follower.srv.cases.list()); n != 1 {
		t.Fatalf("the follower restored %d cases", n)
	}

	// A forged extension: the holder's line with dev2 added, re-hashed
	// but signed with another key.
	lines, _ := feed.Since(context.Background(), 0)
	forged := bytes.Replace(lines[0], []byte(`"accounts":["dev"]`), []byte(`"accounts":["dev2"]`), 1)
	forgedFeed := &MemoryCaseFeed{ledger: holder.srv.cases.id()}
	forgedFeed.Publish(context.Background(), holder.srv.cases.id(), 1, forged)
	_, err := New(follower.srv.cfg, Options{Backend: follower.srv.backend, Keys: map[string]*watermark.Key{testKeyName: key}, LogSigner: caseSigner, CaseFeed: forgedFeed})
	if err == nil || !strings.Contains(err.Error(), "event 1") {
		t.Errorf("a follower started on a forged feed: %v", err)
	}

	// A second ledger cannot take the feed over.
	_, err = New(holder.srv.cfg, Options{Backend: holder.srv.backend, Keys: map[string]*watermark.Key{testKeyName: key}, LogSigner: caseSigner, CaseFeed: feed,
		Now: holder.clock.now})
	if err == nil {
		t.Error("a second process opened the held ledger")
	}
	other := *holder.srv.cfg
	other.Cases.Ledger = filepath.Join(t.TempDir(), "other.jsonl")
	if _, err := New(&other, Options{Backend: holder.srv.backend, Keys: map[string]*watermark.Key{testKeyName: key}, LogSigner: caseSigner, CaseFeed: feed}); err == nil || !strings.Contains(err.Error(), "belongs to ledger") {
		t.Errorf("a second ledger on the feed: %v", err)
	}
	alone := *follower.srv.cfg
	if _, err := New(&alone, Options{Backend: follower.srv.backend, Keys: map[string]*watermark.Key{testKeyName: key}, LogSigner: caseSigner}); err == nil || !strings.Contains(err.Error(), "shared state") {
		t.Errorf("a follower without a feed: %v", err)
	}
	if _, err := ParseConfig([]byte("keys: {k1: x}\ndefaults: {key: k1}\nlog: {signing_key: s}\ncases: {ledger: l, follow: true}\n")); err == nil {
		t.Error("a config both holding and following the ledger")
	}
}

func TestMemoryCaseFeed(t *testing.T) {
	ctx := context.Background()
	f := &MemoryCaseFeed{ledger: "l1"}
	steps := []struct {
		seq  int
		line string
		ok   bool
	}{{1, "a", true}, {1, "a", true}, {1, "b", false}, {3, "c", false}, {2, "c", true}}
	for _, s := range steps {
		if err := f.Publish(ctx, "l1", s.seq, []byte(s.line)); (err == nil) != s.ok {
			t.Errorf("publish %d %q: %v", s.seq, s.line, err)
		}
	}
	got, _ := f.Since(ctx, 1)
	if len(got) != 1 || string(got[0]) != "c" {
		t.Errorf("since 1: %q", got)
	}
	if err := f.Publish(ctx, "l2", 3, []byte("d")); err == nil {
		t.Error("another ledger published into a claimed feed")
	}
	first, again, other := f.Claim(ctx, "l1"), f.Claim(ctx, "l1"), f.Claim(ctx, "l2")
	if first != nil || again != nil || other == nil {
		t.Errorf("claims: first %v, again %v, another ledger %v", first, again, other)
	}
}

// TestCaseFeedRefilled: a feed that lost its lines (a flushed Redis) is
// filled again by the holder, so a follower started afterwards still
// serves the open cases.
func TestCaseFeedRefilled(t *testing.T) {
	key := testKey(t, 1)
	clk := newTestClock()
	feed := &MemoryCaseFeed{}
	holder := startCaseReplica(t, key, clk, feed, filepath.Join(t.TempDir(), "cases.jsonl"))
	caseCall(t, holder, "/admin/cases", CaseRequest{Accounts: []string{"dev"}})
	caseCall(t, holder, "/admin/cases", CaseRequest{Accounts: []string{"dev2"}})
	feed.mu.Lock()
	feed.lines, feed.ledger = nil, ""
	feed.mu.Unlock()
	took := waitFor(t, "the holder refills the feed", func() bool {
		lines, _ := feed.Since(context.Background(), 0)
		return len(lines) == 2
	})
	t.Logf("refilled after %v", took)
	late := startCaseReplica(t, key, clk, feed, "")
	if n := len(late.srv.cases.list()); n != 2 {
		t.Fatalf("a follower started after the refill has %d cases", n)
	}
}

// TestCaseFeedTakenOver: after the feed was emptied, a second ledger
// claims it before the holder refills it. The follower stops following
// (it serves on the cases it had) and, with the holder, reports the case
// feed in /readyz, instead of serving one case id under two keys.
func TestCaseFeedTakenOver(t *testing.T) {
	key := testKey(t, 1)
	feed, holder, follower := casedPair(t, key)
	feed.mu.Lock()
	feed.lines, feed.ledger = nil, "0123456789abcdef"
	feed.mu.Unlock()
	for name, g := range map[string]*gateway{"holder": holder, "follower": follower} {
		waitFor(t, name+" reports the case feed", func() bool { return g.srv.cases.feedReady(context.Background()) != nil })
		resp := g.get("/readyz", "")
		if body := readAll(t, resp); resp.StatusCode != 503 {
			t.Errorf("%s /readyz with a taken feed: %d %s", name, resp.StatusCode, body)
		}
	}
	if err := follower.srv.cases.feedReady(context.Background()); !strings.Contains(err.Error(), "belongs to ledger") {
		t.Errorf("the follower's reason: %v", err)
	}
	if n := len(follower.srv.cases.list()); n != 1 {
		t.Errorf("the follower kept %d cases", n)
	}
}
