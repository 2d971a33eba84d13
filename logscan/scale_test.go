package logscan_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"forensics/internal/measure"
	"forensics/internal/traffic"
	"forensics/logscan"
)

// recordPool reads a simulated week of 500 accounts: realistic requests
// to deal out to accounts of any size.
func recordPool(t *testing.T) []logscan.Record {
	t.Helper()
	var buf bytes.Buffer
	if _, err := traffic.Simulate(traffic.Config{Accounts: 500, Attackers: 10, Days: 7, Seed: 11}, &buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pool.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var pool []logscan.Record
	if _, err := logscan.Read(context.Background(), []string{path}, logscan.DefaultLayout(), func(r logscan.Record) error {
		pool = append(pool, r)
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	return pool
}

// heapAfterGC is the live heap.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// bytesPerAccount feeds n accounts of per requests each, dealt from the
// pool a minute apart, and returns the scanner's live heap per account.
func bytesPerAccount(pool []logscan.Record, n, per int) float64 {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	before := heapAfterGC()
	s, _ := logscan.NewScanner(logscan.DefaultConfig())
	for a := range n {
		name := fmt.Sprintf("acct-%07d", a)
		for i := range per {
			r := pool[(a*7919+i*104729)%len(pool)]
			r.Account = name
			r.TS = start.Add(time.Duration(i) * time.Minute)
			s.Add(r)
		}
	}
	after := heapAfterGC()
	runtime.KeepAlive(s)
	return float64(after-before) / float64(n)
}

// TestBytesPerAccount measures the scanner's memory per account, for
// light (10 requests) and heavy (10,000 requests) accounts of simulated
// traffic. About 30 s.
func TestBytesPerAccount(t *testing.T) {
	measure.Require(t, "scanner memory per account, about 30 s")
	pool := recordPool(t)
	for _, c := range []struct{ accounts, requests int }{{20000, 10}, {1000, 100}, {20, 10000}} {
		t.Logf("%6d accounts × %5d requests: %8.0f bytes/account", c.accounts, c.requests, bytesPerAccount(pool, c.accounts, c.requests))
	}
}
