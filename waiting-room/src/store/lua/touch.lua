-- touch.lua: presence heartbeat; sets the grace deadline to now + grace for fans who
-- have one (waiting or pre-queued tickets).
-- KEYS[1] cfg  KEYS[2] pres
-- ARGV users...
-- Returns 1.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
if #ARGV == 0 then
  return 1
end
local deadline = now_ms() + tonumber(redis.call('HGET', KEYS[1], 'grace'))
local pairs_ = {}
for _, user in ipairs(ARGV) do
  pairs_[#pairs_ + 1] = int(deadline)
  pairs_[#pairs_ + 1] = user
end
-- XX: only fans who already have a presence entry.
chunked('ZADD', KEYS[2], { 'XX' }, pairs_)
return 1
