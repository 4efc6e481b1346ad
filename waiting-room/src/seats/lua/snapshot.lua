-- snapshot.lua: every seat's state and the seat-log cursor it corresponds to, in one
-- O(capacity) read of the state string.
-- KEYS: the seat keys (seats.lua)
-- Returns {cursor ('' if there is no log), states (one byte per seat)}.
if redis.call('EXISTS', META) == 0 then
  return unknown_event()
end
return { log_cursor(LOG), redis.call('GET', STATES) }
