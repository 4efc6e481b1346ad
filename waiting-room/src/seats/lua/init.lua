-- init.lua: creates the event's seat state unless it exists: `capacity` free seats,
-- then the given seats sold and the held-back ones held back (a seat in both is sold;
-- logged, so the log replays from the start).
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] log capacity  ARGV[2] capacity  ARGV[3] n = how many sold seats follow
-- ARGV[4..3+n] sold seats  ARGV[4+n..] held-back seats (all below capacity)
-- Returns 1 if created, 0 if the event had seats already (nothing changed).
--
-- Leftovers of a partly lost state are dropped. A log that survived is trimmed empty
-- after burning one entry id, so every cursor into the old log reads as lagged.
if redis.call('EXISTS', META) == 1 then
  return 0
end
local cap = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local sold, why = seat_args(4, cap, 3 + n)
if not sold then
  return bad_request(why)
end
local back, why_back = seat_args(4 + n, cap)
if not back then
  return bad_request(why_back)
end
redis.call('DEL', STATES, OWNER, HOLDS, DEADLINES, JTI)
if redis.call('EXISTS', LOG) == 1 then
  append(LOG, ARGV[1], '', '')
  redis.call('XTRIM', LOG, 'MAXLEN', 0)
end
local distinct, held_back = {}, {}
if #sold == 0 and #back == 0 then
  redis.call('SET', STATES, string.rep(FREE, cap))
else
  local bytes = {}
  for i = 1, cap do
    bytes[i] = FREE
  end
  for _, seat in ipairs(sold) do
    if bytes[seat + 1] == FREE then
      bytes[seat + 1] = SOLD
      distinct[#distinct + 1] = seat
    end
  end
  for _, seat in ipairs(back) do
    if bytes[seat + 1] == FREE then
      bytes[seat + 1] = HELD_BACK
      held_back[#held_back + 1] = seat
    end
  end
  redis.call('SET', STATES, table.concat(bytes))
end
redis.call('HSET', META, 'cap', int(cap), 'held', '0', 'sold', int(#distinct),
  'back', int(#held_back))
log_seats(ARGV[1], SOLD, distinct)
log_seats(ARGV[1], HELD_BACK, held_back)
return 1
