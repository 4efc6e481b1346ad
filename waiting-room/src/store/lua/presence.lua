-- presence.lua: one replica's presence write for one event, and its lease renewal
-- (docs/ARCHITECTURE.md, "Presence"). Covered fans lose their grace deadline (the
-- lease keeps them); an uncovered fan that is still waiting and that no other replica
-- covers keeps its place for one grace period from now.
-- KEYS[1] cfg  KEYS[2] leases  KEYS[3] this replica's set  KEYS[4] pres  KEYS[5] tk
-- ARGV[1] replica  ARGV[2] lease ms  ARGV[3] set key prefix (+ replica = a set)
-- ARGV[4] n  ARGV[5 .. 4+n] covered fans  ARGV[5+n ..] uncovered fans
-- Returns 1 if the lease was live before this call, 0 if not (new, ran out, or lost).
local grace = redis.call('HGET', KEYS[1], 'grace')
if not grace then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local now = now_ms()
local replica = ARGV[1]
local old = redis.call('ZSCORE', KEYS[2], replica)
local held = (old and tonumber(old) >= now) and 1 or 0
redis.call('ZADD', KEYS[2], int(now + tonumber(ARGV[2])), replica)
local n = tonumber(ARGV[4])
if n > 0 then
  local cover = {}
  for i = 1, n do
    cover[i] = ARGV[4 + i]
  end
  chunked('SADD', KEYS[3], {}, cover)
  chunked('ZREM', KEYS[4], {}, cover)
end
if #ARGV > 4 + n then
  local replicas = redis.call('ZRANGE', KEYS[2], 0, -1)
  local deadline = int(now + tonumber(grace))
  for i = 5 + n, #ARGV do
    local user = ARGV[i]
    redis.call('SREM', KEYS[3], user)
    if waiting(KEYS[5], user) and not covered(replicas, ARGV[3], user, replica) then
      redis.call('ZADD', KEYS[4], deadline, user)
    end
  end
end
return held
