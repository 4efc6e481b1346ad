-- counts.lua: the event's seat counts.
-- KEYS: the seat keys (seats.lua)
-- Returns {capacity, held, sold}.
if redis.call('EXISTS', META) == 0 then
  return unknown_event()
end
return redis.call('HMGET', META, 'cap', 'held', 'sold')
