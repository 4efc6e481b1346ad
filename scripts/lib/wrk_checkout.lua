-- wrk script for the Checkout benchmark, one purchase token per request from the file
-- $TOKENS, sent with its account's session (Floodgate-Session: a purchase token is used
-- only with it). Thread k of $WRK_THREADS uses lines k, k + threads, … so no two threads
-- share a token. Counts statuses and prints them with latency percentiles.
--   WRK_MODE=hold:    lines are "token session"; best-available holds of one seat
--                     (URL …/api/v1/events/ID/holds)
--   WRK_MODE=confirm: lines are "token session hold_id"; confirms of prepared holds
--                     (URL: server)
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local all = {}
  for line in io.lines(os.getenv("TOKENS")) do
    all[#all + 1] = line
  end
  local step = tonumber(os.getenv("WRK_THREADS") or "1")
  lines = {}
  for i = id + 1, #all, step do
    lines[#lines + 1] = all[i]
  end
  confirm = os.getenv("WRK_MODE") == "confirm"
  next_line = 0
  statuses = {}
end

function request()
  next_line = next_line % #lines + 1
  if confirm then
    local token, session, hold = lines[next_line]:match("^(%S+) (%S+) (%S+)$")
    return wrk.format("POST", "/api/v1/holds/" .. hold .. "/confirm",
      { ["Authorization"] = "Bearer " .. token, ["Floodgate-Session"] = session }, "")
  end
  local token, session = lines[next_line]:match("^(%S+) (%S+)$")
  -- A headers table given to wrk.format replaces wrk.headers: set Content-Type here.
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Floodgate-Session"] = session,
  }, '{"quantity":1}')
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("status %d: %d\n", status, n))
  end
end
