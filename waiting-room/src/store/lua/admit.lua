-- admit.lua: one admission step, on Redis' clock.
--   0. expires replicas' leases that ran out (at most ARGV[4] covered fans a step):
--      their fans still waiting and not covered by another replica get a deadline of
--      the lease's end + grace (ZADD GT);
--   1. drops tickets whose presence deadline passed and that no replica covers (one
--      L entry with their seqs; a covered one only loses its deadline), at most
--      ARGV[4] deadlines a step, earliest first (the rest at the next steps: one call
--      never walks a whole crowd whose grace ran out at once);
--   2. expires finished sessions (giving back their addresses' places);
--   3. unless no line opened yet, a line's draw runs, paused or in mode queue_all or
--      reject: refills the token
--      bucket (admission.rs arithmetic) and admits floor(tokens), capped by free active
--      slots and waiting fans, from the head of the queue (one A entry); in mode
--      passthrough the bucket is left alone and only the slots and the line cap it. Free seats 0 marks the event's waitlist
--      (st.waitlist = 1, for good); once marked, a step admits at most
--      free seats - active shoppers (never below 0).
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] q  KEYS[4] pre  KEYS[5] tk  KEYS[6] act
-- KEYS[7] pres  KEYS[8] bkt  KEYS[9] rec  KEYS[10] log  KEYS[11] held  KEYS[12] leases
-- KEYS[13] prf  KEYS[14] drt (the opening's frozen pre-queue, open.lua)
-- KEYS[15..22] pre1..pre8 (presale groups' pre-queues, lib.lua)
-- ARGV[1] log capacity  ARGV[2] the event's free seats now (-1: unknown)
-- ARGV[3] replica set key prefix (+ replica = its set of covered fans, one slot)
-- ARGV[4] most covered fans of lapsed leases to expire, and most due deadlines to
--         read, in this step
-- Returns {dropped, active, waitlist (0/1), idle, seq1, user1, seq2, user2, ...} in
-- admission order. idle (issue 19): how many ms the next step could do nothing, when
-- that is known, else -1: with the line empty, unopened or paused (a join or new
-- settings reach the rooms through the log) or short of a token, the time until the
-- earliest lease end, presence deadline or session end (and, short of a token, the
-- next token; also after admitting); after a full batch, or while seats or the
-- active cap hold the line back (a release is not logged), -1.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local now = now_ms()

-- 0. Leases that ran out, earliest first, a batch of their fans at a time.
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[12], '-inf', '(' .. int(now), 'WITHSCORES')
if #lapsed > 0 then
  local grace = tonumber(redis.call('HGET', KEYS[1], 'grace'))
  local budget = tonumber(ARGV[4])
  for i = 1, #lapsed, 2 do
    local replica, ends = lapsed[i], tonumber(lapsed[i + 1])
    local set = ARGV[3] .. replica
    local fans = redis.call('SPOP', set, budget)
    local replicas = redis.call('ZRANGE', KEYS[12], 0, -1)
    for _, user in ipairs(fans) do
      if waiting(KEYS[5], user) and not covered(replicas, ARGV[3], user, replica) then
        redis.call('ZADD', KEYS[7], 'GT', int(ends + grace), user)
      end
    end
    if redis.call('EXISTS', set) == 0 then
      redis.call('ZREM', KEYS[12], replica)
    end
    budget = budget - #fans
    if budget <= 0 then
      break
    end
  end
end

-- 1. Fans whose grace ran out (deadline < now) and that no replica covers, by
-- (deadline, user) like the memory store.
local due = redis.call('ZRANGEBYSCORE', KEYS[7], '-inf', '(' .. int(now), 'LIMIT', 0, tonumber(ARGV[4]))
local gone = {}
if #due > 0 then
  local replicas = redis.call('ZRANGE', KEYS[12], 0, -1)
  for _, user in ipairs(due) do
    if not covered(replicas, ARGV[3], user, nil) then
      gone[#gone + 1] = user
    end
  end
end
local left = {}
for _, user in ipairs(gone) do
  local seq = redis.call('ZSCORE', KEYS[3], user)
  if seq then
    redis.call('ZREM', KEYS[3], user)
    left[#left + 1] = tonumber(seq)
  else
    local rec = redis.call('HGET', KEYS[5], user)
    local g = rec and cjson.decode(rec).g or 0
    redis.call('ZREM', g == 0 and KEYS[4] or KEYS[14 + g], user)
    keep_drawn_ticket(KEYS[13], KEYS[14], KEYS[5], user)
  end
  mark_left(KEYS[5], user, KEYS[11])
end
if #due > 0 then
  chunked('ZREM', KEYS[7], {}, due)
end
if #left > 0 then
  append(KEYS[10], ARGV[1], 'L', ints(left))
end

-- 2. Sessions ending at or before now.
local ended = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', int(now))
if #ended > 0 then
  for _, user in ipairs(ended) do
    unhold(KEYS[11], redis.call('HGET', KEYS[5], user))
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', int(now))
end
local active = redis.call('ZCARD', KEYS[6])

local seats = tonumber(ARGV[2])
if seats == 0 then
  redis.call('HSET', KEYS[2], 'waitlist', '1')
end
local st = redis.call('HMGET', KEYS[2], 'opened', 'waitlist', 'run', 'drawing')
local waitlist = st[2] == '1' and 1 or 0
local cfg = redis.call('HMGET', KEYS[1], 'rate', 'max_active', 'ttl', 'paused', 'mode')
local mode = cfg[5] or 'queue'

-- Milliseconds until the earliest lease end, presence deadline or session end, or
-- `by` if sooner (-1 after a full batch: more is due now).
local function idle(by)
  if #due >= tonumber(ARGV[4]) then
    return -1
  end
  local at = by or math.huge
  for _, key in ipairs({ KEYS[12], KEYS[7], KEYS[6] }) do
    local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
    if first and tonumber(first) + 1 < at then
      at = tonumber(first) + 1
    end
  end
  if at == math.huge then
    return 3600000
  end
  return int(math.max(at - now, 0))
end

-- Admission runs from the first line's opening on (st.run; st.opened before presales)
-- and waits while a line's draw runs.
local admitting = (st[1] == '1' or st[3] == '1') and st[4] ~= '1'
if not admitting or cfg[4] == '1' or mode == 'queue_all' or mode == 'reject' then
  return { #gone, active, waitlist, idle(nil) }
end
local passthrough = mode == 'passthrough'

-- 3. Token bucket: burst = max(1, rate / 60), refill rate * elapsed / 60000.
local rate = tonumber(cfg[1])
local free = math.max(tonumber(cfg[2]) - active, 0)
if waitlist == 1 and seats >= 0 then
  free = math.min(free, math.max(seats - active, 0))
end
local tokens, n
if passthrough then
  -- No rate: the bucket is left alone (back in queue mode it refills to its burst).
  tokens = 1
  n = math.min(free, redis.call('ZCARD', KEYS[3]))
else
  local bucket = redis.call('HMGET', KEYS[8], 'tokens', 'at')
  tokens = tonumber(bucket[1] or '0')
  local at = tonumber(bucket[2] or int(now))
  local elapsed = math.max(now - at, 0)
  tokens = math.min(tokens + elapsed * rate / 60000, math.max(rate / 60, 1))
  at = math.max(at, now)
  n = math.min(math.floor(tokens), free, redis.call('ZCARD', KEYS[3]))
  tokens = tokens - n
  redis.call('HSET', KEYS[8], 'tokens', string.format('%.17g', tokens), 'at', int(at))
end

-- The idle hint once this step's admissions are done: none while fans wait and a
-- slot is free but the bucket is short of a token until the next one.
local function after(queued, slots)
  if queued == 0 then
    return idle(nil)
  elseif slots > 0 and rate > 0 and tokens < 1 then
    return idle(now + math.ceil((1 - tokens) * 60000 / rate))
  end
  return -1
end

local out = { #gone, active, waitlist, -1 }
if n <= 0 then
  out[4] = after(redis.call('ZCARD', KEYS[3]), free)
  return out
end
local expires = now + tonumber(cfg[3]) * 1000
local popped = redis.call('ZPOPMIN', KEYS[3], n)
local seqs = {}
local sessions = {}
for i = 1, #popped, 2 do
  local user, seq = popped[i], tonumber(popped[i + 1])
  local ticket = cjson.decode(redis.call('HGET', KEYS[5], user))
  redis.call('HSET', KEYS[5], user,
    cjson.encode({ t = ticket.t, s = 'A', q = seq, a = now, e = expires, h = ticket.h }))
  redis.call('ZREM', KEYS[7], user)
  sessions[#sessions + 1] = int(expires)
  sessions[#sessions + 1] = user
  seqs[#seqs + 1] = seq
  out[#out + 1] = seq
  out[#out + 1] = user
end
chunked('ZADD', KEYS[6], {}, sessions)
out[2] = redis.call('ZCARD', KEYS[6])
redis.call('HINCRBY', KEYS[2], 'admitted', #seqs)
-- Admissions per step for admitted_last_minute: member "<first seq>:<count>" is unique.
redis.call('ZADD', KEYS[9], int(now), int(seqs[1]) .. ':' .. int(#seqs))
redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', int(now - 60000))
append(KEYS[10], ARGV[1], 'A', int(now) .. ',' .. int(expires) .. ',' .. ints(seqs))
out[4] = after(redis.call('ZCARD', KEYS[3]), free - n)
return out
