-- join.lua: joins the queue idempotently and marks the fan present. A ticket that
-- left ('L') or bought ('P') is replaced by a new one at the back.
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] q  KEYS[4] pre  KEYS[5] tk  KEYS[6] pres  KEYS[7] log
-- KEYS[8] held
-- ARGV[1] user  ARGV[2] ticket id for a new ticket  ARGV[3] log capacity
-- ARGV[4] address a new ticket holds a place for ('' for none)  ARGV[5] its most places
-- ARGV[6] proof of work a new ticket needs: '' none asked, 'M' asked but none brought,
--   'S' a checked solution whose challenge KEYS[9] is spent (SET NX) for ARGV[7] ms
-- KEYS[9] (only with 'S') the spent-challenge key, under the event's hash tag
-- Returns {record, seq, ahead} as in ticket_status (lib.lua); error reply `FGPLACES`
-- (nothing changed) when a new ticket would take the address over its cap, `FGPOW`
-- when it needs proof of work and has none, `FGPOWUSED` when its challenge was spent.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local user = ARGV[1]
local deadline = now_ms() + tonumber(redis.call('HGET', KEYS[1], 'grace'))
local rec = redis.call('HGET', KEYS[5], user)
local state = rec and cjson.decode(rec).s
if not rec or state == 'L' or state == 'P' then
  local holder = ARGV[4] ~= '' and ARGV[4] or nil
  if ARGV[6] == 'M' then
    return redis.error_reply('FGPOW proof of work required')
  end
  if holder then
    if tonumber(redis.call('HGET', KEYS[8], holder) or '0') >= tonumber(ARGV[5]) then
      return redis.error_reply('FGPLACES this address holds the most places allowed')
    end
  end
  if ARGV[6] == 'S' then
    if not redis.call('SET', KEYS[9], '1', 'NX', 'PX', ARGV[7]) then
      return redis.error_reply('FGPOWUSED this challenge was spent already')
    end
  end
  if holder then
    redis.call('HINCRBY', KEYS[8], holder, 1)
  end
  local open = redis.call('HMGET', KEYS[2], 'opened', 'drawing')
  if open[1] == '1' or open[2] == '1' then -- a draw under way: behind it
    local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
    redis.call('ZADD', KEYS[3], seq, user)
    append(KEYS[7], ARGV[3], 'J', int(seq))
  else
    local arrival = redis.call('HINCRBY', KEYS[2], 'arrival', 1)
    redis.call('ZADD', KEYS[4], arrival, user)
  end
  rec = cjson.encode({ t = ARGV[2], s = 'W', h = holder })
  redis.call('HSET', KEYS[5], user, rec)
  redis.call('ZADD', KEYS[6], deadline, user)
elseif state == 'W' then
  redis.call('ZADD', KEYS[6], deadline, user)
end
return { ticket_status(KEYS[3], user, rec, draw_state(KEYS[2])) }
