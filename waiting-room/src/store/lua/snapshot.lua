-- snapshot.lua: the waiting queue and the log cursor it corresponds to, atomically.
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] q  KEYS[4] log
-- Returns {opened (0/1), cursor ('' if there is no log), seq1, seq2, ...} ascending.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local cursor = log_cursor(KEYS[4])
local opened = redis.call('HGET', KEYS[2], 'opened') == '1' and 1 or 0
local out = { opened, cursor }
local flat = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
for i = 2, #flat, 2 do
  out[#out + 1] = tonumber(flat[i])
end
return out
