-- hold_info.lua: one hold's record.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] hold id
-- Returns the record (seats.lua), or nil.
if redis.call('EXISTS', META) == 0 then
  return unknown_event()
end
return redis.call('HGET', HOLDS, ARGV[1])
