-- replace_seats.lua: replaces the event's seats with `capacity` free seats (its
-- sections were edited before the opening), only if every seat is free now.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] log capacity  ARGV[2] the new capacity
-- Returns {'R'} (replaced) | {'I', capacity, held, sold, held back} (nothing changed:
-- seats in use) | {'N'} (the event has no seats here; nothing changed).
--
-- The log starts over as init.lua restarts it: one entry id is burnt and the stream
-- trimmed empty, so every cursor into the old log reads as lagged and each replica
-- reloads a snapshot. Tokens' counts (jti) and holders are kept. Cost: O(capacity).
if redis.call('EXISTS', META) == 0 then
  return { 'N' }
end
local c = redis.call('HMGET', META, 'cap', 'held', 'sold', 'back')
local held, sold, back = tonumber(c[2]) or 0, tonumber(c[3]) or 0, tonumber(c[4]) or 0
if held + sold + back > 0 then
  return { 'I', tonumber(c[1]), held, sold, back }
end
local cap = tonumber(ARGV[2])
if not cap or cap < 0 or cap % 1 ~= 0 then
  return bad_request('capacity ' .. ARGV[2] .. ' is not a count')
end
-- No seat is held: no owner, hold or deadline is left, but clear them all the same.
redis.call('DEL', OWNER, HOLDS, DEADLINES)
redis.call('SET', STATES, string.rep(FREE, cap))
append(LOG, ARGV[1], '', '')
redis.call('XTRIM', LOG, 'MAXLEN', 0)
redis.call('HSET', META, 'cap', int(cap))
return { 'R' }
