package serve

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// redisCaseFeed is the CaseFeed in Redis: the ledger's lines in one list,
// and the id of the ledger that holds it in one key. Publish is a script,
// so two holders (a misconfiguration) cannot interleave lines.
type redisCaseFeed struct {
	rdb          redis.UniversalClient
	owner, lines string
}

// NewRedisCaseFeed is the case feed under prefix in rdb.
func NewRedisCaseFeed(rdb redis.UniversalClient, prefix string) CaseFeed {
	return &redisCaseFeed{rdb: rdb, owner: prefix + "cases:ledger", lines: prefix + "cases:events"}
}

var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1])
  return ARGV[1]
end
return v`)

// Claim implements CaseFeed.
func (f *redisCaseFeed) Claim(ctx context.Context, ledgerID string) error {
	owner, err := claimScript.Run(ctx, f.rdb, []string{f.owner}, ledgerID).Text()
	if err != nil {
		return fmt.Errorf("claiming the case feed: %w", err)
	}
	if owner != ledgerID {
		return fmt.Errorf("the case feed belongs to ledger %s, not %s: one replica holds the ledger, the others follow (cases.follow)", owner, ledgerID)
	}
	return nil
}

var publishScript = redis.NewScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[3] then
  return redis.error_reply('FEED the feed belongs to another ledger (or none has claimed it)')
end
local n = redis.call('LLEN', KEYS[1])
local seq = tonumber(ARGV[1])
if seq <= n then
  if redis.call('LINDEX', KEYS[1], seq - 1) == ARGV[2] then return 0 end
  return redis.error_reply('FEED the feed holds another line at this place')
end
if seq ~= n + 1 then
  return redis.error_reply('FEED the feed has only ' .. n .. ' lines')
end
redis.call('RPUSH', KEYS[1], ARGV[2])
return 1`)

// Publish implements CaseFeed.
func (f *redisCaseFeed) Publish(ctx context.Context, ledgerID string, seq int, line []byte) error {
	if err := publishScript.Run(ctx, f.rdb, []string{f.lines, f.owner}, seq, line, ledgerID).Err(); err != nil {
		return fmt.Errorf("case event %d: %s", seq, strings.TrimPrefix(err.Error(), "FEED "))
	}
	return nil
}

// Owner implements CaseFeed.
func (f *redisCaseFeed) Owner(ctx context.Context) (string, error) {
	v, err := f.rdb.Get(ctx, f.owner).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the case feed's owner: %w", err)
	}
	return v, nil
}

// Since implements CaseFeed.
func (f *redisCaseFeed) Since(ctx context.Context, n int) ([][]byte, error) {
	vals, err := f.rdb.LRange(ctx, f.lines, int64(n), -1).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("reading the case feed: %w", err)
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		out[i] = []byte(v)
	}
	return out, nil
}
