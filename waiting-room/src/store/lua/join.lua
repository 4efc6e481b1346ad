-- join.lua: joins the queue idempotently and marks the fan present. A ticket that
-- left ('L') or bought ('P') is replaced by a new one at the back.
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] q  KEYS[4] pre  KEYS[5] tk  KEYS[6] pres  KEYS[7] log
-- KEYS[8] held  KEYS[9] act  KEYS[10] rec (admit.lua's; written by a join admitted at
-- once only)  KEYS[11] arr (the safety net's arrivals; touched only when it is set)
-- ARGV[1] user  ARGV[2] ticket id for a new ticket  ARGV[3] log capacity
-- ARGV[4] address a new ticket holds a place for ('' for none)  ARGV[5] its most places
-- ARGV[6] proof of work a new ticket needs: '' none asked, 'M' asked but none brought,
--   'S' a checked solution whose challenge KEYS[9] is spent (SET NX) for ARGV[7] ms
-- KEYS[12] (only with 'S') the spent-challenge key, under the event's hash tag
-- ARGV[8] '1' for a staff account's join (staff bypass; absent on every other join):
--   a new ticket is admitted at once once the sale is open (not during a draw, not
--   when the line is a waitlist), whatever the mode (even reject), pause, rate or line;
--   it takes the next seq behind everyone, so nobody's place or people-ahead changes.
-- Admission modes (cfg.mode, read with grace): in `reject` a join that would create a
-- ticket is refused (`FGREJECT`, nothing changed; a ticket held is given back as
-- always); in `passthrough`, once the sale is open, a new ticket with nobody waiting
-- ahead is admitted at once (J then A in the log, as admit.lua writes them) while
-- fewer than max_active sessions run and the line is not a waitlist. The safety net
-- (cfg.net = 'shoppers,arrivals', mode `queue` only, not paused): every new ticket
-- counts as an arrival in `arr` (per second, trimmed to the last minute), and, once the
-- sale is open, one with nobody waiting ahead is admitted at once while fewer than
-- `shoppers` (and max_active) sessions run and fewer than `arrivals` joined in the
-- last minute before it.
-- Presales (issue 20, docs/ARCHITECTURE.md "Presales"; join_presale only): ARGV[9] the
-- presale group's line (slot 1..8; absent or 0: the public line, KEYS[4]), KEYS[12]
-- then always given (the spent-challenge key, or the key prefix when no 'S'), KEYS[13..20]
-- pre1..pre8. A new ticket waits in its line's pre-queue until that line opened (or
-- queues behind its draw), then at the back; its record carries g = slot. A fan
-- pre-queued in another line that is not frozen yet moves to this one (to the back if
-- this line opened); any other ticket is given back as always.
-- Returns {record, seq, ahead} as in ticket_status (lib.lua); error reply `FGPLACES`
-- (nothing changed) when a new ticket would take the address over its cap, `FGPOW`
-- when it needs proof of work and has none, `FGPOWUSED` when its challenge was spent,
-- `FGREJECT` in mode reject.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local user = ARGV[1]
local staff = ARGV[8] == '1'
local slot = tonumber(ARGV[9] or '0')
if slot > 0 then
  local groups = ',' .. (redis.call('HGET', KEYS[1], 'pre') or '') .. ','
  if not string.find(groups, ',' .. slot .. ':', 1, true) then
    return redis.error_reply('FGNOGROUP no presale group in this slot')
  end
end
local function pre_of(s)
  if s == 0 then
    return KEYS[4]
  end
  return KEYS[12 + s]
end

-- Gives `user` a place in line `slot` now: the next seq at the back (a J entry) when
-- the line opened or its draw runs, else the next arrival in the line's pre-queue.
-- Returns the seq (nil when pre-queued) and st's opened, drawing, waitlist, run.
local function take_place()
  local open = redis.call('HMGET', KEYS[2], 'opened', 'drawing', 'waitlist', 'run', 'dr_slot',
    open_field(slot))
  local queues = open[6] == '1' or (open[2] == '1' and tonumber(open[5] or '0') == slot)
  if queues then
    local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
    redis.call('ZADD', KEYS[3], seq, user)
    append(KEYS[7], ARGV[3], 'J', int(seq))
    return seq, open
  end
  local arrival = redis.call('HINCRBY', KEYS[2], 'arrival', 1)
  redis.call('ZADD', pre_of(slot), arrival, user)
  return nil, open
end

-- Admits the new ticket `seq` of `user` at once, as one admission step of one fan
-- would (admit.lua): an A entry after its J, counted in admitted and the last minute.
-- Shared by passthrough's join and staff bypass.
local function admit_now(seq, holder, now)
  local expires = now + tonumber(redis.call('HGET', KEYS[1], 'ttl')) * 1000
  redis.call('ZREM', KEYS[3], user)
  redis.call('ZREM', KEYS[6], user)
  local rec = cjson.encode({ t = ARGV[2], s = 'A', q = seq, a = now, e = expires, h = holder })
  redis.call('HSET', KEYS[5], user, rec)
  redis.call('ZADD', KEYS[9], int(expires), user)
  redis.call('HINCRBY', KEYS[2], 'admitted', 1)
  redis.call('ZADD', KEYS[10], int(now), int(seq) .. ':1')
  redis.call('ZREMRANGEBYSCORE', KEYS[10], '-inf', int(now - 60000))
  append(KEYS[7], ARGV[3], 'A', int(now) .. ',' .. int(expires) .. ',' .. int(seq))
  return rec
end
local cfg = redis.call('HMGET', KEYS[1], 'grace', 'mode', 'net')
local now = now_ms()
local deadline = now + tonumber(cfg[1])
local rec = redis.call('HGET', KEYS[5], user)
local state = rec and cjson.decode(rec).s
if not rec or state == 'L' or state == 'P' then
  if cfg[2] == 'reject' and not staff then
    return redis.error_reply('FGREJECT this sale is not taking new places right now')
  end
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
    if not redis.call('SET', KEYS[12], '1', 'NX', 'PX', ARGV[7]) then
      return redis.error_reply('FGPOWUSED this challenge was spent already')
    end
  end
  if holder then
    redis.call('HINCRBY', KEYS[8], holder, 1)
  end
  local seq, open = take_place()
  rec = cjson.encode({ t = ARGV[2], s = 'W', h = holder, g = slot > 0 and slot or nil })
  redis.call('HSET', KEYS[5], user, rec)
  -- Admitted at once only while admission runs and no draw does.
  local clear = seq and (open[1] == '1' or open[4] == '1') and open[2] ~= '1'
    and open[3] ~= '1'
  if clear and staff then
    return { ticket_status(KEYS[3], user, admit_now(seq, holder, now), nil) }
  end
  local net = cfg[3] and cfg[3] ~= '' and (cfg[2] or 'queue') == 'queue'
  if net then
    -- The arrivals of the last minute before this one, then this one counted.
    local shoppers, per_minute = string.match(cfg[3], '^(%d+),(%d+)$')
    local second = math.floor(now / 1000)
    local counts = redis.call('HGETALL', KEYS[11])
    local arrived = 0
    for i = 1, #counts, 2 do
      if tonumber(counts[i]) <= second - 60 then
        redis.call('HDEL', KEYS[11], counts[i])
      else
        arrived = arrived + tonumber(counts[i + 1])
      end
    end
    redis.call('HINCRBY', KEYS[11], int(second), 1)
    redis.call('PEXPIRE', KEYS[11], 120000)
    if clear and arrived < tonumber(per_minute) and redis.call('ZCARD', KEYS[3]) == 1 then
      local limits = redis.call('HMGET', KEYS[1], 'max_active', 'paused')
      local cap = math.min(tonumber(shoppers), tonumber(limits[1]))
      if limits[2] ~= '1' and redis.call('ZCOUNT', KEYS[9], '(' .. int(now), '+inf') < cap then
        return { ticket_status(KEYS[3], user, admit_now(seq, holder, now), nil) }
      end
    end
  end
  if clear and cfg[2] == 'passthrough' and redis.call('ZCARD', KEYS[3]) == 1 then
    local max_active = redis.call('HGET', KEYS[1], 'max_active')
    if redis.call('ZCOUNT', KEYS[9], '(' .. int(now), '+inf') < tonumber(max_active) then
      return { ticket_status(KEYS[3], user, admit_now(seq, holder, now), nil) }
    end
  end
  redis.call('ZADD', KEYS[6], deadline, user)
elseif state == 'W' then
  if slot > 0 then
    local r = cjson.decode(rec)
    local from = r.g or 0
    if from ~= slot and redis.call('ZREM', pre_of(from), user) == 1 then
      take_place()
      r.g = slot
      rec = cjson.encode(r)
      redis.call('HSET', KEYS[5], user, rec)
    end
  end
  redis.call('ZADD', KEYS[6], deadline, user)
end
return { ticket_status(KEYS[3], user, rec, draw_state(KEYS[2])) }
