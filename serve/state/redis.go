package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configure OpenRedis.
type RedisOptions struct {
	// URL is redis://[user:password@]host:port/db, or rediss:// for TLS.
	URL string
	// Password, if set, is used when the URL has none (from the
	// environment, so that it stays out of the config file).
	Password string
	// Prefix starts every key (default "forensics:"), so that one Redis
	// can hold several deployments.
	Prefix string
	// Now, if set, replaces Redis's clock in the scripts. Tests only:
	// replicas must share the server's clock.
	Now func() time.Time
}

// Redis is the Store shared by a gateway's replicas.
//
// Its data must outlive Redis restarts (appendonly yes): a revocation
// or a suspension that a restart forgets is lifted. So the store writes
// an epoch marker, a random id, when it finds none, and every request's
// key lookup reads it in the same round trip: once the marker is gone or
// changed, the data it vouched for is gone, and the store fails every
// call with ErrLost from then on. A replica started afterwards writes a
// new marker and says so (Initialised).
type Redis struct {
	c      *redis.Client
	prefix string
	now    func() time.Time
	epoch  string
	// Initialised reports that this store wrote the epoch marker: the
	// shared state was empty (a first start, or data lost before it).
	Initialised bool
	lost        atomic.Bool
}

// PasswordEnv is the environment variable OpenRedis's callers read the
// Redis password from.
const PasswordEnv = "FORENSICS_REDIS_PASSWORD"

// quietLogger silences go-redis's own log lines (a library must not
// print): its failures come back as errors, which the gateway logs.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

var quiet sync.Once

// OpenRedis connects to Redis and checks that it answers.
func OpenRedis(ctx context.Context, o RedisOptions) (*Redis, error) {
	quiet.Do(func() { redis.SetLogger(quietLogger{}) })
	opt, err := redis.ParseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("state: redis URL: %w", err)
	}
	if opt.Password == "" {
		opt.Password = o.Password
		if opt.Password == "" {
			opt.Password = os.Getenv(PasswordEnv)
		}
	}
	// Fail fast: a request waits for Redis at most this long before the
	// gateway answers 503.
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = 2*time.Second, time.Second, time.Second
	opt.MaxRetries = 1
	if o.Prefix == "" {
		o.Prefix = "forensics:"
	}
	r := &Redis{c: redis.NewClient(opt), prefix: o.Prefix, now: o.Now}
	if err := r.c.Ping(ctx).Err(); err != nil {
		r.c.Close()
		return nil, fmt.Errorf("state: redis %s: %w", opt.Addr, err)
	}
	if err := r.initEpoch(ctx); err != nil {
		r.c.Close()
		return nil, err
	}
	return r, nil
}

// initEpoch reads the epoch marker, writing a new one if there is none.
func (r *Redis) initEpoch(ctx context.Context) error {
	fresh := newLeaseID() // 96 random bits
	set, err := r.c.SetNX(ctx, r.prefix+"epoch", fresh, 0).Result()
	if err != nil {
		return fmt.Errorf("state: redis epoch: %w", err)
	}
	if r.epoch, err = r.c.Get(ctx, r.prefix+"epoch").Result(); err != nil {
		return fmt.Errorf("state: redis epoch: %w", err)
	}
	r.Initialised = set && r.epoch == fresh
	return nil
}

// checkEpoch fails with ErrLost once the marker read is not the store's.
func (r *Redis) checkEpoch(got string, err error) error {
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("state: redis epoch: %w", err)
	}
	if got != r.epoch {
		r.lost.Store(true)
	}
	return r.alive()
}

// alive is ErrLost once the epoch marker was found gone.
func (r *Redis) alive() error {
	if r.lost.Load() {
		return ErrLost
	}
	return nil
}

// guard reads the epoch marker: for calls that change what every replica
// serves by (keys, decisions), which must not write into lost state.
func (r *Redis) guard(ctx context.Context) error {
	if err := r.alive(); err != nil {
		return err
	}
	got, err := r.c.Get(ctx, r.prefix+"epoch").Result()
	return r.checkEpoch(got, err)
}

// Ping implements Store: Redis answers and still holds the state this
// store started with.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("state: redis %s: %w", r.c.Options().Addr, err)
	}
	return r.guard(ctx)
}

// ClockSkew is how far this machine's clock (time.Now) is ahead of
// Redis's (negative: behind), read against the middle of the round trip.
// Buckets and leases run on Redis's clock; what runs on the replica's
// (case switches, log timestamps) is only as good as this.
func (r *Redis) ClockSkew(ctx context.Context) (time.Duration, error) {
	before := time.Now()
	t, err := r.c.Time(ctx).Result()
	if err != nil {
		return 0, fmt.Errorf("state: redis TIME: %w", err)
	}
	mid := before.Add(time.Since(before) / 2)
	return mid.Sub(t), nil
}

// Close implements Store.
func (r *Redis) Close() error { return r.c.Close() }

// Client is the store's Redis client, for other shared state of the
// gateway (the case feed) on the same connection pool.
func (r *Redis) Client() redis.UniversalClient { return r.c }

// Prefix is the store's key prefix.
func (r *Redis) Prefix() string { return r.prefix }

func (r *Redis) nowArg(unit time.Duration) float64 {
	if r.now == nil {
		return -1
	}
	if unit == time.Second {
		return float64(r.now().UnixMicro()) / 1e6
	}
	return float64(r.now().UnixMilli())
}

// Take implements Store.
func (r *Redis) Take(ctx context.Context, t Take) (Taken, error) {
	if err := r.alive(); err != nil {
		return Taken{}, err
	}
	keys := []string{r.prefix + "bucket:" + t.Key}
	if t.Shadow != "" {
		keys = append(keys, r.prefix+"bucket:"+t.Shadow)
	}
	force := 0
	if t.Force {
		force = 1
	}
	res, err := takeScript.Run(ctx, r.c, keys, r.nowArg(time.Second), t.Cost, force,
		t.Bucket.Capacity, t.Bucket.Per.Seconds(), t.ShadowBucket.Capacity, t.ShadowBucket.Per.Seconds()).Slice()
	if err != nil {
		return Taken{}, fmt.Errorf("state: take %s: %w", t.Key, err)
	}
	if len(res) != 3 {
		return Taken{}, fmt.Errorf("state: take %s: %d results", t.Key, len(res))
	}
	ok, _ := res[0].(int64)
	level, err1 := strconv.ParseFloat(fmt.Sprint(res[1]), 64)
	shadow, err2 := strconv.ParseFloat(fmt.Sprint(res[2]), 64)
	if err := errors.Join(err1, err2); err != nil {
		return Taken{}, fmt.Errorf("state: take %s: %w", t.Key, err)
	}
	return Taken{OK: ok == 1, Level: level, ShadowLevel: shadow}, nil
}

// Acquire implements Store.
func (r *Redis) Acquire(ctx context.Context, key string, limit int, ttl time.Duration) (string, bool, error) {
	if err := r.alive(); err != nil {
		return "", false, err
	}
	id := newLeaseID()
	n, err := acquireScript.Run(ctx, r.c, []string{r.prefix + "leases:" + key}, limit, ttl.Milliseconds(), id, r.nowArg(time.Millisecond)).Int()
	if err != nil {
		return "", false, fmt.Errorf("state: lease %s: %w", key, err)
	}
	return id, n == 1, nil
}

// Renew implements Store.
func (r *Redis) Renew(ctx context.Context, key, lease string, ttl time.Duration) error {
	if err := renewScript.Run(ctx, r.c, []string{r.prefix + "leases:" + key}, ttl.Milliseconds(), lease, r.nowArg(time.Millisecond)).Err(); err != nil {
		return fmt.Errorf("state: renew lease %s: %w", key, err)
	}
	return nil
}

// Release implements Store.
func (r *Redis) Release(ctx context.Context, key, lease string) error {
	if err := r.c.ZRem(ctx, r.prefix+"leases:"+key, lease).Err(); err != nil {
		return fmt.Errorf("state: release lease %s: %w", key, err)
	}
	return nil
}

// SetDecision implements Store.
func (r *Redis) SetDecision(ctx context.Context, account, source string, d *Decision) error {
	if err := r.guard(ctx); err != nil {
		return err
	}
	key := r.prefix + "risk:" + account
	var err error
	if d == nil {
		err = r.c.HDel(ctx, key, source).Err()
	} else {
		var data []byte
		if data, err = json.Marshal(d); err == nil {
			err = r.c.HSet(ctx, key, source, data).Err()
		}
	}
	if err != nil {
		return fmt.Errorf("state: decision on %s: %w", account, err)
	}
	return nil
}

// MulFactor implements Store.
func (r *Redis) MulFactor(ctx context.Context, account, source string, f float64) (Decision, error) {
	if err := r.guard(ctx); err != nil {
		return Decision{}, err
	}
	out, err := mulScript.Run(ctx, r.c, []string{r.prefix + "risk:" + account}, source, f).Text()
	if err != nil {
		return Decision{}, fmt.Errorf("state: tighten %s: %w", account, err)
	}
	var d Decision
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		return Decision{}, fmt.Errorf("state: tighten %s: %w", account, err)
	}
	return d, nil
}

// Decisions implements Store.
func (r *Redis) Decisions(ctx context.Context, account string) (map[string]Decision, error) {
	if err := r.alive(); err != nil {
		return nil, err
	}
	raw, err := r.c.HGetAll(ctx, r.prefix+"risk:"+account).Result()
	if err != nil {
		return nil, fmt.Errorf("state: decisions on %s: %w", account, err)
	}
	out := make(map[string]Decision, len(raw))
	for src, v := range raw {
		var d Decision
		if err := json.Unmarshal([]byte(v), &d); err != nil {
			return nil, fmt.Errorf("state: decision %s on %s: %w", src, account, err)
		}
		out[src] = d
	}
	return out, nil
}

// PutKey implements Store.
func (r *Redis) PutKey(ctx context.Context, k Key) error {
	if err := r.guard(ctx); err != nil {
		return err
	}
	data, err := json.Marshal(k)
	if err != nil {
		return err
	}
	if err := r.c.HSet(ctx, r.prefix+"keys", k.Hash, data).Err(); err != nil {
		return fmt.Errorf("state: storing key %s: %w", k.ID, err)
	}
	return nil
}

// KeyByHash implements Store. Every authenticated request calls it
// first, so it reads the epoch marker in the same round trip.
func (r *Redis) KeyByHash(ctx context.Context, hash string) (Key, bool, error) {
	if err := r.alive(); err != nil {
		return Key{}, false, err
	}
	var epoch *redis.StringCmd
	var rec *redis.StringCmd
	_, perr := r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		epoch = p.Get(ctx, r.prefix+"epoch")
		rec = p.HGet(ctx, r.prefix+"keys", hash)
		return nil
	})
	if perr != nil && !errors.Is(perr, redis.Nil) {
		return Key{}, false, fmt.Errorf("state: key lookup: %w", perr)
	}
	if err := r.checkEpoch(epoch.Result()); err != nil {
		return Key{}, false, err
	}
	raw, err := rec.Bytes()
	if errors.Is(err, redis.Nil) {
		return Key{}, false, nil
	}
	if err != nil {
		return Key{}, false, fmt.Errorf("state: key lookup: %w", err)
	}
	var k Key
	if err := json.Unmarshal(raw, &k); err != nil {
		return Key{}, false, fmt.Errorf("state: key record: %w", err)
	}
	return k, true, nil
}

// Keys implements Store.
func (r *Redis) Keys(ctx context.Context) ([]Key, error) {
	if err := r.guard(ctx); err != nil {
		return nil, err
	}
	raw, err := r.c.HGetAll(ctx, r.prefix+"keys").Result()
	if err != nil {
		return nil, fmt.Errorf("state: listing keys: %w", err)
	}
	byHash := make(map[string]Key, len(raw))
	for h, v := range raw {
		var k Key
		if err := json.Unmarshal([]byte(v), &k); err != nil {
			return nil, fmt.Errorf("state: key record %s: %w", h, err)
		}
		byHash[h] = k
	}
	return sortedKeys(byHash), nil
}

// KeysDurable implements Store: Redis keeps them (as durably as its own
// persistence is configured).
func (r *Redis) KeysDurable() bool { return true }
