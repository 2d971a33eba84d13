package serve

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"forensics/internal/measure"
)

// loadRun is what concurrent streaming clients saw.
type loadRun struct {
	ids      map[string]bool // X-Request-Id of each answered request
	latency  []time.Duration // request to final message
	tokens   int             // eval_count of the final messages
	elapsed  time.Duration
	problems []string // answers that were not a whole 200 stream
}

// runLoad has clients concurrent clients stream 64-token chats, each
// sending its next request when the last is read, until it has sent
// perClient or the deadline has passed.
func runLoad(g *gateway, clients, perClient int, deadline time.Time) *loadRun {
	run := &loadRun{ids: map[string]bool{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perClient && time.Now().Before(deadline); i++ {
				sent := time.Now()
				id, tokens, problem := streamChat(g, fmt.Sprintf("client %d question %d", c, i))
				mu.Lock()
				run.latency = append(run.latency, time.Since(sent))
				run.tokens += tokens
				run.ids[id] = true
				if problem != "" {
					run.problems = append(run.problems, problem)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	run.elapsed = time.Since(start)
	return run
}

// streamChat sends one streamed 64-token chat and reads it whole. It
// returns the request's id, the final message's token count, and what was
// wrong with the answer, if anything.
func streamChat(g *gateway, question string) (id string, tokens int, problem string) {
	resp, err := g.postErr("/api/chat", devKey, map[string]any{"model": "embedded",
		"messages": []map[string]string{{"role": "user", "content": question}},
		"options":  map[string]any{"num_predict": 64, "min_tokens": 64}})
	if err != nil {
		return "", 0, err.Error()
	}
	defer resp.Body.Close()
	id = resp.Header.Get("X-Request-Id")
	var last struct {
		Done       bool   `json:"done"`
		DoneReason string `json:"done_reason"`
		EvalCount  int    `json:"eval_count"`
		Error      string `json:"error"`
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		last.Done, last.Error = false, ""
		if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
			return id, 0, fmt.Sprintf("%s: line %q: %v", id, sc.Text(), err)
		}
	}
	if resp.StatusCode != 200 || sc.Err() != nil || !last.Done || last.Error != "" || last.DoneReason != "length" || last.EvalCount != 64 {
		return id, last.EvalCount, fmt.Sprintf("%s: status %d, read error %v, final message %+v", id, resp.StatusCode, sc.Err(), last)
	}
	return id, last.EvalCount, ""
}

// check asserts that every answer was a whole stream and that every
// request is in the log exactly once, as served.
func (run *loadRun) check(t *testing.T, g *gateway) {
	t.Helper()
	for _, p := range run.problems {
		t.Error(p)
	}
	entries := g.logLines()
	logged := map[string]int{}
	for _, e := range entries {
		logged[e.RequestID]++
		if e.Status != 200 || e.CompletionTokens != 64 || !run.ids[e.RequestID] {
			t.Errorf("logged %s: status %d, %d tokens, answered %v", e.RequestID, e.Status, e.CompletionTokens, run.ids[e.RequestID])
		}
	}
	if len(entries) != len(run.latency) || len(logged) != len(run.ids) || len(run.ids) != len(run.latency) {
		t.Fatalf("%d log lines, %d distinct, for %d requests with %d distinct ids", len(entries), len(logged), len(run.latency), len(run.ids))
	}
}

// TestLoad: 16 concurrent streaming clients, 4 requests each; every
// answer is a whole 64-token stream and every request is logged once.
func TestLoad(t *testing.T) {
	g := startGateway(t, testKey(t, 1), "")
	run := runLoad(g, 16, 4, time.Now().Add(time.Minute))
	if len(run.latency) != 64 {
		t.Fatalf("%d requests answered, want 64", len(run.latency))
	}
	run.check(t, g)
}

// TestLoadThroughput measures the gateway's throughput and latency under
// 16 streaming clients for 2 seconds, with TestLoad's checks.
func TestLoadThroughput(t *testing.T) {
	measure.Require(t, "gateway throughput and p99 latency, 16 streaming clients, 2 s")
	g := startGateway(t, testKey(t, 1), "")
	const clients = 16
	run := runLoad(g, clients, 1000, time.Now().Add(2*time.Second))
	lat := run.latency
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := lat[int(math.Ceil(0.99*float64(len(lat))))-1]
	secs := run.elapsed.Seconds()
	t.Logf("%d clients, %d requests in %v: %.0f requests/s, %.0f tokens/s, p50 %v, p99 %v",
		clients, len(lat), run.elapsed.Round(time.Millisecond), float64(len(lat))/secs, float64(run.tokens)/secs, lat[len(lat)/2], p99)
	run.check(t, g)
}
