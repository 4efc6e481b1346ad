-- remove.lua: removes a closed sale's line (issue 19): every key that grows with the
-- fans (the queue, the pre-queue, the tickets, sessions, presence deadlines, leases
-- and each replica's set of covered fans, the change log, places per address, the
-- bucket and admission record, a reload's shared view) goes with UNLINK, which frees a big key in a
-- background thread instead of blocking Redis (a DEL of a 10 M-fan line blocked it
-- for 32 s). The configuration, the counters (st) and the published draw record (drj,
-- dro) stay: small, and the draw stays checkable. The caller saved what the reports
-- need first. Idempotent.
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] q  KEYS[4] pre  KEYS[5] tk  KEYS[6] act  KEYS[7] pres
-- KEYS[8] bkt  KEYS[9] rec  KEYS[10] log  KEYS[11] held  KEYS[12] leases  KEYS[13] prf
-- KEYS[14] drt  KEYS[15] view  KEYS[16..23] pre1..pre8 (presale groups' pre-queues;
-- their draw records stay, as the public one's)
-- ARGV[1] replica set key prefix
-- Returns how many keys existed and were unlinked.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local keys = {}
for _, replica in ipairs(redis.call('ZRANGE', KEYS[12], 0, -1)) do
  keys[#keys + 1] = ARGV[1] .. replica
end
for i = 3, #KEYS do
  keys[#keys + 1] = KEYS[i]
end
local n = 0
for i = 1, #keys, 100 do
  n = n + redis.call('UNLINK', unpack(keys, i, math.min(i + 99, #keys)))
end
redis.call('HSET', KEYS[2], 'removed', '1')
return n
