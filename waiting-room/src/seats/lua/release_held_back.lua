-- release_held_back.lua: puts held-back seats back on sale (free, logged as one
-- entry); seats in any other state are left alone.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] log capacity  ARGV[2..] seats (below capacity, at least one; repeats are
-- harmless)
-- Returns the number of seats that changed. Cost: O(seats).
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
local changed = {}
for _, seat in ipairs(seats) do
  if state(seat) == HELD_BACK then
    redis.call('SETRANGE', STATES, seat, FREE)
    changed[#changed + 1] = seat
  end
end
if #changed > 0 then
  redis.call('HINCRBY', META, 'back', int(-#changed))
  log_seats(ARGV[1], FREE, changed)
end
return #changed
