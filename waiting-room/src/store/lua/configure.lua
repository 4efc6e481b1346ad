-- configure.lua: sets an event's configuration, keeping its queue.
-- KEYS[1] cfg  KEYS[2] bkt  KEYS[3] log
-- ARGV[1] starts_at_ms  ARGV[2] grace_ms  ARGV[3] rate_per_minute  ARGV[4] max_active
-- ARGV[5] session_ttl_secs  ARGV[6] paused (0/1)  ARGV[7] mode  ARGV[8] mode message
-- ('' for none)  ARGV[9] safety net ('shoppers,arrivals', '' for none)
-- ARGV[10] only_if_missing (0/1)  ARGV[11] log capacity
-- ARGV[12] presale groups' openings, 'slot:ms,slot:ms' ('' for none; lib.lua)
-- Returns 1 if something was written (and a Settings entry appended), else 0.
local exists = redis.call('EXISTS', KEYS[1]) == 1
if exists and ARGV[10] == '1' then
  return 0
end
redis.call('HSET', KEYS[1], 'starts_at', ARGV[1], 'grace', ARGV[2], 'rate', ARGV[3],
  'max_active', ARGV[4], 'ttl', ARGV[5], 'paused', ARGV[6], 'mode', ARGV[7],
  'msg', ARGV[8], 'net', ARGV[9], 'pre', ARGV[12])
if not exists then
  -- A new queue's bucket starts empty now.
  redis.call('HSET', KEYS[2], 'tokens', '0', 'at', int(now_ms()))
end
append(KEYS[3], ARGV[11], 'S', '')
return 1
