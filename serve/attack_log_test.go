package serve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"forensics/internal/jsonl"
	"forensics/llm"
	"forensics/logline"
	"forensics/logscan"
	"forensics/reqlog"
)

// realGateway serves a gateway the way `forensics serve` does: its
// http.Server settings behind the connection-limiting listener, on a
// loopback port.
type realGateway struct {
	*gateway
	url string
	ln  *LimitedListener
	hs  *http.Server
}

func startReal(t *testing.T, change func(*Config, *Options)) *realGateway {
	t.Helper()
	g := startGatewayWith(t, testKey(t, 1), "", change)
	g.http.Close() // the httptest server is not used
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := LimitListener(raw, g.srv.cfg.HTTP.MaxConnections, g.srv.cfg.HTTP.MaxConnectionsPerIP)
	hs := g.srv.HTTPServer(g.srv.Handler(), ln)
	done := make(chan struct{})
	go func() { hs.Serve(ln); close(done) }()
	rg := &realGateway{gateway: g, url: "http://" + raw.Addr().String(), ln: ln, hs: hs}
	g.http = nil // close() below stops the real server instead
	t.Cleanup(func() {
		hs.Close()
		<-done
		g.srv.Close()
	})
	return rg
}

// do sends a request with headers to the real gateway.
func (rg *realGateway) do(t *testing.T, method, path, key string, body []byte, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, rg.url+path, bytes.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// logFiles reads every line of the log and its archives.
func logFiles(t *testing.T, path string) (lines []string, bytes int64) {
	t.Helper()
	files, err := reqlog.Files(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		st, _ := os.Stat(f)
		bytes += st.Size()
		data := readMaybeGzipFile(t, f)
		lines = append(lines, strings.Split(strings.TrimSpace(string(data)), "\n")...)
	}
	return lines, bytes
}

// TestAttackLogWipe: a harvester's requests are logged, then an attacker
// without a key sends 5 requests with 60 KB user agents (the largest the
// header limit lets through) and 2,000 more from its address, and the
// harvester itself sends 20 requests of 900 KB for a model that does not
// exist, all under a 1 MB rotation size. Before, rotation deleted the
// oldest files and 5 such requests wiped every harvesting line. Now
// nothing is deleted, every line is bounded, unauthenticated lines stop at
// the address's limit, and the chain verifies.
func TestAttackLogWipe(t *testing.T) {
	rg := startReal(t, func(c *Config, _ *Options) {
		c.Log.MaxSizeMB = 1
		c.Requests.MaxBodyBytes = 1 << 20
	})
	gen, _ := json.Marshal(map[string]any{"model": "embedded", "prompt": "The harvest", "stream": false, "options": map[string]any{"num_predict": 4}})
	for i := 0; i < 50; i++ {
		if code, body := rg.do(t, "POST", "/api/generate", devKey, gen, nil); code != 200 {
			t.Fatalf("harvest request: %d %s", code, body)
		}
	}
	var codes = map[int]int{}
	for i := 0; i < 5; i++ {
		code, _ := rg.do(t, "POST", "/api/generate", "", gen, map[string]string{"User-Agent": strings.Repeat("A", 60<<10)})
		codes[code]++
	}
	for i := 0; i < 2000; i++ {
		code, _ := rg.do(t, "POST", "/api/generate", "wrong-key", gen, map[string]string{"User-Agent": strings.Repeat("B", 1<<10)})
		codes[code]++
	}
	big, _ := json.Marshal(map[string]any{"model": "no-such-model", "prompt": strings.Repeat("x", 900<<10)})
	for i := 0; i < 20; i++ {
		code, _ := rg.do(t, "POST", "/api/generate", devKey, big, nil)
		codes[code]++
	}
	rg.srv.flushSuppressed(time.Now().Add(time.Minute))
	path := filepath.Join(rg.logDir, "requests.jsonl")
	rg.hs.Close()
	if err := rg.srv.Close(); err != nil {
		t.Fatal(err)
	}
	lines, size := logFiles(t, path)
	harvest, unauth, suppressed, longest := 0, 0, 0, 0
	for _, l := range lines {
		longest = max(longest, len(l))
		var e logline.Entry
		json.Unmarshal([]byte(l), &e)
		switch {
		case e.Account == "dev" && e.Status == 200:
			harvest++
		case e.Status == 401:
			unauth++
		case e.Event == "suppressed":
			suppressed += e.Suppressed
		}
	}
	files, _ := reqlog.Files(path)
	r, err := reqlog.Verify(context.Background(), files, reqlog.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("answers %v; log: %d files, %d bytes, longest line %d bytes; harvest lines kept %d/50; unauthenticated lines %d, suppressed %d; chain ok %v",
		codes, len(files), size, longest, harvest, unauth, suppressed, r.OK())
	if harvest != 50 || !r.OK() {
		t.Errorf("harvest lines kept %d/50, chain problems %v", harvest, r.Problems)
	}
	if unauth > 2*rg.srv.cfg.HTTP.UnauthenticatedPerMinute || unauth+suppressed != 2005 {
		t.Errorf("%d unauthenticated lines and %d suppressed for 2005 requests", unauth, suppressed)
	}
	if longest > rg.srv.cfg.Log.MaxFieldBytes+16<<10 {
		t.Errorf("a line of %d bytes: fields are not bounded", longest)
	}
}

// TestAttackSlowBodies: 1,100 connections from one address send headers
// announcing a body and then trickle it. Before, they held a file
// descriptor each until the process ran out and /healthz failed. Now one
// address holds at most max_connections_per_ip, a body not sent within
// body_timeout is cut, and /healthz, asked from another address, answers.
func TestAttackSlowBodies(t *testing.T) {
	rg := startReal(t, func(c *Config, _ *Options) {
		c.HTTP.BodyTimeout.Duration = time.Second
	})
	addr := strings.TrimPrefix(rg.url, "http://")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	keys := []string{"", devKey}
	for i := 0; i < 1100; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		auth := ""
		if k := keys[i%2]; k != "" {
			auth = "Authorization: Bearer " + k + "\r\n"
		}
		fmt.Fprintf(c, "POST /api/generate HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", auth)
	}
	time.Sleep(300 * time.Millisecond)
	rg.ln.mu.Lock()
	held := rg.ln.open[clientNet(netip.MustParseAddr("127.0.0.1"))]
	rg.ln.mu.Unlock()
	// Health, from another loopback address.
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 2 * time.Second}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 3 * time.Second}
	resp, err := hc.Get(rg.url + "/healthz")
	healthy := err == nil && resp.StatusCode == 200
	if resp != nil {
		resp.Body.Close()
	}
	hc.CloseIdleConnections()
	// Trickle one byte a 200 ms to the connections still open: past
	// body_timeout they are cut. Stop when none is left, or at 2.5 s.
	start := time.Now()
	after := held
	for after > 0 && time.Since(start) < 2500*time.Millisecond {
		for _, c := range conns {
			c.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
			c.Write([]byte(" "))
		}
		time.Sleep(200 * time.Millisecond)
		rg.ln.mu.Lock()
		after = rg.ln.open[clientNet(netip.MustParseAddr("127.0.0.1"))]
		rg.ln.mu.Unlock()
	}
	t.Logf("1,100 trickling connections: %d held by the gateway (cap %d), /healthz from another address ok=%v, %d still held after %s of trickling (body_timeout 1s)",
		held, rg.srv.cfg.HTTP.MaxConnectionsPerIP, healthy, after, time.Since(start).Round(time.Millisecond))
	if held > rg.srv.cfg.HTTP.MaxConnectionsPerIP || !healthy || after != 0 {
		t.Errorf("held %d, healthy %v, %d left after the body timeout", held, healthy, after)
	}
	lines := rg.logLines()
	timeouts := 0
	for _, e := range lines {
		if e.Status == http.StatusRequestTimeout {
			timeouts++
		}
	}
	if timeouts == 0 {
		t.Error("no authenticated slow body was logged as 408")
	}
}

// TestShutdownCutIsLogged: a generation cut by the shutdown is logged as
// 499 with what was generated, not as a finished 200.
func TestShutdownCutIsLogged(t *testing.T) {
	started := make(chan struct{})
	g := startGatewayWith(t, testKey(t, 1), "", func(_ *Config, o *Options) {
		o.Backend = startSignal{Backend: o.Backend, tokens: 4000, once: &sync.Once{}, started: started}
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest("POST", g.http.URL+"/api/generate", strings.NewReader(
			`{"model":"embedded","prompt":"The","stream":false,"options":{"num_predict":4000,"min_tokens":4000}}`))
		req.Header.Set("Authorization", "Bearer "+devKey)
		resp, err := g.http.Client().Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	// Shut down once the generation runs (not after a fixed sleep: on a
	// loaded machine the request could arrive after the shutdown).
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the generation did not start")
	}
	g.srv.BeginShutdown()
	g.http.CloseClientConnections() // what http.Server.Close does when shutdown_timeout runs out
	<-done
	lines := g.logLines()
	if len(lines) != 1 || lines[0].Status != 499 || !strings.Contains(lines[0].Error, "shutdown") || lines[0].CompletionTokens >= 4000 {
		t.Fatalf("cut generation logged as %+v", lines)
	}
}

// startSignal is a backend that closes started when a stream of the given
// number of tokens begins (not the pacing calibration's streams).
type startSignal struct {
	Backend
	tokens  int
	once    *sync.Once
	started chan struct{}
}

func (b startSignal) Stream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) error {
	if req.MaxTokens == b.tokens {
		b.once.Do(func() { close(b.started) })
	}
	return b.Backend.Stream(ctx, req, fn)
}

func readMaybeGzipFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := jsonl.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestAttackUnloggableInput: inputs built so that the model would read
// text the log could not hold whole. A question after 300 KB of filler
// (past max_field_bytes), 5,000 padding messages with "<<<" roles, and
// 1.25 MB of control characters (six bytes each in JSON) must all be refused
// before generation; their log lines stay bounded and every line reads
// back in scan-logs. A long but loggable chat is served and logged whole.
func TestAttackUnloggableInput(t *testing.T) {
	g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, _ *Options) {
		c.Requests.MaxBodyBytes = 8 << 20
	})
	filler := strings.Repeat("-", 300<<10) + " HARVEST-QUESTION: explain the proof step by step"
	var pad []map[string]string
	for i := 0; i < 5000; i++ {
		pad = append(pad, map[string]string{"role": strings.Repeat("<", 64), "content": ""})
	}
	pad = append(pad, map[string]string{"role": "user", "content": "HARVEST-QUESTION"})
	ctrl := strings.Repeat("\x01", 250<<10)
	var long []map[string]string
	for i := 0; i < 500; i++ {
		long = append(long, map[string]string{"role": "user", "content": fmt.Sprintf("turn %d of a long conversation", i)},
			map[string]string{"role": "assistant", "content": "I see."})
	}
	cases := []struct {
		name string
		path string
		body map[string]any
		want int
	}{
		{"question after 300 KB of filler", "/api/generate", map[string]any{"model": "embedded", "prompt": filler, "stream": false}, 400},
		{"5,000 padding messages", "/api/chat", map[string]any{"model": "embedded", "messages": pad, "stream": false}, 400},
		{"1.25 MB of control characters", "/api/chat", map[string]any{"model": "embedded", "stream": false, "messages": []map[string]string{
			{"role": "system", "content": ctrl}, {"role": "user", "content": ctrl}, {"role": "tool", "content": ctrl}, {"role": "user", "content": ctrl}, {"role": "user", "content": ctrl}}}, 400},
		{"1,000-message chat", "/api/chat", map[string]any{"model": "embedded", "messages": long, "stream": false, "options": map[string]any{"num_predict": 5}}, 200},
	}
	for _, c := range cases {
		resp := g.post(c.path, devKey, c.body)
		msg := readAll(t, resp)
		t.Logf("%s: %d %.120s", c.name, resp.StatusCode, msg)
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
	path := filepath.Join(g.logDir, "requests.jsonl")
	g.close()
	data, _ := os.ReadFile(path)
	longest := 0
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		longest = max(longest, len(l))
	}
	rep, err := logscan.Scan(context.Background(), logscan.DefaultConfig(), []string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("longest log line %d bytes; scan-logs read %d records, %d malformed", longest, rep.Read.Records, rep.Read.Malformed)
	if longest > maxRequestLine+(1<<20) || rep.Read.Malformed != 0 || rep.Read.Records != len(cases) {
		t.Errorf("log lines not bounded or not all readable")
	}
	sum := sha256.Sum256([]byte(filler))
	if !strings.Contains(string(data), fmt.Sprintf(`"field":"prompt","bytes":%d,"sha256":"%x"`, len(filler), sum)) {
		t.Error("the refused prompt's length and hash are not in the log")
	}
}

// TestAttackManyAddresses: unauthenticated requests from 4,000 IPv6
// addresses of one /48 share one budget; from 4,000 different /48s they
// share the budget of all addresses. Either way the log gets a bounded
// number of lines, and each refused request is counted in a summary.
func TestAttackManyAddresses(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	h := g.srv.Handler()
	send := func(addr string) int {
		req := httptest.NewRequest("POST", "/api/generate", strings.NewReader(`{}`))
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	codes := map[int]int{}
	for i := 0; i < 4000; i++ {
		codes[send(fmt.Sprintf("[2001:db8:1:%x::1]:4000", i))]++
	}
	for i := 0; i < 4000; i++ {
		codes[send(fmt.Sprintf("[2001:db8:%x::1]:4000", 0x100+i))]++
	}
	g.srv.flushSuppressed(time.Now().Add(time.Minute))
	logged, suppressed := 0, 0
	for _, e := range g.logLines() {
		switch {
		case e.Status == 401:
			logged++
		case e.Event == "suppressed":
			suppressed += e.Suppressed
		}
	}
	per, total := g.srv.cfg.HTTP.UnauthenticatedPerMinute, g.srv.cfg.HTTP.UnauthenticatedTotalPerMinute
	t.Logf("8,000 requests from 4,000 /64s of one /48 and 4,000 /48s: answers %v; %d logged (budgets %d per address, %d in all), %d counted in summaries",
		codes, logged, per, total, suppressed)
	if logged > total || logged+suppressed != 8000 {
		t.Errorf("%d lines logged, %d suppressed", logged, suppressed)
	}
}

// TestAttackIdleConnections: 8 addresses each hold as many idle
// connections as the per-address cap allows, filling every slot. A client
// from another address must still be served: the listener closes the
// connection idle longest to make room.
func TestAttackIdleConnections(t *testing.T) {
	rg := startReal(t, func(c *Config, _ *Options) {
		c.HTTP.MaxConnections, c.HTTP.MaxConnectionsPerIP = 128, 16
	})
	addr := strings.TrimPrefix(rg.url, "http://")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for a := 1; a <= 8; a++ {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(a))}}
		for i := 0; i < 16; i++ {
			c, err := d.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
	}
	time.Sleep(1200 * time.Millisecond) // idle long enough to be evicted
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 2, 1)}}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 3 * time.Second}
	start := time.Now()
	resp, err := hc.Get(rg.url + "/healthz")
	ok := err == nil && resp.StatusCode == 200
	if resp != nil {
		resp.Body.Close()
	}
	hc.CloseIdleConnections()
	t.Logf("128 idle connections from 8 addresses filled every slot; a request from another address: ok=%v after %v", ok, time.Since(start).Round(time.Millisecond))
	if !ok {
		t.Fatalf("locked out: %v", err)
	}
}

// TestTrustedProxies: X-Forwarded-For counts only from a trusted proxy.
func TestTrustedProxies(t *testing.T) {
	g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, _ *Options) {
		c.HTTP.TrustedProxies = []string{"10.0.0.0/8"}
		if err := c.validate(); err != nil {
			t.Fatal(err)
		}
	})
	ip := func(remote, xff string) string {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		return g.srv.clientIP(r).String()
	}
	for _, c := range []struct{ remote, xff, want string }{
		{"203.0.113.9:1", "198.51.100.7", "203.0.113.9"},                    // not a proxy: its header is ignored
		{"10.1.2.3:1", "198.51.100.7", "198.51.100.7"},                      // a proxy: the client it names
		{"10.1.2.3:1", "192.0.2.1, 198.51.100.7, 10.9.9.9", "198.51.100.7"}, // a chain: the last untrusted hop
		{"10.1.2.3:1", "garbage", "10.1.2.3"},
	} {
		if got := ip(c.remote, c.xff); got != c.want {
			t.Errorf("remote %s, X-Forwarded-For %q: %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}
