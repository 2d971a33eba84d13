package state

import "github.com/redis/go-redis/v9"

// The scripts run atomically in Redis and read the time from Redis's own
// clock (TIME; scripts are replicated by effect since Redis 5, so this is
// allowed), not from the replica's: replicas whose clocks disagree still
// charge one bucket consistently. ARGV "now" ≥ 0 replaces TIME (tests only).

// takeScript charges KEYS[1] (and the shadow KEYS[2]) as Memory.Take does.
// ARGV: now, cost, force, cap, per, shadow cap, shadow per (seconds).
// It returns {ok, level, shadow level}, levels as strings (a Lua number
// returned to Redis is truncated to an integer).
var takeScript = redis.NewScript(`
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local cost, force = tonumber(ARGV[2]), ARGV[3] == '1'
local function load(key, cap, per)
  if cap <= 0 then return nil end
  local v = redis.call('HMGET', key, 'level', 'last', 'cap')
  local level, last, stored = tonumber(v[1]), tonumber(v[2]), tonumber(v[3])
  if level == nil then return {key = key, level = cap, cap = cap, per = per} end
  level = math.min(stored, level + stored / per * (now - last))
  if stored ~= cap then level = math.min(cap, level * cap / stored) end
  return {key = key, level = level, cap = cap, per = per}
end
local function save(b)
  if b == nil then return end
  redis.call('HSET', b.key, 'level', string.format('%.17g', b.level), 'last', string.format('%.17g', now), 'cap', string.format('%.17g', b.cap))
  -- A missing bucket is a full one: keep it only until it would be full.
  local full = (b.cap - b.level) / (b.cap / b.per)
  redis.call('PEXPIRE', b.key, math.max(1000, math.ceil(full * 1000) + 1000))
end
local b = load(KEYS[1], tonumber(ARGV[4]), tonumber(ARGV[5]))
local sh = nil
if #KEYS > 1 then sh = load(KEYS[2], tonumber(ARGV[6]), tonumber(ARGV[7])) end
local ok = b == nil or force or b.level >= cost
if ok then
  for _, x in ipairs({b or false, sh or false}) do
    if x then x.level = math.min(x.cap, x.level - cost) end
  end
end
save(b)
save(sh)
local function lv(x, cap) if x == nil then return ARGV[cap] end return string.format('%.17g', x.level) end
return {ok and 1 or 0, lv(b, 4), lv(sh, 6)}
`)

// acquireScript takes a lease of KEYS[1] (a sorted set of lease ids by
// expiry, in ms) unless ARGV[1] are held. ARGV: limit, ttl ms, lease id,
// now ms (< 0: TIME).
var acquireScript = redis.NewScript(`
local now = tonumber(ARGV[4])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`)

// renewScript extends a lease, and puts it back if it was lost (expired
// during a pause, or the set was lost): the generation holding it is
// still running, and a slot that does not count it would admit one more.
// ARGV: ttl ms, lease id, now ms.
var renewScript = redis.NewScript(`
local now = tonumber(ARGV[3])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1])) end
return 1
`)

// mulScript multiplies the factor of one source's decision (a JSON field
// of the hash KEYS[1]). ARGV: source, factor.
var mulScript = redis.NewScript(`
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local d = {}
if raw then d = cjson.decode(raw) end
local f = tonumber(d.factor) or 0
if f == 0 then f = 1 end
d.factor = f * tonumber(ARGV[2])
local out = cjson.encode(d)
redis.call('HSET', KEYS[1], ARGV[1], out)
return out
`)
