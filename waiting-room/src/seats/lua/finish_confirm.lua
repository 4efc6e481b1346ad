-- finish_confirm.lua: marks a hold's seats sold and forgets the hold. Idempotent.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] log capacity  ARGV[2] hold id
-- Returns 1 if the hold existed, else 0.
if redis.call('EXISTS', META) == 0 then
  return unknown_event()
end
local rec = hold_record(ARGV[2])
if not rec then
  return 0
end
settle(ARGV[1], ARGV[2], rec, SOLD)
return 1
