-- release.lua: ends an admitted fan's session early, freeing its active slot.
-- KEYS[1] cfg  KEYS[2] act
-- ARGV[1] user
-- Returns 1 if a running session was ended, else 0.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
return redis.call('ZREM', KEYS[2], ARGV[1])
