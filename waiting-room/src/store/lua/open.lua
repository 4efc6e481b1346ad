-- open.lua: the opening's first step (issue 19, docs/ARCHITECTURE.md "The opening's draw
-- in batches"). Once due, freezes the pre-queue in O(1): `pre` becomes `prf`, its n
-- fans own sequence numbers first..first+n-1 (st.seq jumps past them, so a fan joining
-- from now on queues behind them), and the F first,n,slot entry lets every room count
-- those places at once. draw_move.lua then moves them in draw order, in batches. An
-- empty pre-queue opens its line here (O first,0,slot). Any caller may continue a
-- frozen draw, one at a time: the draw's lease (lib.lua draw_lease).
-- Presales (issue 20, docs/ARCHITECTURE.md "Presales"): the lines open one at a time,
-- in time order (cfg.starts_at for the public line 0, cfg.pre for the groups' 1..8; a
-- tie by slot): the step freezes the first line not opened yet once its time came,
-- with its own seed, and waits for its draw before the next.
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] pre  KEYS[4] prf  KEYS[5] log  KEYS[6] drj  KEYS[7] dro
-- KEYS[8..15] pre1..pre8  KEYS[16..23] drj1..drj8  KEYS[24..31] dro1..dro8
-- ARGV[1] log capacity  ARGV[2] the caller's token  ARGV[3] lease (ms)  ARGV[4] the
-- public line's seed (hex)  ARGV[5..12] groups 1..8's seeds; a seed is kept at the
-- freeze: whoever continues the draw uses the first caller's.
-- Returns {code, first, n, moved, seed, slot}: code 0 every line open already, 1 the
-- next line not due, 2 drawing line `slot` and the caller holds the lease, 3 this call
-- opened line `slot` (an empty pre-queue), 4 drawing and another caller holds the lease.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local now = now_ms()
local draw = draw_state(KEYS[2])
if not draw then
  local cfg = redis.call('HMGET', KEYS[1], 'starts_at', 'pre')
  local next_slot, next_at
  local function consider(slot, at)
    if redis.call('HGET', KEYS[2], open_field(slot)) == '1' then
      return
    end
    if not next_at or at < next_at or (at == next_at and slot < next_slot) then
      next_slot, next_at = slot, at
    end
  end
  consider(0, tonumber(cfg[1]))
  for slot, at in string.gmatch(cfg[2] or '', '(%d+):(%-?%d+)') do
    consider(tonumber(slot), tonumber(at))
  end
  if not next_slot then
    return { 0, 0, 0, 0, '', 0 }
  end
  if now < next_at then
    return { 1, 0, 0, 0, '', 0 }
  end
  local slot = next_slot
  local pre = slot == 0 and KEYS[3] or KEYS[7 + slot]
  local drj = slot == 0 and KEYS[6] or KEYS[15 + slot]
  local dro = slot == 0 and KEYS[7] or KEYS[23 + slot]
  local n = redis.call('ZCARD', pre)
  local first = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0') + 1
  redis.call('DEL', drj, dro)
  if n == 0 then
    line_opened(KEYS[2], KEYS[5], ARGV[1], slot, first)
    return { 3, first, 0, 0, '', slot }
  end
  redis.call('RENAME', pre, KEYS[4])
  redis.call('HSET', KEYS[2], 'drawing', '1', 'dr_first', int(first), 'dr_n', int(n),
    'dr_moved', '0', 'dr_seed', ARGV[4 + slot], 'dr_slot', int(slot), 'seq', int(first + n - 1))
  append(KEYS[5], ARGV[1], 'F', int(first) .. ',' .. int(n) .. ',' .. int(slot))
  draw = { first = first, n = n, moved = 0, slot = slot }
end
local code = draw_lease(KEYS[2], ARGV[2], ARGV[3], now) and 2 or 4
return { code, draw.first, draw.n, draw.moved, redis.call('HGET', KEYS[2], 'dr_seed'), draw.slot }
