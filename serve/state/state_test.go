package state

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"forensics/internal/testredis"
)

// stores runs f against the memory store and a Redis store, both on the
// fake clock now.
func stores(t *testing.T, now func() time.Time, f func(t *testing.T, s Store)) {
	t.Run("memory", func(t *testing.T) {
		m, err := NewMemory(now, "")
		if err != nil {
			t.Fatal(err)
		}
		f(t, m)
	})
	t.Run("redis", func(t *testing.T) {
		srv := testredis.Start(t)
		r, err := OpenRedis(context.Background(), RedisOptions{URL: srv.URL(0), Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		f(t, r)
	})
}

type step struct {
	advance time.Duration
	bucket  Bucket // the limits at this step (a change rescales)
	cost    float64
	force   bool
	ok      bool
	level   float64 // after the step
}

var hour, day = Bucket{Capacity: 100, Per: time.Hour}, Bucket{Capacity: 1000, Per: 24 * time.Hour}

// bucketTable is the bucket arithmetic of limits.go: a full burst, an
// even refill, overdraw by force, refunds up to capacity, and a change of
// limits that keeps the share used.
var bucketTable = []struct {
	name  string
	steps []step
}{
	{"burst then refused", []step{
		{bucket: Bucket{Capacity: 2, Per: time.Hour}, cost: 1, ok: true, level: 1},
		{bucket: Bucket{Capacity: 2, Per: time.Hour}, cost: 1, ok: true, level: 0},
		{bucket: Bucket{Capacity: 2, Per: time.Hour}, cost: 1, ok: false, level: 0},
		{advance: 30 * time.Minute, bucket: Bucket{Capacity: 2, Per: time.Hour}, cost: 1, ok: true, level: 0},
	}},
	{"refill is even and capped", []step{
		{bucket: hour, cost: 50, ok: true, level: 50},
		{advance: 18 * time.Minute, bucket: hour, cost: 0, ok: true, level: 80},
		{advance: 10 * time.Hour, bucket: hour, cost: 0, ok: true, level: 100},
	}},
	{"reservation must fit", []step{
		{bucket: day, cost: 900, ok: true, level: 100},
		{bucket: day, cost: 101, ok: false, level: 100},
		{bucket: day, cost: 100, ok: true, level: 0},
	}},
	{"overdraw by force, then refund", []step{
		{bucket: day, cost: 1200, force: true, ok: true, level: -200},
		{bucket: day, cost: 1, ok: false, level: -200},
		{bucket: day, cost: -150, force: true, ok: true, level: -50},
		{bucket: day, cost: -5000, force: true, ok: true, level: 1000},
	}},
	{"tightening keeps the share used", []step{
		{bucket: Bucket{Capacity: 10, Per: time.Hour}, cost: 5, ok: true, level: 5},
		{bucket: Bucket{Capacity: 2, Per: time.Hour}, cost: 1, ok: true, level: 0},
		{bucket: Bucket{Capacity: 2, Per: time.Hour}, cost: 1, ok: false, level: 0},
		{bucket: Bucket{Capacity: 10, Per: time.Hour}, cost: 0, ok: true, level: 0},
	}},
	{"unlimited", []step{
		{bucket: Bucket{}, cost: 1e9, ok: true, level: 0},
	}},
}

func TestBuckets(t *testing.T) {
	for _, tc := range bucketTable {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
			stores(t, now, func(t *testing.T, s Store) {
				for i, st := range tc.steps {
					mu.Lock()
					clock = clock.Add(st.advance)
					mu.Unlock()
					got, err := s.Take(context.Background(), Take{Key: "a", Bucket: st.bucket, Cost: st.cost, Force: st.force,
						Shadow: "a-shadow", ShadowBucket: hour})
					if err != nil {
						t.Fatal(err)
					}
					if got.OK != st.ok || math.Abs(got.Level-st.level) > 1e-6 {
						t.Fatalf("step %d: ok %v level %v, want %v %v", i, got.OK, got.Level, st.ok, st.level)
					}
				}
			})
		})
	}
}

func TestShadowFollowsCharges(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	stores(t, now, func(t *testing.T, s Store) {
		ctx := context.Background()
		tight := Bucket{Capacity: 2, Per: time.Hour}
		for i, want := range []bool{true, true, false} {
			got, err := s.Take(ctx, Take{Key: "t", Bucket: tight, Cost: 1, Shadow: "t-cfg", ShadowBucket: hour})
			if err != nil || got.OK != want {
				t.Fatalf("take %d: %+v %v", i, got, err)
			}
			// The shadow is charged with the real bucket, not on refusal.
			if wantShadow := 100 - float64(min(i+1, 2)); got.ShadowLevel != wantShadow {
				t.Fatalf("take %d: shadow %v, want %v", i, got.ShadowLevel, wantShadow)
			}
		}
	})
}

func TestLeases(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	stores(t, now, func(t *testing.T, s Store) {
		ctx := context.Background()
		a, ok1, _ := s.Acquire(ctx, "acct", 2, time.Minute)
		_, ok2, _ := s.Acquire(ctx, "acct", 2, time.Minute)
		_, ok3, err := s.Acquire(ctx, "acct", 2, time.Minute)
		if err != nil || !ok1 || !ok2 || ok3 {
			t.Fatalf("2 slots: %v %v %v %v", ok1, ok2, ok3, err)
		}
		s.Release(ctx, "acct", a)
		if _, ok, _ := s.Acquire(ctx, "acct", 2, time.Minute); !ok {
			t.Fatal("a released slot was not free")
		}
		// A crashed holder's slots expire; a renewed one does not.
		mu.Lock()
		clock = clock.Add(50 * time.Second)
		mu.Unlock()
		kept, _, _ := s.Acquire(ctx, "other", 1, time.Minute)
		mu.Lock()
		clock = clock.Add(30 * time.Second)
		mu.Unlock()
		s.Renew(ctx, "other", kept, time.Minute)
		if _, ok, _ := s.Acquire(ctx, "acct", 2, time.Minute); !ok {
			t.Fatal("expired leases still hold the slots")
		}
		mu.Lock()
		clock = clock.Add(45 * time.Second)
		mu.Unlock()
		if _, ok, _ := s.Acquire(ctx, "other", 1, time.Minute); ok {
			t.Fatal("a renewed lease expired")
		}
	})
}

func TestDecisionsAndKeys(t *testing.T) {
	stores(t, time.Now, func(t *testing.T, s Store) {
		ctx := context.Background()
		if err := s.SetDecision(ctx, "acme", "admin", &Decision{Suspended: true, Risk: 0.9}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := s.MulFactor(ctx, "acme", "manual", 0.5); err != nil {
				t.Fatal(err)
			}
		}
		ds, err := s.Decisions(ctx, "acme")
		if err != nil || !ds["admin"].Suspended || ds["admin"].Risk != 0.9 || ds["manual"].Factor != 0.25 {
			t.Fatalf("decisions %+v %v", ds, err)
		}
		s.SetDecision(ctx, "acme", "admin", nil)
		if ds, _ := s.Decisions(ctx, "acme"); len(ds) != 1 {
			t.Fatalf("lifted decision still there: %+v", ds)
		}
		created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		k := Key{ID: "0123456789ab", Hash: "sha256:0123456789ab", Account: "acme", Created: created}
		if err := s.PutKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.KeyByHash(ctx, k.Hash)
		if err != nil || !ok || got.Account != "acme" || !got.Created.Equal(created) {
			t.Fatalf("key %+v %v %v", got, ok, err)
		}
		if _, ok, _ := s.KeyByHash(ctx, "sha256:none"); ok {
			t.Fatal("found a key never stored")
		}
		ks, _ := s.Keys(ctx)
		if len(ks) != 1 {
			t.Fatalf("keys %+v", ks)
		}
	})
}

func TestMemoryKeysPersist(t *testing.T) {
	path := t.TempDir() + "/keys.json"
	m, _ := NewMemory(nil, path)
	now := time.Now().UTC()
	m.PutKey(context.Background(), Key{ID: "a", Hash: "sha256:a", Account: "acme", Created: now, Revoked: &now})
	again, err := NewMemory(nil, path)
	if err != nil {
		t.Fatal(err)
	}
	k, ok, _ := again.KeyByHash(context.Background(), "sha256:a")
	if !ok || k.Revoked == nil {
		t.Fatalf("after a restart: %+v %v", k, ok)
	}
}

// TestRedisEpoch: a store fails closed once Redis has lost the data it
// started with (a restart without persistence), at the first key lookup;
// a store opened afterwards says it initialised the state.
func TestRedisEpoch(t *testing.T) {
	srv := testredis.Start(t)
	ctx := context.Background()
	open := func() *Redis {
		r, err := OpenRedis(ctx, RedisOptions{URL: srv.URL(0)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	first, second := open(), open()
	if !first.Initialised || second.Initialised {
		t.Fatalf("initialised: first %v, second %v", first.Initialised, second.Initialised)
	}
	if _, _, err := second.KeyByHash(ctx, "sha256:x"); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	if _, _, err := second.KeyByHash(ctx, "sha256:x"); !errors.Is(err, ErrLost) {
		t.Fatalf("key lookup after the loss: %v", err)
	}
	if _, err := second.Take(ctx, Take{Key: "k", Bucket: Bucket{Capacity: 1, Per: time.Hour}, Cost: 1}); !errors.Is(err, ErrLost) {
		t.Fatalf("take after the loss: %v", err)
	}
	if err := first.Ping(ctx); !errors.Is(err, ErrLost) {
		t.Fatalf("ping of the other store after the loss: %v", err)
	}
	if err := first.PutKey(ctx, Key{ID: "x", Hash: "sha256:y", Account: "a"}); !errors.Is(err, ErrLost) {
		t.Fatalf("a key written into the lost state: %v", err)
	}
	if third := open(); !third.Initialised {
		t.Fatal("a store opened on the emptied Redis did not say it initialised the state")
	}
}

// TestRedisLeaseLostIsPutBack: a lease that vanished while its generation
// ran (expired in a pause, or lost) is put back when renewed, so the slot
// still counts it.
func TestRedisLeaseLostIsPutBack(t *testing.T) {
	srv := testredis.Start(t)
	ctx := context.Background()
	r, err := OpenRedis(ctx, RedisOptions{URL: srv.URL(0)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lease, ok, err := r.Acquire(ctx, "acct", 1, time.Minute)
	if err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	if err := r.Client().Del(ctx, r.Prefix()+"leases:acct").Err(); err != nil {
		t.Fatal(err)
	}
	if err := r.Renew(ctx, "acct", lease, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := r.Acquire(ctx, "acct", 1, time.Minute); err != nil || ok {
		t.Fatalf("a second slot of a limit of 1 after the first was renewed: %v %v", ok, err)
	}
}
