-- snapshot.lua: one page of the waiting queue and the log cursor as of it. A reload
-- reads a long line in pages by sequence number and then replays the log from its
-- first page's cursor (store/paged.rs), so no call walks the whole line.
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] q  KEYS[4] log
-- ARGV[1] after: sequence numbers above this one  ARGV[2] limit: at most this many
-- Returns {opened (0/1), cursor ('' if there is no log), seq1, seq2, ...} ascending.
-- Cost: O(log N + limit).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local cursor = log_cursor(KEYS[4])
local opened = redis.call('HGET', KEYS[2], 'opened') == '1' and 1 or 0
local out = { opened, cursor }
local flat = redis.call('ZRANGE', KEYS[3], '(' .. ARGV[1], '+inf', 'BYSCORE',
  'LIMIT', 0, ARGV[2], 'WITHSCORES')
for i = 2, #flat, 2 do
  out[#out + 1] = tonumber(flat[i])
end
return out
