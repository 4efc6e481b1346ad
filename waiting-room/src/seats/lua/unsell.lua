-- unsell.lua: turns sold seats free after a refund committed in the database. Seats
-- not sold (free, or held by a hold) are left alone, so a repeat changes nothing.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] log capacity  ARGV[2..] seats (below capacity; repeats are harmless)
-- Returns the number of seats that turned free. Cost: O(seats).
local seats, refused = seat_request(false)
if not seats then
  return refused
end
return #move_seats(ARGV[1], seats, SOLD, FREE)
