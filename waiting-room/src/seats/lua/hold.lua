-- hold.lua: holds all requested seats or none, and counts them against the token.
-- KEYS: the seat keys (seats.lua)
-- ARGV[1] log capacity  ARGV[2] hold id  ARGV[3] user  ARGV[4] jti  ARGV[5] max_seats
-- ARGV[6] ttl_ms  ARGV[7..] seats (distinct, below capacity, at least one)
-- Returns {'H', expires_at} | {'U', seat...} (unavailable, in request order) |
-- {'T', used} (the token has no room: checked first, whatever the seats) |
-- {'X'} (the token's session ended: end_token.lua; checked before the count).
-- Cost: O(requested seats), plus O(seats) of each expired hold taken over: a seat
-- held by a hold whose deadline passed and that is not confirming is available; the
-- whole expired hold is then released (its seats logged free) before the new hold.
-- The capacity is in every event's meta (init.lua): no meta, no capacity.
local cap = capacity()
if not cap then
  return unknown_event()
end
local id, jti = ARGV[2], ARGV[4]
local seats, why = seat_args(7, cap)
if not seats then
  return bad_request(why)
end
local seen = {}
for _, seat in ipairs(seats) do
  if seen[seat] then
    return bad_request('seat ' .. int(seat) .. ' is requested twice')
  end
  seen[seat] = true
end
if #seats == 0 then
  return bad_request('a hold needs seats')
end
if redis.call('HEXISTS', HOLDS, id) == 1 then
  return bad_request('hold ' .. id .. ' exists already')
end

local counted = redis.call('HGET', JTI, jti)
if counted == ENDED then
  return { 'X' }
end
local used = tonumber(counted or '0')
if used + #seats > tonumber(ARGV[5]) then
  return { 'T', used }
end

local now = now_ms()
-- busy: the unavailable seats after the reply tag; stale: expired holds to take over.
local busy, stale, stale_ids = { 'U' }, {}, {}
for _, seat in ipairs(seats) do
  local s = state(seat)
  if s == HELD then
    local owner = redis.call('HGET', OWNER, int(seat))
    local rec = owner and (stale[owner] or hold_record(owner))
    if rec and not rec.c and rec.e <= now then
      if not stale[owner] then
        stale[owner] = rec
        stale_ids[#stale_ids + 1] = owner
      end
    else
      busy[#busy + 1] = seat
    end
  elseif s ~= FREE then
    busy[#busy + 1] = seat
  end
end
if #busy > 1 then
  return busy
end

for _, owner in ipairs(stale_ids) do
  settle(ARGV[1], owner, stale[owner], FREE)
end
local expires = now + tonumber(ARGV[6])
local owned = {}
for _, seat in ipairs(seats) do
  redis.call('SETRANGE', STATES, seat, HELD)
  owned[#owned + 1] = int(seat)
  owned[#owned + 1] = id
end
chunked('HSET', OWNER, {}, owned)
redis.call('HINCRBY', META, 'held', #seats)
redis.call('HSET', HOLDS, id, cjson.encode({ u = ARGV[3], j = jti, s = seats, e = expires, c = false }))
redis.call('ZADD', DEADLINES, int(expires), id)
redis.call('HINCRBY', JTI, jti, #seats)
if not counted then
  redis.call('HINCRBY', META, 'holders', 1)
end
log_seats(ARGV[1], HELD, seats)
return { 'H', expires }
