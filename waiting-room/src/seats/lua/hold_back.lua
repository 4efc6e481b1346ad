-- hold_back.lua: holds seats back from sale, all or none: every seat must be free or
-- held back already; the free ones become held back, logged as one entry.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] log capacity  ARGV[2..] seats (below capacity, at least one; repeats are
-- harmless)
-- Returns {'B', changed seat...} (held back; the seats that were free, in request
-- order) | {'U', seat...} (nothing changed: these seats are held or sold).
-- Cost: O(seats).
local seats, refused = seat_request(true)
if not seats then
  return refused
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
local reply = { 'B' }
for i, seat in ipairs(move_seats(ARGV[1], seats, FREE, HELD_BACK)) do
  reply[i + 1] = seat
end
return reply
