-- prequeue.lua: reads the pre-queue for the opening's draw (the order itself is
-- computed in Rust, see shuffle.rs, and written by open.lua).
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] pre  KEYS[4] tk
-- Returns {0} when there is nothing to draw (open already, or too early), else
-- {1, arrival counter, user 1, ticket 1, user 2, ticket 2, ...} in arrival order.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
if redis.call('HGET', KEYS[2], 'opened') == '1' then
  return { 0 }
end
if now_ms() < tonumber(redis.call('HGET', KEYS[1], 'starts_at')) then
  return { 0 }
end
local out = { 1, redis.call('HGET', KEYS[2], 'arrival') or '0' }
local users = redis.call('ZRANGE', KEYS[3], 0, -1)
for _, user in ipairs(users) do
  local rec = redis.call('HGET', KEYS[4], user)
  out[#out + 1] = user
  out[#out + 1] = rec and cjson.decode(rec).t or ''
end
return out
