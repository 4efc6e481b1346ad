-- expired.lua: holds whose deadline passed (confirming or not), oldest deadline first.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] limit
-- Returns {id1, record1, id2, record2, ...}.
if redis.call('EXISTS', META) == 0 then
  return unknown_event()
end
local ids = redis.call('ZRANGEBYSCORE', DEADLINES, '-inf', int(now_ms()), 'LIMIT', 0, ARGV[1])
local out = {}
for _, id in ipairs(ids) do
  local raw = redis.call('HGET', HOLDS, id)
  if raw then
    out[#out + 1] = id
    out[#out + 1] = raw
  end
end
return out
