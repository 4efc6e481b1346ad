-- seats.lua: helpers for the seat scripts, prepended after store/lua/lib.lua by the
-- Rust side (seats/redis.rs). No KEYS or ARGV of its own. Conventions:
--   * Every seat script gets the event's seven seat keys, in this order:
--     KEYS[1] meta       hash: cap, held, sold, back (held back; missing = 0),
--                        holders (tokens that ever held; missing = 0).
--                        Missing = unknown event (FGUNKNOWN).
--     KEYS[2] states     string, one byte per seat: \0 free, \1 held, \2 sold,
--                        \3 held back.
--     KEYS[3] owner      hash: seat index -> id of the hold holding it.
--     KEYS[4] holds      hash: hold id -> record, JSON {u = user, j = jti,
--                        s = [seat...], e = expires_at_ms, c = confirming}.
--     KEYS[5] deadlines  zset: hold id -> expires_at_ms.
--     KEYS[6] jti        hash: purchase token jti -> seats held so far (no refunds),
--                        or ENDED ('x') once the token's session ended.
--     KEYS[7] log        stream: the seat log; entry fields k = the state the seats
--                        moved to ('0' free, '1' held, '2' sold, '3' held back),
--                        v = the seats,
--                        comma-separated. Ids `0-<n>` as in lib.lua.
--   * ARGV[1] is the seat log's capacity in every script that writes the log.
--   * Times are Redis' own (now_ms in lib.lua).
--   * A malformed request (seat out of range, repeated, none) is refused with an
--     FGBADREQ error before anything is written.
local META, STATES, OWNER, HOLDS, DEADLINES, JTI, LOG =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local FREE, HELD, SOLD, HELD_BACK = '\0', '\1', '\2', '\3'
local KIND = { [FREE] = '0', [HELD] = '1', [SOLD] = '2', [HELD_BACK] = '3' }
local ENDED = 'x'

local function unknown_event()
  return redis.error_reply('FGUNKNOWN event has no seats')
end

local function bad_request(why)
  return redis.error_reply('FGBADREQ ' .. why)
end

local function capacity()
  return tonumber(redis.call('HGET', META, 'cap'))
end

-- ARGV[first..last] (last defaults to #ARGV) as seat indexes below `cap`, or nil and
-- the reason.
local function seat_args(first, cap, last)
  local seats = {}
  for i = first, last or #ARGV do
    local seat = tonumber(ARGV[i])
    if not seat or seat < 0 or seat >= cap or seat % 1 ~= 0 then
      return nil, 'seat ' .. ARGV[i] .. ' is out of range'
    end
    seats[#seats + 1] = seat
  end
  return seats
end

local function state(seat)
  return redis.call('GETRANGE', STATES, seat, seat)
end

-- Logs that `seats` moved to state `to`, in entries of at most 4096 seats (only
-- init_seats and mark_sold can move more at once).
local function log_seats(cap, to, seats)
  local step = 4096
  for i = 1, #seats, step do
    append(LOG, cap, KIND[to], ints({ unpack(seats, i, math.min(i + step - 1, #seats)) }))
  end
end

-- The seats a script that changes seats was given (ARGV[2..], below capacity): the
-- seats, or nil and the error to answer (unknown event, a seat out of range, or no
-- seat at all when `at_least_one`).
local function seat_request(at_least_one)
  if redis.call('EXISTS', META) == 0 then
    return nil, unknown_event()
  end
  local seats, why = seat_args(2, capacity())
  if not seats then
    return nil, bad_request(why)
  end
  if at_least_one and #seats == 0 then
    return nil, bad_request('no seats given')
  end
  return seats
end

-- The meta counter of each state that has one.
local COUNTER = { [HELD] = 'held', [SOLD] = 'sold', [HELD_BACK] = 'back' }

-- Moves the seats of `seats` that are in state `from` to state `to` (a repeated seat
-- once), keeps the meta counters and logs the move as one entry (log capacity `cap`);
-- answers the seats moved, in request order. Not for held seats (their holds must
-- change too).
local function move_seats(cap, seats, from, to)
  local moved = {}
  for _, seat in ipairs(seats) do
    if state(seat) == from then
      redis.call('SETRANGE', STATES, seat, to)
      moved[#moved + 1] = seat
    end
  end
  if #moved > 0 then
    if COUNTER[from] then
      redis.call('HINCRBY', META, COUNTER[from], int(-#moved))
    end
    if COUNTER[to] then
      redis.call('HINCRBY', META, COUNTER[to], int(#moved))
    end
    log_seats(cap, to, moved)
  end
  return moved
end

-- A hold's record (decoded), or nil.
local function hold_record(id)
  local raw = redis.call('HGET', HOLDS, id)
  return raw and cjson.decode(raw)
end

-- Forgets hold `id` (record `rec`) and moves its seats to `to` (FREE or SOLD), logged
-- as one entry. Every seat in a record is held by that hold (mark_sold keeps it so).
local function settle(cap, id, rec, to)
  local seats = rec.s
  local fields = {}
  for i, seat in ipairs(seats) do
    redis.call('SETRANGE', STATES, seat, to)
    fields[i] = int(seat)
  end
  chunked('HDEL', OWNER, {}, fields)
  redis.call('HINCRBY', META, 'held', int(-#seats))
  if to == SOLD then
    redis.call('HINCRBY', META, 'sold', #seats)
  end
  redis.call('HDEL', HOLDS, id)
  redis.call('ZREM', DEADLINES, id)
  log_seats(cap, to, seats)
end
