-- unsell.lua: turns sold seats free after a refund committed in the database. Seats
-- not sold (free, or held by a hold) are left alone, so a repeat changes nothing.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] log capacity  ARGV[2..] seats (below capacity; repeats are harmless)
-- Returns the number of seats that turned free. Cost: O(seats).
if redis.call('EXISTS', META) == 0 then
  return unknown_event()
end
local seats, why = seat_args(2, capacity())
if not seats then
  return bad_request(why)
end
local freed = {}
for _, seat in ipairs(seats) do
  if state(seat) == SOLD then
    redis.call('SETRANGE', STATES, seat, FREE)
    freed[#freed + 1] = seat
  end
end
if #freed > 0 then
  redis.call('HINCRBY', META, 'sold', int(-#freed))
  log_seats(ARGV[1], FREE, freed)
end
return #freed
