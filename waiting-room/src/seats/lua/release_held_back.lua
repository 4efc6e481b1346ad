-- release_held_back.lua: puts held-back seats back on sale (free, logged as one
-- entry); seats in any other state are left alone.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] log capacity  ARGV[2..] seats (below capacity, at least one; repeats are
-- harmless)
-- Returns the number of seats that changed. Cost: O(seats).
local seats, refused = seat_request(true)
if not seats then
  return refused
end
return #move_seats(ARGV[1], seats, HELD_BACK, FREE)
