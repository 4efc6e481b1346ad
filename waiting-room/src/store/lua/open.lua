-- open.lua: opens the sale once its time has come: writes the pre-queue, in the draw
-- order the caller computed from what prequeue.lua read (docs/FAIRNESS.md), into
-- sequence numbers first..first+count-1, and keeps the draw's record for
-- GET /events/{id}/prequeue. Only once: replicas racing the opening compute the same
-- order, and the first to get here writes it.
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] q  KEYS[4] pre  KEYS[5] log  KEYS[6] drj  KEYS[7] dro
-- ARGV[1] log capacity  ARGV[2] the arrival counter prequeue.lua read  ARGV[3] n
-- ARGV[4 .. 3+n] users in draw order  ARGV[4+n .. 3+2n] pseudonyms in arrival order
-- ARGV[4+2n .. 3+3n] pseudonyms in draw order
-- Returns 1 if this call opened the event, 0 if it was open already or too early, -1
-- if the pre-queue changed since it was read (read it again).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
if redis.call('HGET', KEYS[2], 'opened') == '1' then
  return 0
end
if now_ms() < tonumber(redis.call('HGET', KEYS[1], 'starts_at')) then
  return 0
end
local n = tonumber(ARGV[3])
if (redis.call('HGET', KEYS[2], 'arrival') or '0') ~= ARGV[2]
    or redis.call('ZCARD', KEYS[4]) ~= n then
  return -1
end
local first = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0') + 1
local pairs_, joined, order = {}, {}, {}
for i = 1, n do
  pairs_[#pairs_ + 1] = int(first + i - 1)
  pairs_[#pairs_ + 1] = ARGV[3 + i]
  joined[i] = ARGV[3 + n + i]
  order[i] = ARGV[3 + 2 * n + i]
end
redis.call('DEL', KEYS[6], KEYS[7])
if n > 0 then
  chunked('ZADD', KEYS[3], {}, pairs_)
  chunked('RPUSH', KEYS[6], {}, joined)
  chunked('RPUSH', KEYS[7], {}, order)
end
redis.call('DEL', KEYS[4])
redis.call('HSET', KEYS[2], 'seq', int(first + n - 1), 'opened', '1')
append(KEYS[5], ARGV[1], 'O', int(first) .. ',' .. int(n))
return 1
