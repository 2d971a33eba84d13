package serve

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"forensics/logline"
	"forensics/reqlog"
)

// smallDisk mounts a tmpfs of size bytes (root only; CI runs as root).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root (CI runs as root)")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// fill writes to path until the disk is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	// Fill the last partial block too.
	for {
		if _, err := f.Write(buf[:1]); err != nil {
			break
		}
	}
}

// TestAttackDiskFull fills the log's disk while the gateway serves. Before,
// serving went on, lines were lost, the torn line was glued to the next
// record when space returned, and shutdown said "request log flushed". Now
// /readyz turns 503, watermarked accounts are refused (on_failure:
// refuse-watermarked) while unwatermarked ones are served and their lines
// wait in memory, and when space returns every line is written, in order,
// none glued to another, and the chain verifies. With the disk still full
// at shutdown, Close says how many lines are missing.
func TestAttackDiskFull(t *testing.T) {
	for _, recover := range []bool{true, false} {
		disk := smallDisk(t, "256k")
		path := filepath.Join(disk, "requests.jsonl")
		g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, _ *Options) { c.Log.Path = path })
		gen := map[string]any{"model": "embedded", "prompt": "The", "stream": false, "options": map[string]any{"num_predict": 5}}
		for i := 0; i < 5; i++ {
			readAll(t, g.post("/api/generate", devKey, gen))
		}
		fill(t, filepath.Join(disk, "filler"))
		codes := map[string]int{}
		var devSeq []int // the watermarked account's answers, in order
		for i := 0; i < 10; i++ {
			for _, k := range []string{devKey, plainKey} {
				resp := g.post("/api/generate", k, gen)
				readAll(t, resp)
				codes[k+" "+resp.Status]++
				if k == devKey {
					devSeq = append(devSeq, resp.StatusCode)
				}
			}
		}
		// A flood without a key while the log fails: counted, not queued
		// (the queue is kept for accounts' lines).
		for i := 0; i < 500; i++ {
			readAll(t, g.post("/api/generate", "no-such-key", gen))
		}
		g.srv.log.Healthy()
		health := g.get("/readyz", "")
		hbody := readAll(t, health)
		if recover {
			os.Remove(filepath.Join(disk, "filler"))
			deadline := time.Now().Add(5 * time.Second)
			for g.srv.log.Healthy() != nil && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond) // the writer retries every second
			}
		}
		healthAfter := readAll(t, g.get("/readyz", ""))
		g.http.Close()
		closeErr := g.srv.Close()
		g.http = nil
		t.Logf("recover=%v: answers while full %v; /readyz %d %q, after %q; close: %v", recover, codes, health.StatusCode, strings.TrimSpace(hbody), strings.TrimSpace(healthAfter), closeErr)
		// Lines go on being written into the slack of the log file's last
		// block (how much depends on the lines' sizes); the first write
		// that fails tells the gateway: that request was served (its line
		// waits in memory), and from then on every watermarked request is
		// refused. A block holds a few lines, so most of the ten are.
		first := slices.Index(devSeq, 503)
		refusedAfter := first >= 0 && !slices.ContainsFunc(devSeq[first:], func(c int) bool { return c != 503 })
		if health.StatusCode != 503 || !refusedAfter || codes[devKey+" 503 Service Unavailable"] < 5 || codes[plainKey+" 200 OK"] != 10 {
			t.Fatalf("while the disk was full: health %d, answers %v (watermarked, in order: %v)", health.StatusCode, codes, devSeq)
		}
		if !recover {
			if closeErr == nil || !strings.Contains(closeErr.Error(), "could not be written") {
				t.Fatalf("shutdown with the disk full said %v", closeErr)
			}
			continue
		}
		if closeErr != nil || healthAfter != "ok\n" {
			t.Fatalf("after space returned: close %v, health %q", closeErr, healthAfter)
		}
		data, _ := os.ReadFile(path)
		counts := map[string]int{}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var e logline.Entry
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatalf("a line is not one JSON object (glued or torn): %q", l)
			}
			if strings.Count(l, `"seq":`) != 1 {
				t.Fatalf("two records on one line: %q", l)
			}
			if e.Event == "" {
				counts[e.Account+" "+http2str(e.Status)]++
			}
		}
		r, err := reqlog.Verify(context.Background(), []string{path}, reqlog.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("log after recovery: %v; chain ok %v, torn %d, gaps %d", counts, r.OK(), len(r.Torn), len(r.Gaps))
		suppressed := 0
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var e logline.Entry
			json.Unmarshal([]byte(l), &e)
			suppressed += e.Suppressed
		}
		t.Logf("unauthenticated requests while failing: %d counted in summaries, %d lines of their own", suppressed, counts[" 401"])
		if counts["dev 200"]+counts["dev 503"] != 15 || counts["plain 200"] != 10 || !r.OK() || len(r.Gaps) != 0 {
			t.Fatalf("lines lost or chain broken: %v, problems %v", counts, r.Problems)
		}
	}
}

func http2str(code int) string {
	b, _ := json.Marshal(code)
	return string(b)
}
