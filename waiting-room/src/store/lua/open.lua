-- open.lua: opens the sale once its time has come: shuffles the pre-queue
-- (Fisher-Yates with the caller's seed) into sequence numbers first..first+count-1.
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] q  KEYS[4] pre  KEYS[5] log
-- ARGV[1] seed (0 .. 2^31-1)  ARGV[2] log capacity
-- Returns 1 if this call opened the event, 0 if it was open already or too early.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
if redis.call('HGET', KEYS[2], 'opened') == '1' then
  return 0
end
if now_ms() < tonumber(redis.call('HGET', KEYS[1], 'starts_at')) then
  return 0
end
-- In arrival order, so that the seed alone decides the permutation.
local users = redis.call('ZRANGE', KEYS[4], 0, -1)
math.randomseed(tonumber(ARGV[1]))
for i = #users, 2, -1 do
  local j = math.random(i)
  users[i], users[j] = users[j], users[i]
end
local first = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0') + 1
local pairs_ = {}
for i, user in ipairs(users) do
  pairs_[#pairs_ + 1] = int(first + i - 1)
  pairs_[#pairs_ + 1] = user
end
if #pairs_ > 0 then
  chunked('ZADD', KEYS[3], {}, pairs_)
end
redis.call('DEL', KEYS[4])
redis.call('HSET', KEYS[2], 'seq', int(first + #users - 1), 'opened', '1')
append(KEYS[5], ARGV[2], 'O', int(first) .. ',' .. int(#users))
return 1
