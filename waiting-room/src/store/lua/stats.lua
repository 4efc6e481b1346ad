-- stats.lua: counters for the admin console (read-only).
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] q  KEYS[4] pre  KEYS[5] act  KEYS[6] rec  KEYS[7] tk
-- KEYS[8] arr (the safety net's arrivals per second, see join.lua)
-- KEYS[9..16] pre1..pre8 (presale groups' pre-queues: counted in prequeue)
-- Returns {waiting, prequeue (with a draw's fans not moved yet), admitted_total, active, admitted_last_minute, opened,
-- joined}: joined = accounts that ever took a ticket (records are never deleted, one
-- that left stays 'L'), O(1); then arrivals_last_minute (the net's, O(60)).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local now = now_ms()
local st = redis.call('HMGET', KEYS[2], 'admitted', 'opened', 'run')
local prequeued = redis.call('ZCARD', KEYS[4])
for i = 9, 16 do
  prequeued = prequeued + redis.call('ZCARD', KEYS[i])
end
local recent = 0
local draw = draw_state(KEYS[2])
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[6], '(' .. int(now - 60000), '+inf')) do
  recent = recent + tonumber(string.match(member, ':(%d+)$'))
end
local arrived = 0
local counts = redis.call('HGETALL', KEYS[8])
for i = 1, #counts, 2 do
  if tonumber(counts[i]) > math.floor(now / 1000) - 60 then
    arrived = arrived + tonumber(counts[i + 1])
  end
end
return {
  redis.call('ZCARD', KEYS[3]),
  prequeued + (draw and draw.n - draw.moved or 0),
  tonumber(st[1] or '0'),
  redis.call('ZCOUNT', KEYS[5], '(' .. int(now), '+inf'),
  recent,
  (st[2] == '1' or st[3] == '1') and 1 or 0,
  redis.call('HLEN', KEYS[7]),
  arrived,
}
