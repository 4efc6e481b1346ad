-- counts.lua: the event's seat counts.
-- KEYS: the seat keys (seats.lua)
-- Returns {capacity, held, sold, held back}.
if redis.call('EXISTS', META) == 0 then
  return unknown_event()
end
local c = redis.call('HMGET', META, 'cap', 'held', 'sold', 'back')
c[4] = c[4] or '0'
return c
