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
for _, user in ipairs(users) do
  local ticket = redis.call('HGET', KEYS[4], user)
  if not ticket then
    local rec = redis.call('HGET', KEYS[3], user)
    ticket = rec and cjson.decode(rec).t or ''
  end
  out[#out + 1] = user
  out[#out + 1] = ticket
end
return out
