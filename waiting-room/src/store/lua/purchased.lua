-- purchased.lua: an admitted fan's session confirmed an order: ends the session
-- (freeing its active slot and its address's place, as release.lua), and the ticket
-- becomes 'P' with the order ids, so it hands out no purchase token any more.
-- Idempotent: a 'P' ticket adds the order if it is new.
-- KEYS[1] cfg  KEYS[2] act  KEYS[3] tk  KEYS[4] held  KEYS[5] log
-- ARGV[1] user  ARGV[2] order id  ARGV[3] log capacity
-- Returns 1 if the ticket is (now) purchased with the order, 0 if it was neither
-- admitted nor purchased (nothing changed).
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('FGUNKNOWN event has no queue configured')
end
local user, order = ARGV[1], ARGV[2]
local rec = redis.call('HGET', KEYS[3], user)
if not rec then
  return 0
end
local ticket = cjson.decode(rec)
local orders
if ticket.s == 'A' then
  if redis.call('ZREM', KEYS[2], user) == 1 then
    unhold(KEYS[4], rec)
  end
  orders = {}
elseif ticket.s == 'P' then
  orders = ticket.o
  for _, o in ipairs(orders) do
    if o == order then
      return 1
    end
  end
else
  return 0
end
orders[#orders + 1] = order
redis.call('HSET', KEYS[3], user, cjson.encode({ t = ticket.t, s = 'P', q = ticket.q, o = orders }))
append(KEYS[5], ARGV[3], 'P', user .. ',' .. table.concat(orders, ','))
return 1
