-- snapshot.lua: one page of the waiting queue and the log cursor as of it. A reload
-- reads a long line in pages by sequence number and then replays the log from its
-- first page's cursor (store/paged.rs), so no call walks the whole line.
-- KEYS[1] cfg  KEYS[2] st  KEYS[3] q  KEYS[4] log
-- ARGV[1] after: sequence numbers above this one  ARGV[2] limit: at most this many
-- Returns {opened (0/1: admission runs, a line opened), cursor ('' if there is no log), seq1, seq2, ...} ascending.
-- Cost: O(log N + limit). During the opening's draw the places not moved yet are
-- listed with the waiting (draw_move.lua).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local cursor = log_cursor(KEYS[4])
local opened = runs(KEYS[2]) and 1 or 0
local out = { opened, cursor }
local after, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
-- Waiting seqs in (lo, hi], at most `most`, onto `out`.
local function range(lo, hi, most)
  if most <= 0 then
    return
  end
  local flat = redis.call('ZRANGE', KEYS[3], '(' .. int(lo), hi, 'BYSCORE',
    'LIMIT', 0, most, 'WITHSCORES')
  for i = 2, #flat, 2 do
    out[#out + 1] = tonumber(flat[i])
  end
end
local draw = draw_state(KEYS[2])
if not draw then
  range(after, '+inf', limit)
  return out
end
-- A draw under way (open.lua): its places not moved yet wait too, as the F entry has
-- them, between the moved ones and the fans who joined after the freeze.
local from, to = draw.first + draw.moved, draw.behind - 1
range(after, int(from - 1), limit)
for seq = math.max(after + 1, from), to do
  if #out - 2 >= limit then
    break
  end
  out[#out + 1] = seq
end
range(math.max(after, to), '+inf', limit - (#out - 2))
return out
