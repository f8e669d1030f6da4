# The local runner's monitoring (sourced by local.sh; issue #22, docs/operations.md "Monitoring"): one Prometheus
# on 127.0.0.1 that scrapes every hop, and the exporters it needs, as processes beside the nodes. They are not nodes:
# nodes() is what the failure tests kill, freeze and count; `./balance up` starts these after the nodes, and a
# monitoring process that cannot start is reported, never a failed up.
#
# Settings (environment):
#   BALANCE_MONITORING            [on]  off: up starts none of it (down still stops what runs)
#   BALANCE_MONITORING_INTERVAL   [2s]  Prometheus' scrape and rule evaluation interval
#   BALANCE_MONITORING_RETENTION  [6h]  Prometheus' data under $BALANCE_HOME/monitoring/data
#   ports (plus BALANCE_PORT_OFFSET): Prometheus 9190, the nginx exporter
#   9192, postgres_exporter 9194 (service-db-1), 9195 (service-db-2), 9196 (service-db-replica), nginx's
#   status listener 9197 (stub_status for the exporter, /metrics: the answers nginx counts itself, nginx/edge_metrics.lua;
#   nginx itself listens: not 9191, render.sh's default, which an nginx rendered by hand takes)
# The ops page (monitoring/ops/, charts drawn with uPlot from the npm registry) is served by Prometheus itself, at /user/
# (--web.user-assets): same origin as its API, so its CORS is narrowed to that origin (the default lets any site read it).

prometheus_port=$((9190 + offset))
nginx_exporter_port=$((9192 + offset))
monitoring_dir=$BALANCE_HOME/monitoring
ops_url=http://127.0.0.1:$prometheus_port/user/
uplot_version=1.6.32   # the ops page's chart library (npm), in monitoring/ops/node_modules; a new pin is installed at up

monitors() { # the monitoring processes, in start order (Prometheus last: its targets answer from its first scrape)
  echo pg-exporter-service-db-1 pg-exporter-service-db-2 pg-exporter-service-db-replica nginx-exporter prometheus
}
pg_exporter_port() { case "$1" in service-db-1) echo $((9194 + offset)) ;; service-db-2) echo $((9195 + offset)) ;; service-db-replica) echo $((9196 + offset)) ;; esac; }
pg_node_port() { if [ "$1" = service-db-replica ]; then echo "$replica_port"; else member_pg_port "$1"; fi; }
monitor_program() {
  case "$1" in
    pg-exporter-*) echo prometheus-postgres-exporter ;;
    nginx-exporter) echo prometheus-nginx-exporter ;;
    *) echo "$1" ;;
  esac
}
monitor_address() {
  case "$1" in
    pg-exporter-*) echo "127.0.0.1:$(pg_exporter_port "${1#pg-exporter-}")" ;;
    nginx-exporter) echo "127.0.0.1:$nginx_exporter_port" ;;
    prometheus) echo "127.0.0.1:$prometheus_port" ;;
  esac
}
monitor_pid() { # the PID of a monitoring process, if its pidfile names a process that still runs its program
  local pid
  pid=$(head -n 1 "$run/$1.pid" 2>/dev/null) && [ -n "$pid" ] || return 1
  alive "$pid" && [ "$(readlink "/proc/$pid/exe" 2>/dev/null | xargs -r basename)" = "$(monitor_program "$1")" ] || return 1
  echo "$pid"
}

monitoring_deps() { # deps(): the packages' commands (Debian bookworm's prometheus includes promtool)
  command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v prometheus-postgres-exporter >/dev/null 2>&1 || missing+=(prometheus-postgres-exporter)
  command -v prometheus-nginx-exporter >/dev/null 2>&1 || missing+=(prometheus-nginx-exporter)
}
# Debian's packages enable and start their own service on install (Prometheus on :9090, the exporters on theirs):
# a policy-rc.d that denies every start for the duration of the install (unless one is there already), and the
# units just installed left disabled. The runner starts its own processes, on its own ports.
monitoring_install() { # monitoring_install PACKAGE...
  local made=false units
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# balance: no service starts during this install (infra/balance/monitoring.sh)\nexit 101\n' |
      sudo_if_needed tee /usr/sbin/policy-rc.d >/dev/null
    sudo_if_needed chmod 755 /usr/sbin/policy-rc.d; made=true
  fi
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null || {
    [ "$made" = false ] || sudo_if_needed rm -f /usr/sbin/policy-rc.d; return 1; }
  [ "$made" = false ] || sudo_if_needed rm -f /usr/sbin/policy-rc.d
  units=$(for p in "$@"; do case "$p" in prometheus|prometheus-*) echo "$p.service" ;; esac; done)
  # shellcheck disable=SC2086
  [ -z "$units" ] || ! [ -d /run/systemd/system ] || sudo_if_needed systemctl disable --now $units >/dev/null 2>&1 || true
}

monitoring_on() { [ "${BALANCE_MONITORING:-on}" != off ]; }

# Prometheus' configuration from monitoring/render.sh with this topology's addresses
render_monitoring() {
  local i users="" pg="" node
  for i in $(seq 1 "$instances"); do users+="users-backend-$i=127.0.0.1:$(management_port "users-backend-$i") "; done
  for node in service-db-1 service-db-2 service-db-replica; do pg+="$node=127.0.0.1:$(pg_exporter_port "$node") "; done
  PROMETHEUS_SCRAPE_INTERVAL=${BALANCE_MONITORING_INTERVAL:-2s} \
  PROMETHEUS_SELF_TARGETS="prometheus=127.0.0.1:$prometheus_port" USERS_TARGETS=$users \
  HAPROXY_TARGETS="haproxy=127.0.0.1:$stats_port" NGINX_EXPORTER_TARGETS="nginx=127.0.0.1:$nginx_exporter_port" \
  NGINX_ACCESS_TARGETS="nginx=127.0.0.1:$nginx_status_port" POSTGRES_TARGETS=$pg \
  PATRONI_TARGETS="service-db-1=127.0.0.1:$(member_api_port service-db-1) service-db-2=127.0.0.1:$(member_api_port service-db-2)" \
  ETCD_TARGETS="etcd=127.0.0.1:$etcd_port" \
  USERS_BUDGET_PRIMARY_MAX_CONNECTIONS=$(budget_value USERS_BUDGET_PRIMARY_MAX_CONNECTIONS) \
  USERS_BUDGET_PRIMARY_RESERVED=$(budget_value USERS_BUDGET_PRIMARY_RESERVED) \
  USERS_BUDGET_REPLICA_MAX_CONNECTIONS=$(budget_value USERS_BUDGET_REPLICA_MAX_CONNECTIONS) \
  USERS_BUDGET_REPLICA_RESERVED=$(budget_value USERS_BUDGET_REPLICA_RESERVED) \
    "$root/monitoring/render.sh" "$1"
}
budget_value() { if [ -n "${!1:-}" ]; then echo "${!1}"; else sed -n "s/^$1=//p" "$root/infra/balance/budget.env" | tail -n 1; fi; }

# The ops page into the directory Prometheus serves at /user/: monitoring/ops/ and uPlot's script and style, installed
# from the npm registry at the pinned version (again when the pin changes), and settings.json (the scrape interval).
render_ops_page() {
  local src=$root/monitoring/ops out=$monitoring_dir/ops installed interval
  installed=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' \
    "$src/node_modules/uplot/package.json" 2>/dev/null || true)
  if [ "$installed" != "$uplot_version" ]; then
    command -v npm >/dev/null 2>&1 || die "ops page: npm is needed to install uPlot (./balance deps installs it)"
    log "ops page: installing uplot@$uplot_version from the npm registry into monitoring/ops/node_modules"
    mkdir -p "$logs_dir"
    npm install --no-audit --no-fund --prefix "$src" "uplot@$uplot_version" >>"$logs_dir/ops-page.log" 2>&1 \
      || die "ops page: npm could not install uplot@$uplot_version: $(tail -n 2 "$logs_dir/ops-page.log" | tr '\n' ' ')"
  fi
  mkdir -p "$out"
  cp "$src/index.html" "$src/ops.js" "$src/ops.css" "$src/charts.json" \
    "$src/node_modules/uplot/dist/uPlot.iife.min.js" "$src/node_modules/uplot/dist/uPlot.min.css" "$out/"
  # (the page's rate window and step follow the scrape interval; a duration it cannot read: 2 s, the default)
  interval=${BALANCE_MONITORING_INTERVAL:-2s}
  case "$interval" in
    *ms) interval=$(awk -v v="${interval%ms}" 'BEGIN { print v / 1000 }') ;;
    *s) interval=${interval%s} ;;
    *m) interval=$(awk -v v="${interval%m}" 'BEGIN { print v * 60 }') ;;
  esac
  [[ "$interval" =~ ^[0-9]+(\.[0-9]+)?$ ]] || interval=2
  printf '{"scrape_interval_seconds": %s, "refresh_seconds": 5}\n' "$interval" > "$out/settings.json"
}
ops_page_ready() { [ -f "$monitoring_dir/ops/index.html" ] && [ -f "$monitoring_dir/ops/uPlot.iife.min.js" ]; }

stop_monitor() { # stop_monitor NAME PID
  kill -TERM "$2" 2>/dev/null || true
  for _ in $(seq 1 100); do alive "$2" || break; sleep 0.1; done
  kill -KILL "$2" 2>/dev/null || true
  rm -f "$run/$1.pid"
}

start_monitor() {
  local name=$1 node pid
  if pid=$(monitor_pid "$name"); then
    if [ "$name" != prometheus ]; then return 0; fi
    # a Prometheus started before the ops page (without its flags) is started again; a running one takes a changed
    # configuration or rules on SIGHUP
    if tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qxF -- "--web.user-assets=$monitoring_dir/ops"; then
      render_monitoring "$monitoring_dir"; kill -HUP "$pid"; return 0
    fi
    log "prometheus: started again, to serve the ops page"
    stop_monitor "$name" "$pid"
  fi
  case "$name" in
    pg-exporter-*)
      node=${name#pg-exporter-}
      # (the flags: monitoring/exporter.sh, shared with the compose stack; the monitoring role over loopback)
      DATA_SOURCE_NAME="postgresql://users_monitor:$USERS_MONITOR_PASSWORD@127.0.0.1:$(pg_node_port "$node")/users?sslmode=disable&connect_timeout=1&application_name=postgres_exporter" \
        spawn "$name" "$root/monitoring/exporter.sh" postgres "$(monitor_address "$name")" ;;
    nginx-exporter)
      spawn "$name" "$root/monitoring/exporter.sh" nginx "$(monitor_address "$name")" \
        "http://127.0.0.1:$nginx_status_port/stub_status" ;;
    prometheus)
      render_monitoring "$monitoring_dir"
      # (the ops page at /user/; cross-origin reads of the API only from its own origin)
      mkdir -p "$monitoring_dir/ops"
      spawn "$name" prometheus --config.file="$monitoring_dir/prometheus.yml" \
        --web.listen-address="$(monitor_address "$name")" --storage.tsdb.path="$monitoring_dir/data" \
        --storage.tsdb.retention.time="${BALANCE_MONITORING_RETENTION:-6h}" \
        --web.user-assets="$monitoring_dir/ops" --web.cors.origin="https?://(127\.0\.0\.1|localhost):$prometheus_port" ;;
  esac
  local path=/metrics deadline=$((SECONDS + 20)); [ "$name" != prometheus ] || path=/-/ready
  until http_ok "http://$(monitor_address "$name")$path" 2>/dev/null; do
    # a process that exited (a port taken, a bad flag) says why at once, from the end of its log
    # (its PID alone: exporter.sh becomes the exporter a moment after the start)
    alive "$(head -n 1 "$run/$name.pid")" || die "$name exited: $(tail -n 2 "$logs_dir/$name.log" | tr '\n' ' ')"
    [ $SECONDS -lt $deadline ] || die "$name: not answering after 20 s (./balance logs $name)"
    sleep 0.2
  done
}

# up's last step: every monitoring process. Its failure is reported and leaves the topology as it is (returns 1).
start_monitoring() {
  monitoring_on || { log "monitoring off (BALANCE_MONITORING=off)"; return 0; }
  local name failed=""
  touch "$logs_dir/nginx-access.log"
  # the ops page first: Prometheus serves it from its first answer
  ( render_ops_page ) || failed+="ops-page "
  for name in $(monitors); do
    # (wait_for dies: a subshell keeps that from ending up)
    ( start_monitor "$name" ) || failed+="$name "
  done
  if [ -n "$failed" ]; then
    log "monitoring: NOT started: ${failed% } (./balance logs NAME); the topology is up without it"
    return 1
  fi
  log "monitoring up: Prometheus http://127.0.0.1:$prometheus_port/ (targets: /targets, alerts: /alerts), ops page $ops_url"
}

stop_monitoring() {
  local name pid
  for name in $(monitors | tr ' ' '\n' | tac); do
    pid=$(monitor_pid "$name") || continue
    stop_monitor "$name" "$pid"
  done
}

monitoring_status() { # status(): the monitoring processes, indented under their own heading (not in the node table,
  # which the tests and the soak read as the topology), and Prometheus' count of the targets that answer
  local name pid state targets
  echo "monitoring ($(monitoring_on && echo "Prometheus http://127.0.0.1:$prometheus_port/, ops page $ops_url" || echo "off: BALANCE_MONITORING=off")):"
  for name in $(monitors); do
    if pid=$(monitor_pid "$name"); then state=up; else pid=-; state=down; fi
    printf '  %-31s %-8s %-7s %s\n' "$name" "$pid" "$state" "$(monitor_address "$name")"
  done
  if ops_page_ready; then echo "  ops page: $ops_url (uPlot $uplot_version)"
  else echo "  ops page: not rendered (./balance up renders it into $monitoring_dir/ops)"; fi
  targets=$(prometheus_value 'count(up == 1) or vector(0)') || return 0
  echo "  targets answering: $targets of $(prometheus_value 'count(up)'); alerts firing: $(prometheus_value 'count(ALERTS{alertstate="firing"}) or vector(0)')"
}

# ./balance top [--once]: infra/balance/top.py against this runner's Prometheus (its address, the scrape interval, the
# instance count: the rows it draws even when their series are missing)
top_view() {
  exec python3 "$root/infra/balance/top.py" --prometheus "http://127.0.0.1:$prometheus_port" --instances "$instances" \
    --interval "${BALANCE_MONITORING_INTERVAL:-2s}" "$@"
}

prometheus_value() { # prometheus_value QUERY: the value of a query of one result
  curl -fsS --max-time 2 "http://127.0.0.1:$prometheus_port/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])' 2>/dev/null
}

# nginx/edge_metrics.lua in an nginx of its own on a free loopback port, loaded as the topology's nginx loads it (by
# the master; workers of another account): known answers in, the /metrics they must give out. A 101 is counted but
# kept out of the request times, a slow answer lands in its bucket, the status listener's own requests count nowhere.
check_edge_metrics() {
  local dir port out expected
  dir=$(mktemp -d); chmod 755 "$dir"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat > "$dir/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
daemon off;
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 64; }
http {
    access_log off;
    lua_package_path "$root/nginx/?.lua;;";
    include $root/nginx/edge-metrics.conf;
    server {
        listen 127.0.0.1:$port;
        location = /ok { return 200 ok; }
        location = /missing { return 404; }
        location = /failed { return 503; }
        location = /switching { return 101; }
        location = /slow { content_by_lua_block { ngx.sleep(0.06) ngx.say("slow") } }
        location = /metrics { log_by_lua_block { return } content_by_lua_block { require("edge_metrics").export() } }
    }
}
CONF
  nginx -p "$dir" -c "$dir/nginx.conf" & local pid=$!
  for _ in $(seq 1 50); do curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/ok" 2>/dev/null && break; sleep 0.1; done
  # (curl waits on a 101 for the protocol it switched to: its time runs out, the answer is counted by then)
  for path in ok missing failed switching slow metrics; do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/$path" || true; done
  out=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/metrics" || true)
  kill "$pid"; wait "$pid" 2>/dev/null
  [ -n "$out" ] || die "nginx/edge_metrics.lua: no /metrics from a test nginx"$'\n'"$(tail -n 5 "$dir/error.log")"
  rm -rf "$dir"
  expected='nginx_access_request_time_seconds_bucket{le="+Inf"} 5
nginx_access_request_time_seconds_bucket{le="0.025"} 4
nginx_access_request_time_seconds_bucket{le="0.05"} 4
nginx_access_request_time_seconds_bucket{le="0.1"} 5
nginx_access_request_time_seconds_count 5
nginx_access_requests_total{status_class="1xx"} 1
nginx_access_requests_total{status_class="2xx"} 3
nginx_access_requests_total{status_class="3xx"} 0
nginx_access_requests_total{status_class="4xx"} 1
nginx_access_requests_total{status_class="5xx"} 1'
  [ "$(grep -F -e 'le="+Inf"' -e 'le="0.025"' -e 'le="0.05"' -e 'le="0.1"' -e '_count' -e 'requests_total{' <<<"$out" | sort)" = "$expected" ] \
    || die "nginx/edge_metrics.lua: known answers gave"$'\n'"$out"$'\n'"expected"$'\n'"$expected"
  echo "nginx/edge_metrics.lua: known answers counted as expected (in a real nginx)"
}

# ./balance test: Prometheus' configuration (rendered with this runner's addresses), the rules and their unit tests,
# nginx's answer counts (nginx/edge_metrics.lua) in a real nginx, and the staleness bound the rules compare with.
check_monitoring() {
  local dir
  dir=$(mktemp -d)
  render_monitoring "$dir"
  promtool check config "$dir/prometheus.yml"
  rm -rf "$dir"
  (cd "$root/monitoring" && promtool check rules alerts.yml budget.test-rules.yml && promtool test rules alerts.test.yml)
  check_edge_metrics
  # ReplicaDataTooOld's bound is the service's staleness bound
  local bound
  bound=$(sed -nE 's/^users\.read\.max-staleness=\$\{USERS_READ_MAX_STALENESS:([0-9]+)s\}$/\1/p' "$root/users-service/src/main/resources/application.properties")
  grep -q "expr: pg_replica_heartbeat_age_seconds > $bound\$" "$root/monitoring/alerts.yml" \
    || die "monitoring/alerts.yml: ReplicaDataTooOld must compare with users.read.max-staleness ($bound s)"
  echo "ReplicaDataTooOld: bound ${bound} s, as users.read.max-staleness"
  check_top
  check_alert_history
  check_ops_page
}

# The ops page without a browser (MonitoringIT draws it in Chromium): its files are there, its script parses, and every
# query of monitoring/ops/charts.json, expanded as ops.js expands it, is PromQL that promtool accepts (written as
# recording rules: promtool parses a query on its own only against a server).
check_ops_page() {
  local src=$root/monitoring/ops dir n file
  for file in index.html ops.js ops.css charts.json; do [ -s "$src/$file" ] || die "monitoring/ops/$file is missing"; done
  node --check "$src/ops.js" || die "monitoring/ops/ops.js does not parse"
  dir=$(mktemp -d)
  n=$(python3 - "$src/charts.json" "$src/ops.js" "$dir/ops-rules.yml" <<'PY'
import json, re, sys
charts = json.load(open(sys.argv[1]))["charts"]
api = re.search(r"replaceAll\('\$api', '([^']*)'\)", open(sys.argv[2]).read())
if not api:
    sys.exit("ops.js: no expansion of $api found")
ids = [c["id"] for c in charts]
if len(set(ids)) != len(ids):
    sys.exit("charts.json: a chart id used twice: %s" % ids)
n = 0
with open(sys.argv[3], "w") as out:
    out.write("groups:\n  - name: ops-page\n    rules:\n")
    for chart in charts:
        for i, series in enumerate(chart["series"]):
            query = series["query"].replace("$window", "10s").replace("$api", api.group(1))
            out.write("      - record: ops_page:%s:%d\n        expr: %s\n" % (chart["id"].replace("-", "_"), i, json.dumps(query)))
            n += 1
print(n)
PY
  ) || { rm -rf "$dir"; die "monitoring/ops/charts.json: not read"; }
  if ! promtool check rules "$dir/ops-rules.yml" >/dev/null 2>&1; then
    promtool check rules "$dir/ops-rules.yml" >&2 || true; rm -rf "$dir"
    die "monitoring/ops/charts.json: a query promtool refuses (above)"
  fi
  rm -rf "$dir"
  echo "ops page: its files there, ops.js parses, the $n queries of charts.json are PromQL"
}

# The alert history a demo prints (alert-history.py), from ALERTS answers (monitoring/testdata/alerts-*.json): exactly
# the lines beside each (alerts-*.txt). A real leader-killed demo's, kept with --record; one composed for the cases it
# lacks: fired twice (a gap in one series), firing with no pending stretch, still firing at the end. No Prometheus: exit 1.
check_alert_history() {
  local n
  n=$(check_replays alert-history.py alerts 2) || exit 1
  if python3 "$root/infra/balance/alert-history.py" --prometheus http://127.0.0.1:1 --start 0 --end 1 2>/dev/null; then
    die "alert-history.py: no error without a Prometheus"
  fi
  echo "alert history: $n recorded histories printed as expected; no Prometheus: an error, exit 1"
}

# ./balance top draws, from Prometheus' answers recorded with `top.py --once --record` (monitoring/testdata/top-*.json),
# exactly the frame beside each (top-*.txt): a row missing, a figure moved or a crash on a missing series fails. top-empty
# is every answer empty (each row with "-"). And a Prometheus that does not answer: --once says so and fails.
check_top() {
  local out n
  n=$(check_replays top.py top 3) || exit 1
  if out=$(python3 "$root/infra/balance/top.py" --once --prometheus http://127.0.0.1:1 2>&1); then
    die "./balance top --once: no error without a Prometheus"
  fi
  grep -q "BALANCE_MONITORING=off" <<<"$out" || die "./balance top --once without a Prometheus said: $out"
  echo "./balance top: $n recorded frames drawn as expected; no Prometheus: an error, exit 1"
}

# check_replays SCRIPT PREFIX MIN: each monitoring/testdata/PREFIX-*.json replayed by infra/balance/SCRIPT (--replay,
# in UTC) must print exactly the PREFIX-*.txt beside it; at least MIN of them. Prints how many.
check_replays() {
  local script=$1 prefix=$2 min=$3 fixture out n=0
  for fixture in "$root"/monitoring/testdata/"$prefix"-*.json; do
    out=$(TZ=UTC python3 "$root/infra/balance/$script" --replay "$fixture") || die "$script --replay $fixture failed"
    diff -u "${fixture%.json}.txt" <(printf '%s\n' "$out") >&2 \
      || die "$script: ${fixture#"$root"/} gave other lines than $(basename "${fixture%.json}.txt") beside it (above)"
    n=$((n + 1))
  done
  [ "$n" -ge "$min" ] || die "monitoring/testdata: expected at least $min recorded $prefix-*.json, found $n"
  echo "$n"
}
