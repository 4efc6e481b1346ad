-- draw_move.lua: one batch of the opening's draw (open.lua): the next k fans in draw
-- order get sequence numbers first+moved .. first+moved+k-1 in `q`; one that left
-- meanwhile (its ticket left, or replaced by a join after the freeze) leaves its
-- number as a gap, logged as an L entry so the rooms stop counting it. The record's
-- next k entries (join order, draw order) are appended. Compare-and-set on
-- st.dr_moved: a batch written twice, or by a caller that lost the lease, is refused.
-- The last batch opens the line (its flag, st.run, O first,0,slot) and drops the
-- frozen set. A fan who moved to another line before the freeze, or joined another
-- line after leaving, is no longer this line's (its record's g differs): a gap.
-- KEYS[1] st  KEYS[2] q  KEYS[3] prf  KEYS[4] tk  KEYS[5] log  KEYS[6] drj  KEYS[7] dro
-- (the drawn line's record: drj<slot>, dro<slot> for a presale group)  KEYS[8] drt
-- ARGV[1] log capacity  ARGV[2] the caller's token  ARGV[3] lease (ms)
-- ARGV[4] how many fans the caller knows moved  ARGV[5] k
-- ARGV[6 .. 5+k] users in draw order  ARGV[6+k .. 5+2k] pseudonyms in join order
-- ARGV[6+2k .. 5+3k] pseudonyms in draw order  ARGV[6+3k] the line drawn (slot)
-- Returns {code, moved}: 1 this batch completed the draw, 0 moved, -1 no draw runs or
-- the caller does not hold its lease, -2 `moved` is not what the caller knew.
-- Cost: O(k).
local draw = draw_state(KEYS[1])
local k = tonumber(ARGV[5])
if not draw or draw.slot ~= tonumber(ARGV[6 + 3 * k] or '0')
  or not draw_lease(KEYS[1], ARGV[2], ARGV[3], now_ms()) then
  return { -1, 0 }
end
if draw.moved ~= tonumber(ARGV[4]) then
  return { -2, draw.moved }
end
if k < 1 or draw.moved + k > draw.n then
  return redis.error_reply('FGDRAW a batch past the end of the draw')
end
local pairs_, gaps, joined, order = {}, {}, {}, {}
local recs = {}
for i = 1, k, 2000 do -- HMGET in chunks: Lua's unpack has a stack limit.
  local got = redis.call('HMGET', KEYS[4], unpack(ARGV, 5 + i, 5 + math.min(i + 1999, k)))
  for j, rec in ipairs(got) do
    recs[i + j - 1] = rec
  end
end
for i = 1, k do
  local user, seq = ARGV[5 + i], draw.first + draw.moved + i - 1
  local rec = recs[i]
  local r = rec and cjson.decode(rec)
  if r and r.s == 'W' and (r.g or 0) == draw.slot and not redis.call('ZSCORE', KEYS[2], user) then
    pairs_[#pairs_ + 1] = int(seq)
    pairs_[#pairs_ + 1] = user
  else
    gaps[#gaps + 1] = seq
  end
  joined[i] = ARGV[5 + k + i]
  order[i] = ARGV[5 + 2 * k + i]
end
if #pairs_ > 0 then
  chunked('ZADD', KEYS[2], {}, pairs_)
end
chunked('RPUSH', KEYS[6], {}, joined)
chunked('RPUSH', KEYS[7], {}, order)
if #gaps > 0 then
  append(KEYS[5], ARGV[1], 'L', ints(gaps))
end
local moved = draw.moved + k
if moved < draw.n then
  redis.call('HSET', KEYS[1], 'dr_moved', int(moved))
  return { 0, moved }
end
redis.call('HDEL', KEYS[1], 'drawing', 'dr_first', 'dr_n', 'dr_moved', 'dr_seed', 'dr_slot',
  'drawer', 'drawer_until')
redis.call('UNLINK', KEYS[3], KEYS[8])
line_opened(KEYS[1], KEYS[5], ARGV[1], draw.slot, draw.first)
return { 1, moved }
