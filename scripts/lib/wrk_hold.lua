-- wrk script: best-available holds of one seat, each request with the next purchase
-- token from the file $TOKENS (one per line). Thread k of $WRK_THREADS uses lines
-- k, k + threads, … so no two threads share a token. Counts statuses per thread.
--   TOKENS=tokens.txt WRK_THREADS=2 wrk -t2 -c64 -d10s -s wrk_hold.lua URL/api/v1/events/ID/holds
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
  tokens = {}
  for i = id + 1, #all, step do
    tokens[#tokens + 1] = all[i]
  end
  next_token = 0
  statuses = {}
  wrk.method = "POST"
  wrk.body = '{"quantity":1}'
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  next_token = next_token % #tokens + 1
  -- A headers table given to wrk.format replaces wrk.headers: repeat Content-Type.
  return wrk.format(nil, nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[next_token],
  })
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
  io.write(string.format("latency_ms p50 %.2f p90 %.2f p99 %.2f max %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
