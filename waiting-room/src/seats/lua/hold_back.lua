-- hold_back.lua: holds seats back from sale, all or none: every seat must be free or
-- held back already; the free ones become held back, logged as one entry.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] log capacity  ARGV[2..] seats (below capacity, at least one; repeats are
-- harmless)
-- Returns {'B', changed seat...} (held back; the seats that were free, in request
-- order) | {'U', seat...} (nothing changed: these seats are held or sold).
-- Cost: O(seats).
if redis.call('EXISTS', META) == 0 then
  return unknown_event()
end
local seats, why = seat_args(2, capacity())
if not seats then
  return bad_request(why)
end
if #seats == 0 then
  return bad_request('no seats given')
end
local busy = { 'U' }
for _, seat in ipairs(seats) do
  local s = state(seat)
  if s ~= FREE and s ~= HELD_BACK then
    busy[#busy + 1] = seat
  end
end
if #busy > 1 then
  return busy
end
local changed = {}
for _, seat in ipairs(seats) do
  if state(seat) == FREE then
    redis.call('SETRANGE', STATES, seat, HELD_BACK)
    changed[#changed + 1] = seat
  end
end
if #changed > 0 then
  redis.call('HINCRBY', META, 'back', #changed)
  log_seats(ARGV[1], HELD_BACK, changed)
end
local reply = { 'B' }
for i, seat in ipairs(changed) do
  reply[i + 1] = seat
end
return reply
