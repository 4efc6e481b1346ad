-- lib.lua: helpers prepended to every script by the Rust side (store/redis.rs; the seat
-- store's scripts too, seats/redis.rs). No KEYS or ARGV of its own. Conventions shared
-- by the queue scripts:
--   * KEYS[1] is always the event's `cfg` hash; a missing one means the event has no
--     queue (error reply `FGUNKNOWN`).
--   * Times are Unix milliseconds by Redis' own clock (TIME), never the caller's.
--   * Presales (issue 20, docs/ARCHITECTURE.md "Presales"): line 0 is the public
--     pre-queue (`pre`, record `drj`/`dro`, opened when st.opened = '1'); lines 1..8
--     are presale groups' (`pre<slot>`, `drj<slot>`/`dro<slot>`, opened when
--     st.op<slot> = '1'); st.run = '1' once any line opened (admission runs); the
--     config's `pre` field lists the groups' openings, 'slot:ms,slot:ms' ('' none).
--   * Ticket records in the `tk` hash are JSON: {t = ticket id, s = state} with
--     s = 'W' (waiting: pre-queued, or queued when the user is in the `q` zset),
--     'A' (admitted; q = seq, a = admitted_at, e = expires_at), 'L' (left) or 'P'
--     (purchased: the session confirmed orders o = {order ids}; q = seq); and
--     h = the address the ticket holds a place for, in the `held` hash (W and A only,
--     when the join was capped; given back by `unhold`); g = the presale group's line
--     a waiting ticket joined (absent: the public one).
--   * Change-log entries have two fields: k (kind) and v (comma-separated integers):
--     J seq | O first,count | A admitted_at,expires_at,seq... | L seq... | S '' |
--     P user,order... (a user id and order ids, not integers) |
--     R seq,delta... (a restored batch, ascending: each seq is the previous + delta) |
--     F first,count,slot (the opening froze line slot's pre-queue: its fans own
--     first..first+count-1, moved into `q` in batches; an O first,0,slot follows once
--     the draw is complete; entries written before presales have no slot: 0).

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- An integer as a decimal string (Lua's own tostring switches to exponents).
local function int(x)
  return string.format('%d', x)
end

-- Appends one change-log entry, trimming the stream to about `cap` entries. Entry ids
-- are `0-<n>` (XADD 0-*) with n = 1, 2, 3... the entry's ordinal, so a gap between a
-- reader's cursor and the oldest retained entry shows that entries were trimmed.
local function append(log, cap, kind, value)
  return redis.call('XADD', log, 'MAXLEN', '~', cap, '0-*', 'k', kind, 'v', value)
end

-- The newest id a stream ever had (even when trimmed empty), or '' if there is none.
local function last_id(log)
  if redis.call('EXISTS', log) == 0 then
    return ''
  end
  local info = redis.call('XINFO', 'STREAM', log)
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      return info[i + 1]
    end
  end
  return ''
end

-- A log's cursor for a snapshot: the newest entry's id (one O(1) read; XINFO only for
-- a log trimmed empty), '' if there is no log.
local function log_cursor(log)
  local newest = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)[1]
  return newest and newest[1] or last_id(log)
end

-- Comma-separated integers.
local function ints(list)
  local out = {}
  for i, x in ipairs(list) do
    out[i] = int(x)
  end
  return table.concat(out, ',')
end

-- The opening's draw under way (open.lua, draw_move.lua), or nil: while st.drawing is
-- '1' the frozen pre-queue's n fans own sequence numbers first .. first + n - 1, of
-- which the first `moved` are in `q` (`behind`: the first number after the draw).
local function draw_state(st)
  local d = redis.call('HMGET', st, 'drawing', 'dr_first', 'dr_n', 'dr_moved', 'dr_slot')
  if d[1] ~= '1' then
    return nil
  end
  local first, n, moved = tonumber(d[2]), tonumber(d[3]), tonumber(d[4])
  return { first = first, n = n, moved = moved, behind = first + n, slot = tonumber(d[5] or '0') }
end

-- The st field that marks line `slot` opened: 'opened' for the public line (as before
-- presales), 'op<slot>' for a presale group's.
local function open_field(slot)
  if slot == 0 then
    return 'opened'
  end
  return 'op' .. slot
end

-- Line `slot`'s opening is complete: its flag, admission runs (st.run), and the log's
-- O first,0,slot entry.
local function line_opened(st, log, cap, slot, first)
  redis.call('HSET', st, open_field(slot), '1', 'run', '1')
  append(log, cap, 'O', int(first) .. ',0,' .. int(slot))
end

-- Whether admission runs: a line opened (st.run; st.opened for events opened before
-- presales).
local function runs(st)
  local r = redis.call('HMGET', st, 'run', 'opened')
  return r[1] == '1' or r[2] == '1'
end

-- A user's ticket as three values: the record ('' if none), and the queue sequence
-- number and rank (-1, -1 unless the user is waiting in the queue proper). With a
-- draw under way (`draw`, from draw_state), a ticket behind it also counts the
-- draw's places not moved yet: they are ahead of it (a position never rises).
local function ticket_status(q, user, rec, draw)
  if not rec then
    return '', -1, -1
  end
  local seq = redis.call('ZSCORE', q, user)
  if not seq then
    return rec, -1, -1
  end
  seq = tonumber(seq)
  local ahead = redis.call('ZRANK', q, user)
  if draw and seq >= draw.behind then
    ahead = ahead + draw.n - draw.moved
  end
  return rec, seq, ahead
end

-- Gives back the place a ticket record (JSON, or nil) holds for its address, if any.
local function unhold(held, rec)
  local holder = rec and cjson.decode(rec).h
  if holder and redis.call('HINCRBY', held, holder, -1) <= 0 then
    redis.call('HDEL', held, holder)
  end
end

-- Marks a ticket left, keeping its id, and gives back its address's place.
local function mark_left(tk, user, held)
  local rec = redis.call('HGET', tk, user)
  if rec then
    unhold(held, rec)
    redis.call('HSET', tk, user, cjson.encode({ t = cjson.decode(rec).t, s = 'L' }))
  end
end

-- Runs `cmd key <prefix args> <items...>` in chunks (Lua's unpack has a stack limit).
local function chunked(cmd, key, prefix, items)
  local step = 2000
  for i = 1, #items, step do
    local args = { cmd, key }
    for _, a in ipairs(prefix) do
      args[#args + 1] = a
    end
    for j = i, math.min(i + step - 1, #items) do
      args[#args + 1] = items[j]
    end
    redis.call(unpack(args))
  end
end


-- Presence per replica (presence.lua, admit.lua): `leases` is a zset replica → lease
-- deadline, and `<rep prefix><replica>` the set of fans that replica covers (same hash
-- tag as the event's other keys, named from the `leases` members, so on one slot).
-- Whether a replica in `replicas` (a ZRANGE of leases) other than `except` covers
-- `user`: one SISMEMBER per replica.
local function covered(replicas, rep_prefix, user, except)
  for _, r in ipairs(replicas) do
    if r ~= except and redis.call('SISMEMBER', rep_prefix .. r, user) == 1 then
      return true
    end
  end
  return false
end

-- Whether `user` holds a waiting or pre-queued ticket.
local function waiting(tk, user)
  local rec = redis.call('HGET', tk, user)
  return rec ~= false and cjson.decode(rec).s == 'W'
end

-- Whether the caller `token` holds the opening draw's lease (st.drawer until
-- st.drawer_until), taking or renewing it for `lease_ms` when it is free, lapsed or
-- its own: one replica draws at a time, another takes over once it stops renewing.
local function draw_lease(st, token, lease_ms, now)
  local l = redis.call('HMGET', st, 'drawer', 'drawer_until')
  if l[1] and l[1] ~= token and tonumber(l[2]) > now then
    return false
  end
  redis.call('HSET', st, 'drawer', token, 'drawer_until', int(now + tonumber(lease_ms)))
  return true
end

-- Before a frozen pre-queued fan's ticket is marked left (leave.lua, admit.lua), keeps
-- its ticket id in `drt` while the draw runs: a new join would replace the record, and
-- the draw's pseudonym is the frozen ticket's.
local function keep_drawn_ticket(prf, drt, tk, user)
  if redis.call('ZSCORE', prf, user) then
    local rec = redis.call('HGET', tk, user)
    if rec then
      redis.call('HSETNX', drt, user, cjson.decode(rec).t)
    end
  end
end
