-- wrk script of ./balance bench (infra/balance/bench.sh). Settings, from the environment:
--   BENCH_METHOD  GET (default): GET of the URL's path, or with BENCH_IDS of /users/{a random id};
--                 POST: POST /users with a unique email per request;
--                 RYW: each connection creates a user (POST /users), then reads it at once with the create's
--                 Consistency-Token (read-your-writes), and again; counts which node served those reads
--   BENCH_IDS     LO-HI: GET picks the id of each request at random in [LO, HI]
--   BENCH_TOKEN   a Consistency-Token header to send with every GET (GET mode)
--   BENCH_RATE    requests/s to pace the whole run at (0: as fast as the connections go)
--   BENCH_CONNECTIONS  the -c given to wrk (for the pacing)
-- done() prints one line the bench records, fields separated by tabs:
--   BENCH rate duration_ms requests errors p50_ms p99_ms p99.9_ms replica_reads primary_reads
-- (the last two are "-" except in RYW mode).
local method = os.getenv("BENCH_METHOD") or "GET"
local rate = tonumber(os.getenv("BENCH_RATE") or "0") or 0
local connections = tonumber(os.getenv("BENCH_CONNECTIONS") or "1") or 1
local token = os.getenv("BENCH_TOKEN")
if token == "" then
  token = nil
end
local low, high = string.match(os.getenv("BENCH_IDS") or "", "^(%d+)-(%d+)$")
low, high = tonumber(low), tonumber(high)
local counter = 0
local prefix
local threads = {}
-- RYW: what the next request of this thread is (one create, then its read)
local pending_read = nil
-- globals, not locals: done() reads each thread's counters with thread:get
reads_replica, reads_primary, reads_other = 0, 0, 0

function setup(thread)
  thread:set("id", math.random(1, 1e9))
  table.insert(threads, thread)
end

function init(args)
  -- each thread its own sequence of ids (the Lua states start with the same seed)
  math.randomseed((id or 1) + os.time())
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
    return wrk.format("POST", "/users", { ["Content-Type"] = "application/json" }, body)
  end
  local path = nil
  if low then
    path = "/users/" .. math.random(low, high)
  end
  if token then
    return wrk.format("GET", path, { ["Consistency-Token"] = token })
  end
  return wrk.format("GET", path)
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
  local replica, primary = "-", "-"
  if method == "RYW" then
    local r, p = 0, 0
    for _, thread in ipairs(threads) do
      r = r + thread:get("reads_replica")
      p = p + thread:get("reads_primary")
    end
    replica, primary = tostring(r), tostring(p)
  end
  local e = summary.errors
  io.write(string.format("BENCH\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t%s\t%s\n", rate, math.floor(summary.duration / 1000),
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, replica, primary))
end
