-- release.lua: ends an admitted fan's session early, freeing its active slot and its
-- address's place.
-- KEYS[1] cfg  KEYS[2] act  KEYS[3] tk  KEYS[4] held
-- ARGV[1] user
-- Returns 1 if a running session was ended, else 0.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local ended = redis.call('ZREM', KEYS[2], ARGV[1])
if ended == 1 then
  unhold(KEYS[4], redis.call('HGET', KEYS[3], ARGV[1]))
end
return ended
