-- wrk script for ./balance bench. Environment:
--   BENCH_METHOD  GET (default) or POST: POST /users with a unique email per request; RYW: each connection creates
--                 a user, then reads it at once with the create's Consistency-Token (read-your-writes), and again
--   BENCH_TOKEN   a Consistency-Token header to send with every GET (GET mode)
--   BENCH_RATE    requests/s to pace the whole run at (0: as fast as the connections go)
--   BENCH_CONNECTIONS  the -c given to wrk (for the pacing)
-- done() prints one line the bench parses:
--   BENCH requests seconds errors p50_ms p99_ms p99.9_ms
local method = os.getenv("BENCH_METHOD") or "GET"
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local connections = tonumber(os.getenv("BENCH_CONNECTIONS") or "1")
local token = os.getenv("BENCH_TOKEN")
if token == "" then
  token = nil
end
local counter = 0
local prefix
local threads = {}
-- RYW: what the next request of this thread is (one connection per thread keeps the pairs in order: see bench.sh)
local pending_read = nil
-- globals, not locals: done() reads each thread's counters with thread:get
reads_replica, reads_primary, reads_other = 0, 0, 0

function setup(thread)
  thread:set("id", math.random(1, 1e9))
  table.insert(threads, thread)
end

function init(args)
  prefix = string.format("bench-%d-%d", os.time(), id or math.random(1, 1e9))
end

function request()
  if method == "RYW" then
    if pending_read then
      local read = pending_read
      pending_read = nil
      return wrk.format("GET", "/users/" .. read.id, { ["Consistency-Token"] = read.token })
    end
    counter = counter + 1
    local body = string.format('{"name":"Bench %d","email":"%s-ryw-%d@example.org"}', counter, prefix, counter)
    return wrk.format("POST", "/users", { ["Content-Type"] = "application/json" }, body)
  end
  if method == "POST" then
    counter = counter + 1
    local body = string.format('{"name":"Bench %d","email":"%s-%d@example.org"}', counter, prefix, counter)
    return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
  end
  if token then
    return wrk.format("GET", nil, { ["Consistency-Token"] = token })
  end
  return wrk.format("GET")
end

-- RYW: a create's answer names the next read; a read's answer says which node served it (X-Read-Route)
function response(status, headers, body)
  if method ~= "RYW" then
    return
  end
  if status == 201 then
    local location = headers["Location"] or ""
    pending_read = { id = string.match(location, "(%d+)$"), token = headers["Consistency-Token"] or "" }
  elseif status == 200 then
    local route = headers["X-Read-Route"] or ""
    if string.find(route, "^replica") then
      reads_replica = reads_replica + 1
    elseif string.find(route, "^primary") then
      reads_primary = reads_primary + 1
    else
      reads_other = reads_other + 1
    end
  end
end

-- pacing: every connection waits its share of the target rate between requests, drawn at random (Poisson
-- arrivals), so that the connections do not fall into step and arrive in bursts after any hiccup
function delay()
  if rate > 0 then
    return -math.log(1 - math.random()) * connections * 1000 / rate
  end
  return 0
end

function done(summary, latency, requests)
  if method == "RYW" then
    local replica, primary, other = 0, 0, 0
    for _, thread in ipairs(threads) do
      replica = replica + thread:get("reads_replica")
      primary = primary + thread:get("reads_primary")
      other = other + thread:get("reads_other")
    end
    io.write(string.format("ROUTES %d %d %d\n", replica, primary, other))
  end
  local e = summary.errors
  io.write(string.format("BENCH %d %.3f %d %.3f %.3f %.3f\n", summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000))
end
