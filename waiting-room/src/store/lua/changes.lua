-- changes.lua: change-log entries after a cursor (a stream id; '' = from the start).
-- Shared with the seat store, whose log entries have the same k/v fields.
-- KEYS[1] cfg (the seat store: its seat meta hash; missing = unknown event)  KEYS[2] log
-- ARGV[1] cursor ('' or '0-<n>')  ARGV[2] max entries
-- Returns {lagged (0/1), next cursor, kind1, value1, kind2, value2, ...}.
--
-- Lagged detection: entry ids are `0-<ordinal>` (see append in lib.lua) and trimming
-- removes the oldest entries, so a reader at ordinal c missed entries iff the oldest
-- retained entry's ordinal is above c + 1. A cursor beyond the newest entry (the log
-- was deleted and restarted) is lagged too. Cost: two O(1) range reads (first and
-- last entry) besides the read itself; XINFO only for a log trimmed to nothing. A
-- lagged read returns no entries and the newest id (as snapshot.lua does).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN unknown event')
end
local cursor = ARGV[1]

local function ordinal(id)
  return tonumber(string.match(id, '^0%-(%d+)$'))
end

local from = cursor == '' and 0 or ordinal(cursor)
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
local newest, lagged
if first then
  newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1][1]
  lagged = ordinal(first[1]) > from + 1 or from > ordinal(newest)
elseif redis.call('EXISTS', KEYS[2]) == 1 then
  -- Trimmed empty: only a reader at the newest id ever generated is up to date.
  newest = last_id(KEYS[2])
  lagged = from ~= ordinal(newest)
else
  newest, lagged = '', from > 0
end
if lagged then
  return { 1, newest }
end

local out = { 0, cursor }
for _, entry in ipairs(redis.call('XRANGE', KEYS[2], '(0-' .. from, '+', 'COUNT', ARGV[2])) do
  out[2] = entry[1]
  local kind, value = '', ''
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'k' then
      kind = fields[i + 1]
    elseif fields[i] == 'v' then
      value = fields[i + 1]
    end
  end
  out[#out + 1] = kind
  out[#out + 1] = value
end
return out
