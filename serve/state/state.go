// Package state holds what the gateway decides per account and must hold
// across restarts and replicas: rate-limit and budget buckets,
// concurrency leases, risk decisions (suspensions, throttles) and API keys
// added or revoked at run time. Memory keeps it in the process (one
// gateway; keys optionally in a file); Redis shares it between replicas,
// with every read-modify-write done atomically in the server and every
// clock read from the server's TIME, so that replicas whose clocks
// disagree still agree on the buckets.
package state

import (
	"context"
	"errors"
	"time"
)

// Store is a gateway's shared state. Errors are failures of the store
// itself (Redis unreachable): the gateway refuses the request (fail
// closed), never serves it unlimited.
type Store interface {
	// Take charges a token bucket (and its shadow, if any).
	Take(ctx context.Context, t Take) (Taken, error)
	// Acquire takes one of limit slots under key for ttl unless all are
	// held; a slot not renewed within ttl is free again (a replica that
	// crashed does not hold slots forever).
	Acquire(ctx context.Context, key string, limit int, ttl time.Duration) (lease string, ok bool, err error)
	// Renew extends a held lease by ttl from now.
	Renew(ctx context.Context, key, lease string, ttl time.Duration) error
	// Release frees a lease.
	Release(ctx context.Context, key, lease string) error

	// SetDecision records (d != nil) or lifts (nil) one source's
	// decision about an account.
	SetDecision(ctx context.Context, account, source string, d *Decision) error
	// MulFactor multiplies one source's throttle factor of an account by
	// f (a missing decision counts as 1), atomically, and returns the new
	// decision.
	MulFactor(ctx context.Context, account, source string, f float64) (Decision, error)
	// Decisions are an account's decisions by source.
	Decisions(ctx context.Context, account string) (map[string]Decision, error)

	// PutKey records an API key (by its hash), replacing a record of the
	// same hash.
	PutKey(ctx context.Context, k Key) error
	// KeyByHash is the record of a key hash, if any.
	KeyByHash(ctx context.Context, hash string) (Key, bool, error)
	// Keys are every key record.
	Keys(ctx context.Context) ([]Key, error)
	// KeysDurable reports whether keys survive a restart of the gateway.
	KeysDurable() bool

	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	Close() error
}

// Bucket is a token bucket: up to Capacity units, refilled evenly over
// Per (a full bucket allows a burst of the whole quota). Capacity 0 means
// unlimited: nothing is stored and every take succeeds.
type Bucket struct {
	Capacity float64
	Per      time.Duration
}

// Take is one charge of a bucket.
type Take struct {
	Key    string
	Bucket Bucket
	// Cost is taken if the bucket holds at least Cost, or always with
	// Force (the level may then go below zero, and a negative Cost
	// refunds, up to the capacity).
	Cost  float64
	Force bool
	// Shadow, if set, is a second bucket charged Cost whenever Key is:
	// the same history under other limits (the configured ones, which the
	// rate-limit headers report).
	Shadow       string
	ShadowBucket Bucket
}

// Taken is the result of a Take: whether it was charged, and both
// buckets' levels after it (the capacity for an unlimited bucket).
type Taken struct {
	OK          bool
	Level       float64
	ShadowLevel float64
}

// Decision is one source's risk decision about an account.
type Decision struct {
	// Factor multiplies the account's configured limits (0: none).
	Factor    float64 `json:"factor,omitempty"`
	Suspended bool    `json:"suspended,omitempty"`
	// Risk is the score behind the decision (for metrics; never sent to
	// the account).
	Risk float64 `json:"risk,omitempty"`
}

// Key is a stored API key: one added at run time, or the revocation of
// one (possibly of the config's, then Account is its account as well).
type Key struct {
	// ID is the first 12 hex digits of the hash, as the request log's
	// api_key_id.
	ID      string     `json:"id"`
	Hash    string     `json:"hash"`
	Account string     `json:"account"`
	Created time.Time  `json:"created"`
	Revoked *time.Time `json:"revoked,omitempty"`
	// Config marks the record of a key of the YAML config (a revocation).
	Config bool `json:"config,omitempty"`
}

// ErrLost is returned by a shared store whose data went missing under it
// (docs/replicas.md): serving on as if nothing happened would lift every
// revocation, suspension and used quota it held.
var ErrLost = errors.New("state: the shared state lost its data (its epoch marker is gone or changed: a Redis restart without persistence, a flush, or a failover to a stale replica); the revocations, suspensions and used quota it held are gone, so this replica refuses requests until it is restarted")

// ErrClosed is returned by a closed store.
var ErrClosed = errors.New("state: store closed")

// advance refills a bucket state to now at its stored capacity's rate,
// then rescales it to capacity c keeping the share used (a full bucket
// under new limits would undo a tightening). It is the Lua script's
// arithmetic, in Go, for the memory store.
func advance(level, last, stored float64, b Bucket, now float64) float64 {
	per := b.Per.Seconds()
	level = min(stored, level+stored/per*(now-last))
	if stored != b.Capacity {
		level = min(b.Capacity, level*b.Capacity/stored)
	}
	return level
}
