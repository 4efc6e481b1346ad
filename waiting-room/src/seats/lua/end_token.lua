-- end_token.lua: ends a purchase token's shopping session; its count is replaced by
-- the ENDED mark, so hold.lua and begin_confirm.lua refuse it from now on.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] jti
-- Returns 1. Idempotent.
if redis.call('EXISTS', META) == 0 then
  return unknown_event()
end
redis.call('HSET', JTI, ARGV[1], ENDED)
return 1
