-- holders.lua: how many purchase tokens held seats at least once (the report's funnel).
-- KEYS: the seat keys (seats.lua)
-- Returns the count (0 before any hold); counted by hold.lua at a token's first hold.
if redis.call('EXISTS', META) == 0 then
  return unknown_event()
end
return tonumber(redis.call('HGET', META, 'holders') or '0')
