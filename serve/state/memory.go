package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Memory is the Store of one gateway process: buckets, leases and
// decisions live as long as the process; keys, with a file, across
// restarts.
type Memory struct {
	mu        sync.Mutex
	now       func() time.Time
	buckets   map[string]*memBucket
	leases    map[string]map[string]time.Time // key → lease → expiry
	decisions map[string]map[string]Decision  // account → source → decision
	keys      map[string]Key                  // by hash
	keyFile   string                          // "": keys are lost at exit
}

type memBucket struct{ level, last, capacity float64 }

// NewMemory makes an in-process store. With keyFile, API key records are
// loaded from it and written to it (atomically) on every change; without,
// they last as long as the process. now is the clock (nil: time.Now).
func NewMemory(now func() time.Time, keyFile string) (*Memory, error) {
	if now == nil {
		now = time.Now
	}
	m := &Memory{now: now, buckets: map[string]*memBucket{}, leases: map[string]map[string]time.Time{},
		decisions: map[string]map[string]Decision{}, keys: map[string]Key{}, keyFile: keyFile}
	if keyFile == "" {
		return m, nil
	}
	data, err := os.ReadFile(keyFile)
	if os.IsNotExist(err) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: reading keys: %w", err)
	}
	var ks []Key
	if err := json.Unmarshal(data, &ks); err != nil {
		return nil, fmt.Errorf("state: keys file %s: %w", keyFile, err)
	}
	for _, k := range ks {
		m.keys[k.Hash] = k
	}
	return m, nil
}

func (m *Memory) seconds() float64 { return float64(m.now().UnixMicro()) / 1e6 }

// Take implements Store.
func (m *Memory) Take(_ context.Context, t Take) (Taken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.seconds()
	b := m.bucket(t.Key, t.Bucket, now)
	sh := m.bucket(t.Shadow, t.ShadowBucket, now)
	ok := b == nil || t.Force || b.level >= t.Cost
	if ok {
		for _, x := range []*memBucket{b, sh} {
			if x != nil {
				x.level = min(x.capacity, x.level-t.Cost)
			}
		}
	}
	return Taken{OK: ok, Level: levelOf(b, t.Bucket), ShadowLevel: levelOf(sh, t.ShadowBucket)}, nil
}

// bucket is the named bucket advanced to now (nil: unlimited).
func (m *Memory) bucket(key string, b Bucket, now float64) *memBucket {
	if key == "" || b.Capacity <= 0 {
		return nil
	}
	x := m.buckets[key]
	if x == nil {
		x = &memBucket{level: b.Capacity, last: now, capacity: b.Capacity}
		m.buckets[key] = x
	}
	x.level = advance(x.level, x.last, x.capacity, b, now)
	x.last, x.capacity = now, b.Capacity
	return x
}

func levelOf(x *memBucket, b Bucket) float64 {
	if x == nil {
		return b.Capacity
	}
	return x.level
}

// Acquire implements Store.
func (m *Memory) Acquire(_ context.Context, key string, limit int, ttl time.Duration) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	held := m.leases[key]
	for id, exp := range held {
		if !exp.After(now) {
			delete(held, id)
		}
	}
	if len(held) >= limit {
		return "", false, nil
	}
	if held == nil {
		held = map[string]time.Time{}
		m.leases[key] = held
	}
	id := newLeaseID()
	held[id] = now.Add(ttl)
	return id, true, nil
}

// Renew implements Store.
func (m *Memory) Renew(_ context.Context, key, lease string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.leases[key][lease]; ok {
		m.leases[key][lease] = m.now().Add(ttl)
	}
	return nil
}

// Release implements Store.
func (m *Memory) Release(_ context.Context, key, lease string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.leases[key], lease)
	return nil
}

// SetDecision implements Store.
func (m *Memory) SetDecision(_ context.Context, account, source string, d *Decision) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d == nil {
		delete(m.decisions[account], source)
		return nil
	}
	if m.decisions[account] == nil {
		m.decisions[account] = map[string]Decision{}
	}
	m.decisions[account][source] = *d
	return nil
}

// MulFactor implements Store.
func (m *Memory) MulFactor(_ context.Context, account, source string, f float64) (Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.decisions[account] == nil {
		m.decisions[account] = map[string]Decision{}
	}
	d := m.decisions[account][source]
	d.Factor = mulFactor(d.Factor, f)
	m.decisions[account][source] = d
	return d, nil
}

func mulFactor(old, f float64) float64 {
	if old == 0 {
		old = 1
	}
	return old * f
}

// Decisions implements Store.
func (m *Memory) Decisions(_ context.Context, account string) (map[string]Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]Decision{}
	for s, d := range m.decisions[account] {
		out[s] = d
	}
	return out, nil
}

// PutKey implements Store; with a key file, the change is on disk when it
// returns.
func (m *Memory) PutKey(_ context.Context, k Key) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, had := m.keys[k.Hash]
	m.keys[k.Hash] = k
	if err := m.saveKeysLocked(); err != nil {
		if had {
			m.keys[k.Hash] = old
		} else {
			delete(m.keys, k.Hash)
		}
		return err
	}
	return nil
}

func (m *Memory) saveKeysLocked() error {
	if m.keyFile == "" {
		return nil
	}
	data, err := json.MarshalIndent(sortedKeys(m.keys), "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(m.keyFile), ".keys-*")
	if err != nil {
		return fmt.Errorf("state: saving keys: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("state: saving keys: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("state: saving keys: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state: saving keys: %w", err)
	}
	if err := os.Rename(tmp.Name(), m.keyFile); err != nil {
		return fmt.Errorf("state: saving keys: %w", err)
	}
	return nil
}

// KeyByHash implements Store.
func (m *Memory) KeyByHash(_ context.Context, hash string) (Key, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[hash]
	return k, ok, nil
}

// Keys implements Store.
func (m *Memory) Keys(context.Context) ([]Key, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return sortedKeys(m.keys), nil
}

// KeysDurable implements Store: keys outlive the process only in a file.
func (m *Memory) KeysDurable() bool { return m.keyFile != "" }

// Ping implements Store.
func (m *Memory) Ping(context.Context) error { return nil }

// Close implements Store.
func (m *Memory) Close() error { return nil }

func sortedKeys(byHash map[string]Key) []Key {
	out := make([]Key, 0, len(byHash))
	for _, k := range byHash {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].Hash < out[j].Hash
	})
	return out
}

func newLeaseID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
