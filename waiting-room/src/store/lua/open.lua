-- open.lua: the opening's first step (issue 19, docs/ARCHITECTURE.md "The opening's draw
-- in batches"). Once due, freezes the pre-queue in O(1): `pre` becomes `prf`, its n
-- fans own sequence numbers first..first+n-1 (st.seq jumps past them, so a fan joining
-- from now on queues behind them), and the F first,n entry lets every room count those
-- places at once. draw_move.lua then moves them in draw order, in batches. An empty
-- pre-queue opens the sale here (O first,0). Any caller may continue a frozen draw,
-- one at a time: the draw's lease (lib.lua draw_lease).
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] pre  KEYS[4] prf  KEYS[5] log  KEYS[6] drj  KEYS[7] dro
-- ARGV[1] log capacity  ARGV[2] the caller's token  ARGV[3] lease (ms)  ARGV[4] the seed
-- (hex), kept at the freeze: whoever continues the draw uses the first caller's.
-- Returns {code, first, n, moved, seed}: code 0 open already, 1 not due, 2 drawing and the
-- caller holds the lease, 3 this call opened the sale (an empty pre-queue), 4 drawing
-- and another caller holds the lease.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
if redis.call('HGET', KEYS[2], 'opened') == '1' then
  return { 0, 0, 0, 0, '' }
end
local now = now_ms()
local draw = draw_state(KEYS[2])
if not draw then
  if now < tonumber(redis.call('HGET', KEYS[1], 'starts_at')) then
    return { 1, 0, 0, 0, '' }
  end
  local n = redis.call('ZCARD', KEYS[3])
  local first = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0') + 1
  redis.call('DEL', KEYS[6], KEYS[7])
  if n == 0 then
    redis.call('HSET', KEYS[2], 'opened', '1')
    append(KEYS[5], ARGV[1], 'O', int(first) .. ',0')
    return { 3, first, 0, 0, '' }
  end
  redis.call('RENAME', KEYS[3], KEYS[4])
  redis.call('HSET', KEYS[2], 'drawing', '1', 'dr_first', int(first), 'dr_n', int(n),
    'dr_moved', '0', 'dr_seed', ARGV[4], 'seq', int(first + n - 1))
  append(KEYS[5], ARGV[1], 'F', int(first) .. ',' .. int(n))
  draw = { first = first, n = n, moved = 0 }
end
local code = draw_lease(KEYS[2], ARGV[2], ARGV[3], now) and 2 or 4
return { code, draw.first, draw.n, draw.moved, redis.call('HGET', KEYS[2], 'dr_seed') }
