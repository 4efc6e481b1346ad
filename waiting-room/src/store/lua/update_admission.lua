-- update_admission.lua: changes the admission settings (not the schedule).
-- KEYS[1] cfg  KEYS[2] log
-- ARGV[1] rate_per_minute  ARGV[2] max_active  ARGV[3] session_ttl_secs
-- ARGV[4] paused (0/1)  ARGV[5] mode (queue, queue_all, reject, passthrough)
-- ARGV[6] the mode's message to fans ('' for none)
-- ARGV[7] safety net ('shoppers,arrivals', '' for none)  ARGV[8] log capacity
-- Returns 1; error FGUNKNOWN if the event has no queue.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
redis.call('HSET', KEYS[1], 'rate', ARGV[1], 'max_active', ARGV[2], 'ttl', ARGV[3],
  'paused', ARGV[4], 'mode', ARGV[5], 'msg', ARGV[6], 'net', ARGV[7])
append(KEYS[2], ARGV[8], 'S', '')
return 1
