-- begin_confirm.lua: leases a hold for a confirm by its token.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] hold id  ARGV[2] jti  ARGV[3] lease_ms
-- Returns {'L', record} (leased until max(deadline, now + lease)) | {'N'} (no such
-- hold) | {'Y'} (another token's) | {'E'} (deadline passed and not confirming yet) |
-- {'X'} (the token's session ended, end_token.lua, and the hold is not confirming).
-- A hold already confirming is leased again (a retried confirm), even past its lease.
if redis.call('EXISTS', META) == 0 then
  return unknown_event()
end
local id = ARGV[1]
local rec = hold_record(id)
if not rec then
  return { 'N' }
end
if rec.j ~= ARGV[2] then
  return { 'Y' }
end
local now = now_ms()
if not rec.c and rec.e <= now then
  return { 'E' }
end
if not rec.c and redis.call('HGET', JTI, rec.j) == ENDED then
  return { 'X' }
end
rec.c = true
rec.e = math.max(rec.e, now + tonumber(ARGV[3]))
local raw = cjson.encode(rec)
redis.call('HSET', HOLDS, id, raw)
redis.call('ZADD', DEADLINES, int(rec.e), id)
return { 'L', raw }
