-- wrk script for ./balance bench. Environment:
--   BENCH_METHOD  GET (default) or POST: POST /users with a unique email per request
--   BENCH_RATE    requests/s to pace the whole run at (0: as fast as the connections go)
--   BENCH_CONNECTIONS  the -c given to wrk (for the pacing)
-- done() prints one line the bench parses:
--   BENCH requests seconds errors p50_ms p99_ms p99.9_ms
local method = os.getenv("BENCH_METHOD") or "GET"
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local connections = tonumber(os.getenv("BENCH_CONNECTIONS") or "1")
local counter = 0
local prefix

function setup(thread)
  thread:set("id", math.random(1, 1e9))
end

function init(args)
  prefix = string.format("bench-%d-%d", os.time(), id or math.random(1, 1e9))
end

function request()
  if method == "POST" then
    counter = counter + 1
    local body = string.format('{"name":"Bench %d","email":"%s-%d@example.org"}', counter, prefix, counter)
    return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
  end
  return wrk.format("GET")
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
  local e = summary.errors
  io.write(string.format("BENCH %d %.3f %d %.3f %.3f %.3f\n", summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000))
end
