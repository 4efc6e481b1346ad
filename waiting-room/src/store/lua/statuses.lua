-- statuses.lua: several accounts' tickets in one round trip.
-- KEYS[1] cfg  KEYS[2] tk  KEYS[3] q  KEYS[4] st
-- ARGV users...
-- Returns {record, seq, ahead} per user, flattened, in the order asked.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local out = {}
local draw = draw_state(KEYS[4])
local step = 2000 -- HMGET in chunks: Lua's unpack has a stack limit.
for i = 1, #ARGV, step do
  local last = math.min(i + step - 1, #ARGV)
  local recs = redis.call('HMGET', KEYS[2], unpack(ARGV, i, last))
  for j = i, last do
    local rec, seq, ahead = ticket_status(KEYS[3], ARGV[j], recs[j - i + 1], draw)
    out[#out + 1] = rec
    out[#out + 1] = seq
    out[#out + 1] = ahead
  end
end
return out
