-- leave.lua: leaves the queue or the pre-queue.
-- KEYS[1] cfg  KEYS[2] q  KEYS[3] pre  KEYS[4] tk  KEYS[5] pres  KEYS[6] log
-- KEYS[7] held  KEYS[8] prf  KEYS[9] drt (the opening's frozen pre-queue, open.lua)
-- KEYS[10..17] pre1..pre8 (presale groups' pre-queues: the record's g says which)
-- ARGV[1] user  ARGV[2] log capacity
-- Returns 1 if a waiting or pre-queued ticket left, 0 if there was nothing to leave.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local user = ARGV[1]
local rec = redis.call('HGET', KEYS[4], user)
if not rec or cjson.decode(rec).s ~= 'W' then
  return 0
end
local seq = redis.call('ZSCORE', KEYS[2], user)
if seq then
  redis.call('ZREM', KEYS[2], user)
  append(KEYS[6], ARGV[2], 'L', int(tonumber(seq)))
else
  local g = cjson.decode(rec).g or 0
  redis.call('ZREM', g == 0 and KEYS[3] or KEYS[9 + g], user)
  keep_drawn_ticket(KEYS[8], KEYS[9], KEYS[4], user)
end
mark_left(KEYS[4], user, KEYS[7])
redis.call('ZREM', KEYS[5], user)
return 1
