-- restore.lua: re-seeds an event the store lost (Redis restarted empty) from what one
-- replica knows, and puts that replica's waiting fans back with their own tickets and
-- sequence numbers. Idempotent, so every replica runs it for its own fans, one bounded
-- batch of them per call (store/redis.rs), with ONE log entry per batch: R, the
-- restored sequence numbers ascending, as deltas (the first from 0).
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] q  KEYS[4] pre  KEYS[5] tk  KEYS[6] pres  KEYS[7] bkt
-- KEYS[8] log  KEYS[9..16] pre1..pre8 (presale groups' pre-queues)
-- ARGV[1] starts_at_ms  ARGV[2] grace_ms  ARGV[3] rate_per_minute  ARGV[4] max_active
-- ARGV[5] session_ttl_secs  ARGV[6] paused (0/1)  ARGV[7] mode  ARGV[8] mode message
-- ('' for none)  ARGV[9] safety net ('shoppers,arrivals', '' for none)  ARGV[10] opened (0/1)
-- ARGV[11] seq floor: the first new join gets a higher sequence number
-- ARGV[12] first log ordinal for a new log  ARGV[13] log capacity
-- ARGV[14] presale groups' openings ('slot:ms,...', '' none; cfg.pre)
-- ARGV[15..] quadruples: user, ticket id, seq (0: pre-queued), line (slot; 0 public)
-- Presales: with `opened` (admission ran), each line whose opening time has come by
-- Redis' clock counts as opened (its pre-queued fans and new joins queue at the back:
-- no second draw); a line not due yet keeps its pre-queue, and a pre-queued fan goes
-- back into its own line's.
-- Returns {created (0/1), fans put back}. Cost: O(fans in the batch).
local created = 0
local cap = ARGV[13]
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'starts_at', ARGV[1], 'grace', ARGV[2], 'rate', ARGV[3],
    'max_active', ARGV[4], 'ttl', ARGV[5], 'paused', ARGV[6], 'mode', ARGV[7],
    'msg', ARGV[8], 'net', ARGV[9], 'pre', ARGV[14])
  redis.call('HSET', KEYS[7], 'tokens', '0', 'at', int(now_ms()))
  if redis.call('EXISTS', KEYS[8]) == 0 then
    -- A new log starts far beyond every reader's cursor, so each of them sees a gap
    -- (lagged), reloads, and runs this script for its own fans.
    redis.call('XADD', KEYS[8], 'MAXLEN', '~', cap, '0-' .. ARGV[12], 'k', 'S', 'v', '')
  else
    append(KEYS[8], cap, 'S', '')
  end
  created = 1
end
if ARGV[10] == '1' then
  local now = now_ms()
  local cfg = redis.call('HMGET', KEYS[1], 'starts_at', 'pre')
  local fields = { 'run', '1' }
  if tonumber(cfg[1]) <= now then
    fields[#fields + 1] = 'opened'
    fields[#fields + 1] = '1'
  end
  for slot, at in string.gmatch(cfg[2] or '', '(%d+):(%-?%d+)') do
    if tonumber(at) <= now then
      fields[#fields + 1] = 'op' .. slot
      fields[#fields + 1] = '1'
    end
  end
  redis.call('HSET', KEYS[2], unpack(fields))
end
local function raise_seq(to)
  local seq = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0')
  if to > seq then
    redis.call('HSET', KEYS[2], 'seq', int(to))
  end
end
raise_seq(tonumber(ARGV[11]))
local deadline = now_ms() + tonumber(redis.call('HGET', KEYS[1], 'grace'))
local opened = runs(KEYS[2])
local restored = 0
local seqs = {}
for i = 15, #ARGV, 4 do
  local user, ticket, seq = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local slot = tonumber(ARGV[i + 3])
  if redis.call('HEXISTS', KEYS[5], user) == 0 then
    if seq > 0 and opened then
      redis.call('ZADD', KEYS[3], seq, user)
      raise_seq(seq)
      seqs[#seqs + 1] = seq
    elseif redis.call('HGET', KEYS[2], open_field(slot)) == '1' then
      seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
      redis.call('ZADD', KEYS[3], seq, user)
      seqs[#seqs + 1] = seq
    else
      local arrival = redis.call('HINCRBY', KEYS[2], 'arrival', 1)
      redis.call('ZADD', slot == 0 and KEYS[4] or KEYS[8 + slot], arrival, user)
    end
    redis.call('HSET', KEYS[5], user,
      cjson.encode({ t = ticket, s = 'W', g = slot > 0 and slot or nil }))
    redis.call('ZADD', KEYS[6], deadline, user)
    restored = restored + 1
  end
end
if #seqs > 0 then
  table.sort(seqs)
  local deltas, prev = {}, 0
  for i, seq in ipairs(seqs) do
    deltas[i] = int(seq - prev)
    prev = seq
  end
  append(KEYS[8], cap, 'R', table.concat(deltas, ','))
end
return { created, restored }
