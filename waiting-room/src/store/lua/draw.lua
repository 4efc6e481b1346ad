-- draw.lua: one page of a line's draw record (see open.lua): the public one's, or a
-- presale group's (KEYS drj<slot>, dro<slot>, ARGV[3] 'op<slot>').
-- KEYS[1] st  KEYS[2] drj  KEYS[3] dro
-- ARGV[1] offset  ARGV[2] most entries  ARGV[3] the st field marking the line opened
-- Returns {} before the opening, else {total, n, joined 1..n, order 1..n}.
if redis.call('HGET', KEYS[1], ARGV[3] or 'opened') ~= '1' then
  return {}
end
local total = redis.call('LLEN', KEYS[2])
local from = tonumber(ARGV[1])
local to = from + tonumber(ARGV[2]) - 1
local joined = redis.call('LRANGE', KEYS[2], from, to)
local order = redis.call('LRANGE', KEYS[3], from, to)
local out = { total, #joined }
for _, p in ipairs(joined) do out[#out + 1] = p end
for _, p in ipairs(order) do out[#out + 1] = p end
return out
