-- nginx's answers counted for Prometheus (docs/operations.md, "Monitoring"), in nginx itself: nginx's stub_status has
-- no status codes, and a log-tailing exporter (mtail, before) cost ~11 µs of CPU a line and, measured, 6-10 % of the
-- topology's throughput under load; this costs nginx a few µs a request. Loaded once by the master
-- (edge-metrics.conf's init_by_lua_block: the workers, another account, may not read the checkout), so every
-- worker has it. Counts live in the shared dict edge_metrics, for all workers:
--   c<class>  answers by status class, 1 to 5 (a request never answered, status 0, counts nowhere)
--   b<index>  request times by bucket (BOUNDS; 12: above the last), and sum: a WebSocket's 101 is left out, its
--             request time is the socket's lifetime
-- The names it serves are the ones the alert rules, ./balance top and the ops page read:
--   nginx_access_requests_total{status_class}  every answer nginx gave, by class (1xx ... 5xx): the 5xx ratio
--   nginx_access_request_time_seconds          nginx's request_time, a histogram (the API's p99 at the edge)
local edge_metrics = {}

local BOUNDS = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 }
local BOUND_LABELS = { "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10" }

local function bucket_of(seconds)
  for index = 1, #BOUNDS do
    if seconds <= BOUNDS[index] then return index end
  end
  return #BOUNDS + 1
end

-- the log phase of every request on the API's listeners
function edge_metrics.count()
  local status = ngx.status
  if status < 100 or status > 599 then return end
  local metrics = ngx.shared.edge_metrics
  local class = (status - status % 100) / 100
  metrics:incr("c" .. class, 1, 0)
  if class == 1 then return end
  local seconds = tonumber(ngx.var.request_time) or 0
  metrics:incr("b" .. bucket_of(seconds), 1, 0)
  metrics:incr("sum", seconds, 0)
end

-- the status listener's /metrics, in Prometheus' text format
function edge_metrics.export()
  local metrics = ngx.shared.edge_metrics
  local out = {
    "# HELP nginx_access_requests_total Answers nginx gave on the API's listeners, by status class.",
    "# TYPE nginx_access_requests_total counter",
  }
  for class = 1, 5 do
    out[#out + 1] = string.format('nginx_access_requests_total{status_class="%dxx"} %d', class,
      metrics:get("c" .. class) or 0)
  end
  out[#out + 1] = "# HELP nginx_access_request_time_seconds nginx's request_time of its answers (101 left out)."
  out[#out + 1] = "# TYPE nginx_access_request_time_seconds histogram"
  local cumulative = 0
  for index, label in ipairs(BOUND_LABELS) do
    cumulative = cumulative + (metrics:get("b" .. index) or 0)
    out[#out + 1] = string.format('nginx_access_request_time_seconds_bucket{le="%s"} %d', label, cumulative)
  end
  cumulative = cumulative + (metrics:get("b" .. (#BOUNDS + 1)) or 0)
  out[#out + 1] = string.format('nginx_access_request_time_seconds_bucket{le="+Inf"} %d', cumulative)
  out[#out + 1] = string.format("nginx_access_request_time_seconds_sum %.3f", metrics:get("sum") or 0)
  out[#out + 1] = string.format("nginx_access_request_time_seconds_count %d", cumulative)
  ngx.header["Content-Type"] = "text/plain; version=0.0.4"
  ngx.print(table.concat(out, "\n"), "\n")
end

return edge_metrics
