-- poll.lua: a fan's ticket for the HTTP polling fallback, and for a waiting or
-- pre-queued one the presence heartbeat (as touch.lua), in one round trip.
-- KEYS[1] cfg  KEYS[2] tk  KEYS[3] q  KEYS[4] pres  KEYS[5] st
-- ARGV[1] user
-- Returns {record, seq, ahead} as in ticket_status (lib.lua).
local grace = redis.call('HGET', KEYS[1], 'grace')
if not grace then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local user = ARGV[1]
local rec = redis.call('HGET', KEYS[2], user)
if rec and cjson.decode(rec).s == 'W' then
  -- XX: only a fan who still has a presence entry (its grace not yet run out).
  redis.call('ZADD', KEYS[4], 'XX', int(now_ms() + tonumber(grace)), user)
end
return { ticket_status(KEYS[3], user, rec, draw_state(KEYS[5])) }
