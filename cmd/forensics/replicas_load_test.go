package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"forensics/internal/measure"
	"forensics/internal/testredis"
	"forensics/serve"
)

// TestReplicaLoad measures authenticated cheap requests (GET /v1/models,
// charged to a limited account) on loopback: requests/s and p99 latency
// for 1 and 3 replicas, state in memory vs in Redis.
// FORENSICS_LOAD_REQUESTS sets the requests per setup (default 20000).
func TestReplicaLoad(t *testing.T) {
	measure.Require(t, "load of 1 and 3 replicas, memory vs Redis, about a minute")
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("FORENSICS_LOAD_REQUESTS")); err == nil && v > 0 {
		n = v
	}
	rds := testredis.Start(t)
	bin := buildForensics(t)
	for _, setup := range []struct {
		name     string
		replicas int
		redis    bool
	}{{"memory", 1, false}, {"memory", 3, false}, {"redis", 1, true}, {"redis", 3, true}} {
		dir := t.TempDir()
		state := ""
		if setup.redis {
			state = fmt.Sprintf("state: {redis: %q, prefix: %q}\n", rds.URL(0), fmt.Sprintf("load%d:", setup.replicas))
		}
		var reps []*replica
		for i := range setup.replicas {
			cfg := filepath.Join(dir, fmt.Sprintf("r%d.yaml", i))
			os.WriteFile(cfg, []byte(state+fmt.Sprintf(`accounts:
  - {name: acme, watermark: false, api_keys: [%q], limits: {requests_per_hour: 1000000000, concurrent: 64}}
log: {path: %s}
watermarking: {pacing: false}
`, serve.HashAPIKey("acme-key"), filepath.Join(dir, fmt.Sprintf("requests%d.jsonl", i)))), 0o644)
			reps = append(reps, startReplica(t, bin, cfg))
		}
		rps, p50, p99 := loadRun(t, reps, n, 16)
		t.Logf("%-6s %d replica(s): %6.0f requests/s, p50 %v, p99 %v (%d requests, 16 at a time)", setup.name, setup.replicas, rps, p50, p99, n)
		for _, r := range reps {
			r.stop()
		}
	}
}

// loadRun sends n GET /v1/models spread over the replicas, conc at a time.
func loadRun(t *testing.T, reps []*replica, n, conc int) (rps float64, p50, p99 time.Duration) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	defer client.CloseIdleConnections()
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	next := make(chan int)
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				req, _ := http.NewRequest("GET", reps[i%len(reps)].url+"/v1/models", nil)
				req.Header.Set("Authorization", "Bearer acme-key")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				if resp.StatusCode != 200 {
					t.Errorf("status %d", resp.StatusCode)
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	el := time.Since(start)
	slices.Sort(lat)
	return float64(n) / el.Seconds(), lat[n/2], lat[n*99/100]
}
