-- mark_sold.lua: marks seats sold whatever their state (recovery from the database).
-- A held seat is taken from its hold; a hold left without seats is forgotten.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] log capacity  ARGV[2..] seats (below capacity; repeats are harmless)
-- Returns the number of seats that changed. Cost: O(seats).
local seats, refused = seat_request(false)
if not seats then
  return refused
end
local changed, unheld, unback = {}, 0, 0
for _, seat in ipairs(seats) do
  local s = state(seat)
  if s == HELD then
    unheld = unheld + 1
    local owner = redis.call('HGET', OWNER, int(seat))
    local rec = owner and hold_record(owner)
    if rec then
      local kept = {}
      for _, other in ipairs(rec.s) do
        if other ~= seat then
          kept[#kept + 1] = other
        end
      end
      if #kept == 0 then
        redis.call('HDEL', HOLDS, owner)
        redis.call('ZREM', DEADLINES, owner)
      else
        rec.s = kept
        redis.call('HSET', HOLDS, owner, cjson.encode(rec))
      end
    end
    redis.call('HDEL', OWNER, int(seat))
  elseif s == HELD_BACK then
    unback = unback + 1
  end
  if s ~= SOLD then
    redis.call('SETRANGE', STATES, seat, SOLD)
    changed[#changed + 1] = seat
  end
end
if #changed > 0 then
  redis.call('HINCRBY', META, 'held', int(-unheld))
  redis.call('HINCRBY', META, 'back', int(-unback))
  redis.call('HINCRBY', META, 'sold', #changed)
  log_seats(ARGV[1], SOLD, changed)
end
return #changed
