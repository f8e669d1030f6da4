# ./balance bench (sourced by ./balance after local.sh, whose functions and ports it uses): what the read/write
# split and each hop cost, measured side by side in one sitting on this machine, written to docs/benchmarks.md
# with charts. Numbers in that file come from the run, never by hand. Not a test: nothing here passes or fails
# except the run itself.
#
# Protocol (docs/benchmarks.md says it too): fixed runs of BENCH_SECONDS at BENCH_CONNECTIONS; a path's steady figure is
# the last of runs repeated until two in a row differ by under 5% (at most BENCH_MAX_RUNS); the cold figure is
# the first run after the instances started. Ratios are against pgbench -S -M prepared on the replica, at the
# same concurrency, in the same sitting.
#
# Settings: BENCH_SECONDS [15]  BENCH_CONNECTIONS [32]  BENCH_MAX_RUNS [8]  BENCH_WARMUP_RUNS [8]  BENCH_OUT [docs]

bench_seconds=${BENCH_SECONDS:-15}
bench_connections=${BENCH_CONNECTIONS:-32}
bench_max_runs=${BENCH_MAX_RUNS:-8}
bench_warmup_runs=${BENCH_WARMUP_RUNS:-8}
bench_out=${BENCH_OUT:-$root/docs}
bench_lua=$root/infra/balance/bench/wrk-report.lua
bench_direct_port=$((8090 + offset))    # an instance whose read datasource skips HAProxy
bench_startup_port=$((8091 + offset))   # fresh instances, timed from exec to the first 200
bench_direct_management=$((9090 + offset))   # their management interfaces (health)
bench_startup_management=$((9091 + offset))
ticks_per_second=$(getconf CLK_TCK)
# the JVM options before this benchmark's tuning, measured beside the current ones
bench_baseline_opts="-XX:+UseSerialGC -Xms32m -Xmx128m"

bench_deps() {
  command -v wrk >/dev/null 2>&1 || { log "installing wrk"; sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
}

busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# The CPU the machine spent while COMMAND ran, minus COMMAND's own (the load generator's): "seconds" on stdout's
# last line, COMMAND's output before it.
with_cpu() {
  local before after
  before=$(busy_ticks)
  { "$@"; times; } | awk -v tck="$ticks_per_second" -v before="$before" -v after_file=/proc/stat '
    # the second line of `times` is the children: the load generator
    /^[0-9]+m[0-9.]+s [0-9]+m[0-9.]+s$/ { n++; if (n == 2) { split($1, u, /[ms]/); split($2, s, /[ms]/);
      own = u[1] * 60 + u[2] + s[1] * 60 + s[2] } ; next }
    { print }
    END { while ((getline line < after_file) > 0) if (line ~ /^cpu /) { split(line, f, " ");
            busy = f[2] + f[3] + f[4] + f[7] + f[8] + f[9]; break }
          printf "CPU %.3f\n", (busy - before) / tck - own }'
}

# wrk_once URL [METHOD] [RATE] -> "rps requests errors p50 p99 p99.9 cpu_ms_per_request"
#   (METHOD RYW adds "reads_on_replica reads_on_primary"; BENCH_TOKEN, when set, goes with every GET)
wrk_once() {
  local url=$1 method=${2:-GET} rate=${3:-0}
  BENCH_METHOD=$method BENCH_RATE=$rate BENCH_CONNECTIONS=$bench_connections BENCH_TOKEN=${BENCH_TOKEN:-} \
    with_cpu wrk -t2 -c"$bench_connections" -d"${bench_seconds}s" --timeout 5s -s "$bench_lua" "$url" \
  | awk '/^BENCH / { req = $2; secs = $3; err = $4; p50 = $5; p99 = $6; p999 = $7 }
         /^ROUTES / { routes = sprintf(" %d %d", $2, $3) }
         /^CPU / { cpu = $2 }
         END { if (!req) exit 1; printf "%.0f %d %d %.2f %.2f %.2f %.3f%s\n", req / secs, req, err, p50, p99, p999,
               1000 * cpu / req, routes }'
}

# lag_during COMMAND...: runs COMMAND while sampling the replica's lag as users-backend-1 measures it (GET /db,
# every 200 ms); COMMAND's output, then "LAG p50_ms max_ms samples" on the last line
lag_during() {
  local samples parent=$BASHPID status=0; samples=$(mktemp)
  # its output goes to the file only (a command substitution waits for every writer of its pipe), and it ends with us
  ( while kill -0 "$parent" 2>/dev/null; do curl -fsS --max-time 1 "http://127.0.0.1:$(instance_port users-backend-1)/db" 2>/dev/null \
      | grep -o '"lagSeconds":[0-9.E-]*' | cut -d: -f2 >> "$samples"; sleep 0.2; done ) >/dev/null 2>&1 &
  local sampler=$!
  "$@" || status=$?
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  [ "$status" = 0 ] || { rm -f "$samples"; return "$status"; }
  sort -g "$samples" | awk '{ a[NR] = $1 * 1000 } END { if (NR) printf "LAG %.0f %.0f %d\n", a[int((NR + 1) / 2)], a[NR], NR;
    else print "LAG - - 0" }'
  rm -f "$samples"
}

# pgbench_once -> the same fields, for pgbench -S -M prepared on the replica (latencies from its per-transaction log)
pgbench_once() {
  local logdir
  logdir=$(mktemp -d)
  (cd "$logdir" && PGPASSWORD=$PG_SUPERUSER_PASSWORD with_cpu pgbench -h 127.0.0.1 -p "$replica_port" -U postgres \
      -S -M prepared -c "$bench_connections" -j 2 -T "$bench_seconds" -l --log-prefix=tx bench 2>/dev/null) \
    | awk '/^number of transactions actually processed/ { split($0, a, ": "); split(a[2], b, "/"); req = b[1] }
           /^tps = / { tps = $3 } /^CPU / { cpu = $2 } END { printf "%.0f %d 0 CPU=%.6f\n", tps, req, cpu / req * 1000 }' \
    > "$logdir/summary"
  # per transaction: client id, transaction no, latency in microseconds, ...
  cat "$logdir"/tx.* | awk '{ print $3 / 1000 }' | sort -n > "$logdir/latencies"
  local n p50 p99 p999
  n=$(wc -l < "$logdir/latencies")
  p50=$(sed -n "$(( (n * 50 + 99) / 100 ))p" "$logdir/latencies")
  p99=$(sed -n "$(( (n * 99 + 99) / 100 ))p" "$logdir/latencies")
  p999=$(sed -n "$(( (n * 999 + 999) / 1000 ))p" "$logdir/latencies")
  awk -v p50="$p50" -v p99="$p99" -v p999="$p999" '{ sub(/CPU=/, "", $4); printf "%s %s %s %.2f %.2f %.2f %.3f\n", $1, $2, $3, p50, p99, p999, $4 }' "$logdir/summary"
  rm -rf "$logdir"
}

# steady NAME COMMAND... : runs COMMAND (a *_once) until two results in a row differ by under 5%; prints every
# run to the log and to $bench_work/runs.tsv, the steady (last) one on stdout
steady() {
  local name=$1; shift
  local run line previous=0 rps
  for run in $(seq 1 "$bench_max_runs"); do
    line=$("$@") || die "bench: $name run $run failed"
    rps=${line%% *}
    printf '%s\t%s\t%s\n' "$name" "$run" "$line" >> "$bench_work/runs.tsv"
    log "$name run $run: $(fields "$line")"
    if [ "$previous" != 0 ] && awk -v a="$previous" -v b="$rps" 'BEGIN { d = (a - b) / a; exit !(d < 0.05 && d > -0.05) }'; then
      break
    fi
    previous=$rps
  done
  echo "$line"
}

fields() { awk '{ printf "%s req/s, %s requests, %s errors, p50 %s ms, p99 %s ms, p99.9 %s ms, %s ms CPU/request", $1, $2, $3, $4, $5, $6, $7 }' <<<"$1"; }

# startup_ms [JAVA OPTIONS...]: a fresh instance, from exec to its first 200 on GET /users/1, in ms
startup_ms() {
  local start pid ms
  start=$(date +%s%N)
  # shellcheck disable=SC2046
  (cd "$app_dir" && exec env $(service_env) USERS_INSTANCE_NAME=bench-startup USERS_HTTP_PORT="$bench_startup_port" \
    setsid java $java_opts "$@" -jar quarkus-run.jar </dev/null >>"$logs_dir/bench-startup.log" 2>&1) &
  pid=$!
  until curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$bench_startup_port/users/1" 2>/dev/null; do
    alive "$pid" || die "bench: the startup instance died (see $logs_dir/bench-startup.log)"
    [ $(( $(date +%s%N) - start )) -lt 60000000000 ] || die "bench: no 200 within 60 s"
    sleep 0.01
  done
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  kill -TERM "$pid"; while alive "$pid"; do sleep 0.05; done
  echo "$ms"
}

# half_peak RATE LABEL: restarts the two instances (with the environment given), warms them up, then three runs
# through nginx paced at RATE; prints the run with the median p99
half_peak() {
  local rate=$1 label=$2 runs=() i line
  export USERS_READ_MAX_LIFETIME
  stop_node users-backend-1; stop_node users-backend-2
  start_node users-backend-1; start_node users-backend-2
  for i in 1 2; do wrk_once "$full" >/dev/null || die "bench: warm-up failed"; done
  for i in 1 2 3; do
    line=$(wrk_once "$full" GET "$rate") || die "bench: paced run failed"
    printf '%s\t%s\t%s\n' "half of peak, $label" "$i" "$line" >> "$bench_work/runs.tsv"
    log "read via nginx at $rate req/s, $label, run $i: $(fields "$line")"
    runs+=("$line")
  done
  printf '%s\n' "${runs[@]}" | sort -n -k5 | sed -n 2p
}

median() { tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

bench() {
  deps
  bench_deps
  build_if_needed
  bench_work=$BALANCE_HOME/bench
  rm -rf "$bench_work"; mkdir -p "$bench_work" "$bench_out/benchmarks"
  up
  load_secrets

  # the ceiling's database: pgbench's tables on the replica's cluster (not replicated, not the app's)
  PGPASSWORD=$PG_SUPERUSER_PASSWORD psql -h 127.0.0.1 -p "$replica_port" -U postgres -d postgres -qAt \
    -c "SELECT 1 FROM pg_database WHERE datname = 'bench'" | grep -q 1 || {
    PGPASSWORD=$PG_SUPERUSER_PASSWORD createdb -h 127.0.0.1 -p "$replica_port" -U postgres bench
    PGPASSWORD=$PG_SUPERUSER_PASSWORD pgbench -h 127.0.0.1 -p "$replica_port" -U postgres -i -s 10 -q bench >/dev/null 2>&1; }

  # cold: the instances start now, and the first run through nginx is their first load
  stop_node users-backend-1; stop_node users-backend-2
  start_node users-backend-1; start_node users-backend-2
  local full=http://127.0.0.1:$nginx_port/users/1
  local cold; cold=$(wrk_once "$full") || die "bench: cold run failed"
  log "cold (first ${bench_seconds} s after start): $(fields "$cold")"
  # then the JIT gets its minutes (a JVM on 2 cores needs 2-4 minutes), so that "two runs in a row
  # within 5%" means steady, not a plateau of the warm-up
  local i
  for i in $(seq 1 "$bench_warmup_runs"); do
    printf '%s\t%s\t%s\n' "warm-up via nginx" "$i" "$(wrk_once "$full")" >> "$bench_work/runs.tsv"
  done

  local read_full read_instance read_direct write_full ceiling no_db
  read_full=$(steady "read via nginx" wrk_once "$full")
  read_instance=$(steady "read via one instance" wrk_once "http://127.0.0.1:$(instance_port users-backend-1)/users/1")
  # the same instance answering without the database: what the framework alone costs
  no_db=$(steady "GET /host on one instance" wrk_once "http://127.0.0.1:$(instance_port users-backend-1)/host")
  # an instance whose read datasource goes straight to the replica: the cost of HAProxy
  # shellcheck disable=SC2046
  (cd "$app_dir" && exec env $(service_env) USERS_READ_JDBC_URL="jdbc:postgresql://127.0.0.1:$replica_port/users" \
    USERS_INSTANCE_NAME=bench-direct USERS_HTTP_PORT="$bench_direct_port" USERS_MANAGEMENT_PORT="$bench_direct_management" \
    setsid java $java_opts $(cds_opts) -jar quarkus-run.jar </dev/null >>"$logs_dir/bench-direct.log" 2>&1) &
  local direct_pid=$!
  wait_for 90 "bench-direct" http_ok "http://127.0.0.1:$bench_direct_management/q/health/ready"
  read_direct=$(steady "read via one instance, replica without HAProxy" wrk_once "http://127.0.0.1:$bench_direct_port/users/1")
  ceiling=$(steady "pgbench -S on the replica" pgbench_once)
  write_full=$(steady "create via nginx" wrk_once "http://127.0.0.1:$nginx_port/users" POST)

  # read consistency (docs/architecture.md): a read with a token the replica has already applied (what the token
  # check costs when it passes at once) against the same read without one; then read-your-writes under write load:
  # each connection creates a user and reads it back at once with the create's token, while users-backend-1
  # reports the replica's lag
  local settled_token read_token ryw_out ryw ryw_lag
  settled_token=$(curl -fsS -D - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"name\":\"Bench token\",\"email\":\"bench-token-$(date +%s%N)@example.org\"}" \
    "http://127.0.0.1:$nginx_port/users" | tr -d '\r' | awk -F': ' 'tolower($1) == "consistency-token" { print $2 }')
  [ -n "$settled_token" ] || die "bench: no Consistency-Token on a create"
  sleep 1 # the replica applies it
  read_token=$(BENCH_TOKEN=$settled_token steady "read via nginx with a token the replica has" wrk_once "$full")
  ryw_out=$(lag_during steady "create, then read it back with its token, via nginx" wrk_once "http://127.0.0.1:$nginx_port/users" RYW) \
    || die "bench: the read-your-writes run failed"
  ryw=$(sed -n 1p <<<"$ryw_out"); ryw_lag=$(grep '^LAG' <<<"$ryw_out")

  # latency at half of the steady read peak, through the whole stack: before the tuning (read connections
  # recycled every 15 s), then as configured now
  local half_rate half half_before
  half_rate=$(( ${read_full%% *} / 2 ))
  half_before=$(USERS_READ_MAX_LIFETIME=15S half_peak "$half_rate" "read connections recycled every 15 s")
  half=$(half_peak "$half_rate" "as configured")

  local rss=() pid
  for pid in $(pid_of users-backend-1) $(pid_of users-backend-2) "$direct_pid"; do rss+=("$(rss_mb "$pid")"); done
  kill -TERM "$direct_pid"; while alive "$direct_pid"; do sleep 0.05; done

  local startup_plain=() startup_cds=() i
  for i in 1 2 3; do
    startup_plain+=("$(startup_ms -Dquarkus.banner.enabled=true)")
    startup_cds+=("$(startup_ms $(cds_opts))")
  done
  local rss_before rss_after nmt_after
  rss_before=$(rss_after_load "$bench_baseline_opts"); rss_before=${rss_before%% *}
  rss_after=$(rss_after_load "$java_opts $(cds_opts)"); nmt_after=$bench_work/nmt-${rss_after##* }.txt; rss_after=${rss_after%% *}

  local failover
  failover=$(demo failover-replica 2>&1; demo failover-primary 2>&1) || true
  echo "$failover" > "$bench_work/failover.txt"

  bench_report
}

# rss_after_load OPTIONS: a fresh instance with these JVM options, driven directly for one run; its RSS in MB then.
# Its native memory summary (where the RSS goes, by the JVM's own accounting) is kept in $bench_work/nmt-*.txt.
rss_after_load() {
  local opts=$1 pid
  # shellcheck disable=SC2046,SC2086
  (cd "$app_dir" && exec env $(service_env) USERS_INSTANCE_NAME=bench-rss USERS_HTTP_PORT="$bench_startup_port" \
    USERS_MANAGEMENT_PORT="$bench_startup_management" \
    setsid java $opts -XX:NativeMemoryTracking=summary -jar quarkus-run.jar </dev/null >>"$logs_dir/bench-rss.log" 2>&1) &
  pid=$!
  wait_for 90 "bench-rss" http_ok "http://127.0.0.1:$bench_startup_management/q/health/ready"
  wrk_once "http://127.0.0.1:$bench_startup_port/users/1" >/dev/null
  jcmd "$pid" VM.native_memory summary > "$bench_work/nmt-$pid.txt" 2>&1 || true
  echo "$(rss_mb "$pid") $pid"
  kill -TERM "$pid"; while alive "$pid"; do sleep 0.05; done
}

# nmt_table FILE: the JVM's committed memory by category, largest first (MB)
nmt_table() {
  awk '/^-/ { sub(/^- */, ""); name = $0; sub(/ *\(.*/, "", name)
              if (match($0, /committed=[0-9]+KB/)) { kb = substr($0, RSTART + 10, RLENGTH - 12); printf "%s\t%.0f\n", name, kb / 1024 } }' "$1" \
    | sort -t$'\t' -k2 -nr | awk -F'\t' '$2 >= 1 { printf "| %s | %s MB |\n", $1, $2 }'
}

# The numbers of the run, as docs/benchmarks.md and two charts. Reads the variables bench() set.
bench_report() {
  local md=$bench_out/benchmarks.md charts=$bench_out/benchmarks ceiling_rps=${ceiling%% *}
  cp "$bench_work/runs.tsv" "$charts/runs.tsv"
  {
    row() { printf '%s\t%s\t%s\n' "$1" "$2" "$(tr ' ' '\t' <<<"$3")"; }
    row pgbench "pgbench -S (replica)" "$ceiling"
    row direct "instance, replica direct" "$read_direct"
    row instance "instance → HAProxy" "$read_instance"
    row host "instance, no DB (/host)" "$no_db"
    row full "nginx → 2 instances" "$read_full"
    row write "POST via nginx" "$write_full"
  } > "$charts/results.tsv"
  gnuplot -e "results='$charts/results.tsv'; outdir='$charts'" "$root/infra/balance/bench/charts.gnuplot"

  ratio() { awk -v a="${1%% *}" -v b="$ceiling_rps" 'BEGIN { printf "%.2f", a / b }'; }
  table_row() { # label result
    awk -v label="$1" -v ratio="$(ratio "$2")" '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", label, $1, ratio, $4, $5, $6, $7, $3 }' <<<"$2"
  }
  met() { awk "BEGIN { exit !($1) }" && echo "**met**" || echo "**not met**"; }
  local full_ratio half_p99 startup_best rss_max cds_median plain_median
  full_ratio=$(ratio "$read_full")
  half_p99=$(awk '{ print $5 }' <<<"$half")
  plain_median=$(median <<<"${startup_plain[*]}")
  cds_median=$(median <<<"${startup_cds[*]}")
  startup_best=$(( cds_median < plain_median ? cds_median : plain_median ))
  rss_max=$(tr ' ' '\n' <<<"${rss[*]}" | sort -n | tail -1)
  failover_value() { grep -m1 -o "$1 [0-9-]* ms" <<<"$failover" | grep -o '[0-9-]* ms' || echo "n/a"; }

  cat > "$md" <<DOC
# Benchmarks

Written by \`./balance bench\` on $(date -u '+%Y-%m-%d %H:%M UTC'); every number on this page comes from that run
(each run of each path: [benchmarks/runs.tsv](benchmarks/runs.tsv)). Run it again to get this machine's numbers.

**Machine:** $(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }'), $(nproc) cores,
$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r), Debian $(cat /etc/debian_version).
$(java -version 2>&1 | head -1), JVM mode (\`$java_opts\`); PostgreSQL $(postgres_version), $(nginx -v 2>&1 | sed 's/.*: //'),
HAProxy $(haproxy -v | awk 'NR == 1 { print $3 }'), $(wrk -v 2>&1 | awk 'NR == 1 { print $1, $2 }').

**Protocol**: wrk with 2 threads and $bench_connections connections for fixed
${bench_seconds}-second runs; the cold figure is the first run after the instances started; then $bench_warmup_runs
unreported runs through nginx warm the JIT up; a path's steady figure is its last run once two runs in a row
differed by under 5% (at most $bench_max_runs runs). The database's
ceiling is \`pgbench -S -M prepared\` against the replica at the same concurrency ($bench_connections clients,
2 threads), in the same sitting. Everything runs on this one machine: the load generator competes with the
system under test for the same $(nproc) cores. CPU per request is the whole machine's busy time during the run,
minus the load generator's own, divided by the requests.

## Throughput and latency

\`GET /users/1\` (a seeded user) on each read path; \`POST /users\` (a new user each time) through the stack.

| path | req/s | × pgbench -S | p50 ms | p99 ms | p99.9 ms | CPU ms/request | errors |
|---|---|---|---|---|---|---|---|
$(table_row "pgbench -S -M prepared, replica (the ceiling)" "$ceiling")
$(table_row "one instance, read datasource straight to the replica" "$read_direct")
$(table_row "one instance → HAProxy :5001 → replica" "$read_instance")
$(table_row "one instance, \`GET /host\` (no database: the framework alone)" "$no_db")
$(table_row "**nginx → 2 instances → HAProxy → replica** (full stack)" "$read_full")
$(table_row "POST /users: nginx → 2 instances → HAProxy :5000 → primary" "$write_full")

![Throughput per path](benchmarks/throughput.png)

![Latency per path](benchmarks/latency.png)

Cold, the first ${bench_seconds} s through nginx after both instances started: $(fields "$cold") —
$(awk -v c="${cold%% *}" -v s="${read_full%% *}" 'BEGIN { printf "%.0f%%", 100 * c / s }') of the steady figure (the JIT is still compiling).

What each hop costs, from the steady figures: HAProxy between an instance and the replica
$(awk -v a="${read_direct%% *}" -v b="${read_instance%% *}" 'BEGIN { printf "%+.0f%%", 100 * (b - a) / a }') throughput;
nginx in front of two instances instead of one instance directly
$(awk -v a="${read_instance%% *}" -v b="${read_full%% *}" 'BEGIN { printf "%+.0f%%", 100 * (b - a) / a }').

## Targets

| target | measured in this run | |
|---|---|---|
| full-stack read ≥ 0.30 × the pgbench -S ceiling | $full_ratio × | $(met "$full_ratio >= 0.30") |
| p99 ≤ 10 ms at half of peak throughput | p99 $half_p99 ms at $(awk '{ print $1 }' <<<"$half") req/s (asked: $half_rate) | $(met "$half_p99 <= 10") |
| JVM startup to the first 200 ≤ 1.5 s | $startup_best ms (median of 3) | $(met "$startup_best <= 1500") |
| RSS ≤ 150 MB per instance after load | $rss_max MB (largest of the instances measured: ${rss[*]} MB) | $(met "$rss_max <= 150") |

## Startup and memory

Startup is timed from \`exec java\` to the first \`200\` of \`GET /users/1\` (so it includes the first database
connection and query), three fresh instances each; medians:

| variant | startup runs (ms) | median |
|---|---|---|
| before tuning: class data sharing for the JDK only, banner on | ${startup_plain[*]} | $plain_median ms |
| as configured: the application's AppCDS archive (\`app-cds.jsa\`, built by \`./mvnw package\`), no banner | ${startup_cds[*]} | $cds_median ms |

Memory after one ${bench_seconds}-second run of load driven straight at a fresh instance:

| JVM options | RSS after load |
|---|---|
| \`$bench_baseline_opts\` (before tuning) | $rss_before MB |
| \`$java_opts $(cds_opts)\` (now the default) | $rss_after MB |

Where that memory is, by the JVM's native memory tracking (committed, the tuned instance after load):

| category | committed |
|---|---|
$(nmt_table "$nmt_after")

## Tuning, before and after (both measured in this run)

| change | before | after |
|---|---|---|
| pooled read connections live 5 minutes instead of 15 s (HAProxy already moves reads back to a recovered replica; every 15 s each instance reconnected all 16 at once) | p99 $(awk '{ print $5 }' <<<"$half_before") ms, p99.9 $(awk '{ print $6 }' <<<"$half_before") ms at $(awk '{ print $1 }' <<<"$half_before") req/s | p99 $half_p99 ms, p99.9 $(awk '{ print $6 }' <<<"$half") ms at $(awk '{ print $1 }' <<<"$half") req/s |
| AppCDS archive, banner off | startup $plain_median ms | startup $cds_median ms |
| AppCDS archive (memory) | RSS $rss_before MB | RSS $rss_after MB |

Latency at half of peak is the median (by p99) of three paced 15-second runs through nginx, each after both
instances were restarted and warmed up; the pacing draws each connection's pause at random (Poisson arrivals).

## Read consistency

A read that carries a Consistency-Token (docs/architecture.md, "Read consistency") is served by the replica only
once it has applied the token's position; otherwise it waits up to the token wait and then reads from the primary.

| | req/s | p50 ms | p99 ms | CPU ms/request |
|---|---|---|---|---|
$(awk '{ printf "| GET /users/1 via nginx, no token | %s | %s | %s | %s |\n", $1, $4, $5, $7 }' <<<"$read_full")
$(awk '{ printf "| GET /users/1 via nginx, a token the replica has applied | %s | %s | %s | %s |\n", $1, $4, $5, $7 }' <<<"$read_token")
$(awk '{ printf "| create, then read it back at once with its token (requests: both) | %s | %s | %s | %s |\n", $1, $4, $5, $7 }' <<<"$ryw")

The token check when the replica has the position already:
$(awk -v a="${read_full%% *}" -v b="${read_token%% *}" 'BEGIN { printf "%+.1f%%", 100 * (b - a) / a }') throughput against no token.
Read-your-writes under write load: of the $(awk '{ print $8 + $9 }' <<<"$ryw") reads of a user just created, the
replica served $(awk '{ print $8 }' <<<"$ryw") and the primary $(awk '{ print $9 }' <<<"$ryw")
($(awk '{ t = $8 + $9; printf "%.1f%%", t ? 100 * $9 / t : 0 }' <<<"$ryw") went to the primary: the replica had not applied
the create within the token wait). The replica's lag during that load, as users-backend-1 measured it (the age
of its newest heartbeat on the replica, which includes up to one heartbeat interval): median
$(awk '{ print $2 }' <<<"$ryw_lag") ms, largest $(awk '{ print $3 }' <<<"$ryw_lag") ms ($(awk '{ print $4 }' <<<"$ryw_lag") samples).

## Failover, from this run's timelines

\`./balance demo failover-replica\` and \`./balance demo failover-primary\` under the demos' load (charts in
\`.balance/timelines/\` by default):

| | |
|---|---|
| replica killed: reads served by the primary | $(failover_value "reads on the primary") after the kill |
| replica restarted: every read back on the replica | $(failover_value "all reads back on the replica") after it accepted connections |
| primary killed: first write answered 503 | $(failover_value "first write 503") after the kill |
| primary restarted: writes accepted again | $(failover_value "writes accepted again") after it accepted connections |
DOC
  log "wrote $md and $charts/{throughput,latency}.png"
}

postgres_version() { "$(ls -d /usr/lib/postgresql/*/bin | tail -1)/postgres" --version | awk '{ print $3 }'; }
