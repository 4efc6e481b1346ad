-- prequeue.lua: one page of the frozen pre-queue (open.lua), in arrival order, for the
-- draw's order (computed in Rust, shuffle.rs) and its join-order record. The frozen
-- set never changes while the draw runs, so every page and every replica agree.
-- KEYS[1] st  KEYS[2] prf  KEYS[3] tk  KEYS[4] drt
-- ARGV[1] the caller's token  ARGV[2] lease (ms)  ARGV[3] from (rank)  ARGV[4] most
-- Returns {0} unless a draw runs and the caller holds its lease, else
-- {1, user 1, ticket 1, user 2, ticket 2, ...}. Cost: O(most).
if not draw_state(KEYS[1]) or not draw_lease(KEYS[1], ARGV[1], ARGV[2], now_ms()) then
  return { 0 }
end
local from = tonumber(ARGV[3])
local users = redis.call('ZRANGE', KEYS[2], from, from + tonumber(ARGV[4]) - 1)
local out = { 1 }
local step = 2000 -- HMGET in chunks: Lua's unpack has a stack limit.
for i = 1, #users, step do
  local last = math.min(i + step - 1, #users)
  local kept = redis.call('HMGET', KEYS[4], unpack(users, i, last))
  local recs = redis.call('HMGET', KEYS[3], unpack(users, i, last))
  for j = i, last do
    local ticket, rec = kept[j - i + 1], recs[j - i + 1]
    if not ticket then
      ticket = rec and cjson.decode(rec).t or ''
    end
    out[#out + 1] = users[j]
    out[#out + 1] = ticket
  end
end
return out
