-- expired.lua: holds whose deadline passed (confirming or not), oldest deadline first;
-- with ARGV[2] = 'all', every live hold (closing a sale releases them).
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] limit
-- ARGV[2] 'due' (deadline passed) or 'all'
-- Returns {id1, record1, id2, record2, ...}.
if redis.call('EXISTS', META) == 0 then
  return unknown_event()
end
local upto = '+inf'
if ARGV[2] ~= 'all' then
  upto = int(now_ms())
end
local ids = redis.call('ZRANGEBYSCORE', DEADLINES, '-inf', upto, 'LIMIT', 0, ARGV[1])
local out = {}
for _, id in ipairs(ids) do
  local raw = redis.call('HGET', HOLDS, id)
  if raw then
    out[#out + 1] = id
    out[#out + 1] = raw
  end
end
return out
