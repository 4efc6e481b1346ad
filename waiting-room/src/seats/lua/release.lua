-- release.lua: frees a hold's seats and forgets the hold (the token's count stays).
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] log capacity  ARGV[2] hold id  ARGV[3] '1' to release only the token's
-- hold, else '0'  ARGV[4] jti (with ARGV[3] = '1')
-- Returns 1 if released, 0 if there was no such hold (of that token).
if redis.call('EXISTS', META) == 0 then
  return unknown_event()
end
local rec = hold_record(ARGV[2])
if not rec or (ARGV[3] == '1' and rec.j ~= ARGV[4]) then
  return 0
end
settle(ARGV[1], ARGV[2], rec, FREE)
return 1
