# ./balance bench (sourced by ./balance after local.sh, whose functions and ports it uses): what the service, each hop
# and the read/write split cost, JDK 17 beside JDK 25, measured in one sitting on this machine. Bash runs the processes
# and the loads and writes what it measured to files in $BALANCE_HOME/bench; the report (medians, ratios, tables,
# target verdicts) is computed from those files by org.acme.balance.bench.BenchReport (topology-tests), which writes
# docs/benchmarks.md; gnuplot draws the charts from the tables it writes beside it. Not a test: nothing here passes or
# fails except the run itself.
#
# The read workload is GET /users/{id} with an id drawn at random for every request among BENCH_USERS users that the
# bench inserts on the primary (SQL, as the superuser) and waits for on the replica. The database's ceiling is pgbench
# on the replica at the same concurrency: the same query (bench/user-by-id.sql, -M prepared), and pgbench -S.
#
# Protocol (docs/benchmarks.md says it too): wrk runs of BENCH_SECONDS at BENCH_CONNECTIONS; a path's steady figure is
# the last of runs repeated until two in a row differ by under 5% (at most BENCH_MAX_RUNS). For each JDK: three fresh
# starts with the cache (AppCDS on 17, the AOT cache on 25) and three without, to the first 200 (the runner's connection
# budget check, ~1 s of bash, done before the clock starts); one more with the cache and Quarkus printing each start
# step's time (the start timeline); a fresh instance's memory after one run of load (RSS and native memory tracking); then nginx's serving instances restarted on it: the
# first BENCH_COLD_SECONDS of load (cold), BENCH_WARMUP_RUNS warm-up runs, the steady figure, their RSS. The other
# paths run on the last JDK measured, which is the runner's own choice (BALANCE_JDK).
#
# Failover of the primary (bench_failover; alone on the running topology: ./balance bench failover, into
# $BALANCE_HOME/bench-failover): the demos leader-killed and leader-frozen, alternated, BENCH_FAILOVER_RUNS each; then
# POST /users through nginx with synchronous replication and without (Patroni's synchronous_mode), alternated,
# BENCH_FAILOVER_RUNS each; synchronous_mode is set back to true afterwards, on failure too. The report of that step,
# org.acme.balance.bench.FailoverReport, writes docs/benchmarks-failover.md.
#
# Settings: BENCH_SECONDS [15]  BENCH_CONNECTIONS [32]  BENCH_MAX_RUNS [8]  BENCH_WARMUP_RUNS [8]
#           BENCH_COLD_SECONDS [15]  BENCH_USERS [10000]  BENCH_JDKS ["17 25"]  BENCH_PAIR_WARMUP_RUNS [4]
#           BENCH_NGINX_RATE_LIMIT [1000000r/s] (nginx's limit per client address while the bench runs: all the load
#           comes from one address)  BENCH_FAILOVER_RUNS [3] (runs of each failover scenario, and of each
#           replication mode)  BENCH_OUT [docs]  BENCH_CHAT_SOCKETS [200]  BENCH_CHAT_RATE [50] (messages/s)
#           BENCH_CHAT_SECONDS [20] (the chat latency step, issue #21's target 7; BENCH_CHAT=0 skips it)
#           BENCH_OPEN_LOOP [1] (0 skips the open-loop runs, issue #21's target 4)
#
# ./balance bench pairs: only the tuning pairs below (those whose label matches the extended regular expression
# BENCH_PAIRS, every one when unset) on the running topology, into $BALANCE_HOME/bench-pairs, each side's figures printed
# (steady req/s, latency at half of the peak measured first, CPU per request of every node): to judge one change in
# minutes before the full run puts it on docs/benchmarks.md.
#
# ./balance bench monitoring: on the running topology, into $BALANCE_HOME/bench-monitoring: the monitoring's cost under
# load, in rounds with its processes running and paused by turns, judged against the rounds' own noise
# (bench_monitoring_only).
#
# ./balance bench start: on the running topology, into $BALANCE_HOME/bench-start: fresh starts of each JVM, alternated
# (bench_start_only).
#
# ./balance bench jdks: on the running topology, into $BALANCE_HOME/bench-jdks: JDK 25 against JDK 17 at steady state,
# an instance of each side by side, the load on one and the other by turns (bench_jdks_only).
#
# ./balance bench latency: on the running topology, into $BALANCE_HOME/bench-latency: the peak (wrk), the open-loop runs
# at half of it and rising until p99 passes 50 ms, and the chat latency, each printed.
#
# Files in $BALANCE_HOME/bench (the reports read only these):
#   runs.tsv     one line per load run: path jdk run rate duration_ms requests errors p50_ms p99_ms p99.9_ms
#                replica_reads primary_reads busy_ticks generator_cpu_ms hop_ticks  (busy_ticks: the whole machine's
#                busy CPU during the run, in clock ticks; generator_cpu_ms: the load generator's own CPU; hop_ticks:
#                each node's CPU during the run, in clock ticks, as NODE=TICKS,...)
#   results.tsv  one line per other measurement: key, then value(s) (startup times, RSS, lag samples, settings, ...)
#   nmt-*.txt, failover-*.txt: native memory tracking summaries and the demos' output, named in results.tsv
#   failover.tsv one line per failover run: scenario run exit_status, then the fields of the demo's RESULT line
#                (held|violated write_failover_ms writes_back_ms first_503_ms lost_acknowledged unacknowledged_stored
#                stored_primary stored_replica rejoined_ms failed_gets), "-" each when it printed none (it crashed);
#                its output in failover-SCENARIO-RUN.txt
#   writes.tsv   one line per write run: mode (sync|async) run, then the same fields as runs.tsv from rate on
#   failover-facts.tsv  the date, commit, machine and settings of the failover step, "key value" a line

# ---- Tuning, before and after ----------------------------------------------------------------------------------------
# One line per change, "label | before | after". Before and after are settings of nginx's serving instances, separated
# by spaces: NAME=value (their environment, e.g. USERS_READ_MAX_LIFETIME=15S) and -X... (JVM options added to the
# runner's); empty means the settings as they are. Each distinct side is measured once, the same way (restart on the
# runner's JDK with native memory tracking, BENCH_PAIR_WARMUP_RUNS warm-up runs, the steady figure at full speed and
# three runs at half of the peak through nginx, RSS and NMT of each instance), and docs/benchmarks.md shows every line as a row of
# "Tuning, before and after". Add a line here for a change you measure.
bench_pairs=(
  "the hot reads on the reactive client, on the event loop, not JDBC on a worker thread (with its pools as before: 6 each) | USERS_READ_DRIVER=jdbc USERS_READ_POOL_MAX_SIZE=6 USERS_READ_PRIMARY_POOL_MAX_SIZE=6 | "
  "glibc malloc with 2 arenas (default: 8 per core) | | MALLOC_ARENA_MAX=2"
  "at most 32 worker threads (default 200), code cache 48 MB (default 240) | | QUARKUS_THREAD_POOL_MAX_THREADS=32 -XX:ReservedCodeCacheSize=48m"
  "compact object headers, JDK 25 (both sides without the AOT cache: it holds one header layout) | -XX:AOTMode=off | -XX:AOTMode=off -XX:+UseCompactObjectHeaders"
  "the AOT cache, once warm (its start is measured above) | -XX:AOTMode=off | "
  "the AOT cache without replaying its training profiles (classes loaded and linked from it; the JIT profiles itself) | | -XX:+UnlockDiagnosticVMOptions -XX:-AOTReplayTraining"
  "monitoring: Prometheus and its exporters scraping every hop (issue #22; \"off\" stops them for that side only) | BALANCE_MONITORING=off | "
  "the connection budget's pools (write 5, read-primary 4, read 4, reactive 3 and 3; infra/balance/budget.env), against 16 each as before it (those instances told they are alone: three of them would not fit the leader) | QUARKUS_DATASOURCE_WRITE_JDBC_MAX_SIZE=16 QUARKUS_DATASOURCE__READ_PRIMARY__JDBC_MAX_SIZE=16 QUARKUS_DATASOURCE_READ_JDBC_MAX_SIZE=16 -Dusers.read.reactive-pool-size=16 -Dusers.budget.instances=1 | "
)

bench_seconds=${BENCH_SECONDS:-15}
bench_connections=${BENCH_CONNECTIONS:-32}
bench_max_runs=${BENCH_MAX_RUNS:-8}
bench_warmup_runs=${BENCH_WARMUP_RUNS:-8}
bench_cold_seconds=${BENCH_COLD_SECONDS:-15}
bench_users=${BENCH_USERS:-10000}
bench_jdks=${BENCH_JDKS:-17 25}
bench_pair_warmup_runs=${BENCH_PAIR_WARMUP_RUNS:-4}
bench_nginx_rate_limit=${BENCH_NGINX_RATE_LIMIT:-1000000r/s}
bench_failover_runs=${BENCH_FAILOVER_RUNS:-3}
bench_chat_sockets=${BENCH_CHAT_SOCKETS:-200}
bench_chat_rate=${BENCH_CHAT_RATE:-50}
bench_chat_seconds=${BENCH_CHAT_SECONDS:-20}
bench_out=${BENCH_OUT:-$root/docs}
bench_work=$BALANCE_HOME/bench
bench_failover_work=$BALANCE_HOME/bench-failover   # ./balance bench failover: that step alone
bench_restore_sync=false                            # true while synchronous_mode may be off (bench_cleanup restores it)
bench_lua=$root/infra/balance/bench/wrk-report.lua
bench_same_query=$root/infra/balance/bench/user-by-id.sql
bench_direct_port=$((8090 + offset))       # an instance whose read datasource skips HAProxy
bench_direct_management=$((9090 + offset))
bench_fresh_port=$((8091 + offset))        # fresh instances: start to the first 200, memory after load
bench_fresh_management=$((9091 + offset))

bench_deps() {
  command -v wrk >/dev/null 2>&1 || { log "installing wrk"; sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
}

# ---- recording ---------------------------------------------------------------------------------------------------------
record() { # record KEY VALUE...: one line of results.tsv
  local IFS=$'\t'
  printf '%s\n' "$*" >> "$bench_work/results.tsv"
}
record_run() { # record_run PATH JDK RUN ROW: one line of runs.tsv (ROW: what a *_run printed), and one of the log
  local rate duration requests errors p50 p99 rest
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$bench_work/runs.tsv"
  IFS=$'\t' read -r rate duration requests errors p50 p99 rest <<<"$4"
  log "$1${2:+ (JDK $2)} run $3: $((requests * 1000 / duration)) req/s, p50 $p50 ms, p99 $p99 ms, $errors errors"
}
row_rps() { # row_rps ROW: the requests/s of a run, whole
  local rate duration requests rest
  IFS=$'\t' read -r rate duration requests rest <<<"$1"
  echo $((requests * 1000 / duration))
}

# ---- loads -------------------------------------------------------------------------------------------------------------
busy_ticks() { # the whole machine's busy CPU time since boot, in clock ticks (/proc/stat: user nice system irq softirq steal)
  local cpu user nice system idle iowait irq softirq steal rest
  read -r cpu user nice system idle iowait irq softirq steal rest < /proc/stat
  echo $((user + nice + system + irq + softirq + steal))
}
# pids_ticks PID...: the user + system CPU the processes have spent, in clock ticks, with their reaped children's
# (a backend that ended during a run is in its postmaster's children's time: before/after differences stay whole)
pids_ticks() {
  local pid stat total=0 f
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    # the fields after the command's name: state is the first, utime stime cutime cstime the 12th to 15th
    read -r -a f <<<"${stat##*) }"
    total=$((total + f[11] + f[12] + f[13] + f[14]))
  done
  echo "$total"
}
# hop_ticks: the CPU each node (its processes: nginx's workers, an instance's JVM, a member's Patroni and PostgreSQL
# with its backends, ...) has spent so far, "NODE=TICKS,..."; the bench's own instances as bench-instances
hop_ticks() {
  local node out="" extra=()
  for node in $(nodes); do
    out+="$node=$(pids_ticks $(node_pids "$node")),"
  done
  [ -f "$bench_work/pids" ] && mapfile -t extra < "$bench_work/pids"
  # the monitoring processes (Prometheus, the exporters) as one hop: what watching the topology costs
  if monitoring_on; then out+="monitoring=$(pids_ticks $(for node in $(monitors); do monitor_pid "$node"; done)),"; fi
  echo "${out}bench-instances=$(pids_ticks "${extra[@]}")"
}
# hop_diff BEFORE AFTER: what each node spent between two hop_ticks (a node restarted in between is left out)
hop_diff() {
  local -A before
  local pair out=""
  for pair in ${1//,/ }; do before[${pair%%=*}]=${pair#*=}; done
  for pair in ${2//,/ }; do
    local node=${pair%%=*} ticks=${pair#*=}
    [ -n "${before[$node]:-}" ] && [ "$ticks" -ge "${before[$node]}" ] && out+="$node=$((ticks - before[$node])),"
  done
  echo "${out%,}"
}
ms_of_times() { # ms_of_times "U.UUU S.SSS" (bash's time, TIMEFORMAT='%3U %3S'): user + system, in ms
  local user=${1% *} system=${1#* }
  echo $((10#${user/./} + 10#${system/./}))
}

# wrk_run SECONDS URL [NAME=VALUE...]: one run of wrk with the bench's Lua script; the NAME=VALUE are the script's
# settings (BENCH_IDS, BENCH_METHOD, BENCH_RATE, BENCH_TOKEN: see bench/wrk-report.lua). Prints the run's row:
# rate duration_ms requests errors p50 p99 p99.9 replica_reads primary_reads busy_ticks generator_cpu_ms
wrk_run() {
  local seconds=$1 url=$2; shift 2
  local out before hops line TIMEFORMAT='%3U %3S'
  out=$(mktemp -d)
  hops=$(hop_ticks)
  before=$(busy_ticks)
  { time env BENCH_CONNECTIONS="$bench_connections" "$@" wrk -t2 -c"$bench_connections" -d"${seconds}s" \
      --timeout 5s -s "$bench_lua" "$url" >"$out/wrk" 2>&1; } 2>"$out/time" || { cat "$out/wrk" >&2; rm -rf "$out"; return 1; }
  line=$(grep $'^BENCH\t' "$out/wrk") || { cat "$out/wrk" >&2; rm -rf "$out"; return 1; }
  printf '%s\t%s\t%s\t%s\n' "${line#BENCH$'\t'}" "$(( $(busy_ticks) - before ))" "$(ms_of_times "$(cat "$out/time")")" \
    "$(hop_diff "$hops" "$(hop_ticks)")"
  rm -rf "$out"
}

# openloop_run SECONDS URL RATE IDS: one run of the open-loop generator (org.acme.balance.bench.OpenLoop: every request
# due at a fixed time, its latency counted from then) at RATE requests/s, GET /users/{random id in IDS}. Prints the same
# row as wrk_run (its CPU figures include the generator's 2 s of uncounted warm-up: the report reads only its latency),
# and records how late the generator itself sent requests (openloop.sendlag RATE p99_ms max_ms)
openloop_run() {
  local seconds=$1 url=$2 rate=$3 ids=$4
  local out before hops line lag classpath TIMEFORMAT='%3U %3S'
  classpath=$(tools_classpath) # before the clocks start: it may compile
  out=$(mktemp -d)
  hops=$(hop_ticks)
  before=$(busy_ticks)
  # at a real-time priority where the kernel allows it: the generator's schedule must not wait for the CPU the stack
  # it measures is using (its own lag is recorded to show it did not)
  local realtime=()
  ! chrt -f 1 true 2>/dev/null || realtime=(chrt -f 1)
  { time "${realtime[@]}" java -XX:+UseSerialGC -cp "$classpath" org.acme.balance.bench.OpenLoop "$url" "$rate" \
      "$seconds" "$ids" >"$out/run" 2>&1; } 2>"$out/time" || { cat "$out/run" >&2; rm -rf "$out"; return 1; }
  line=$(grep $'^BENCH\t' "$out/run") || { cat "$out/run" >&2; rm -rf "$out"; return 1; }
  lag=$(grep $'^SENDLAG\t' "$out/run") || true
  record openloop.sendlag "$rate" ${lag#SENDLAG$'\t'}
  printf '%s\t%s\t%s\t%s\n' "${line#BENCH$'\t'}" "$(( $(busy_ticks) - before ))" "$(ms_of_times "$(cat "$out/time")")" \
    "$(hop_diff "$hops" "$(hop_ticks)")"
  rm -rf "$out"
}

# pgbench_run CLASSES SECONDS DATABASE PGBENCH_ARGS...: one pgbench run on the replica, as the superuser over TCP, at
# the bench's concurrency (2 threads), with a per-transaction log. Prints the same row as wrk_run: the report's
# program reads pgbench's output and log for it.
pgbench_run() {
  local classes=$1 seconds=$2 database=$3; shift 3
  local dir before hops figures TIMEFORMAT='%3U %3S'
  dir=$(mktemp -d)
  hops=$(hop_ticks)
  before=$(busy_ticks)
  { time (cd "$dir" && PGPASSWORD=$PG_SUPERUSER_PASSWORD pgbench -h 127.0.0.1 -p "$replica_port" -U postgres \
      -c "$bench_connections" -j 2 -T "$seconds" -l --log-prefix=tx "$@" "$database" >"$dir/output" 2>&1); } \
    2>"$dir/time" || { cat "$dir/output" >&2; rm -rf "$dir"; return 1; }
  local busy=$(( $(busy_ticks) - before )) hop_cpu
  hop_cpu=$(hop_diff "$hops" "$(hop_ticks)")
  figures=$(java -cp "$classes" org.acme.balance.bench.BenchReport pgbench "$dir/output" "$dir") \
    || { rm -rf "$dir"; return 1; }
  printf '%s\t%s\t%s\t%s\n' "$figures" "$busy" "$(ms_of_times "$(cat "$dir/time")")" "$hop_cpu"
  rm -rf "$dir"
}

# measure PATH JDK COUNT COMMAND...: COUNT runs of COMMAND (a *_run), each recorded under PATH (JDK: "" when none)
measure() {
  local path=$1 jdk=$2 count=$3; shift 3
  local n row # (not "run": local.sh's directory of PID files, which hop_ticks reads)
  for n in $(seq 1 "$count"); do
    row=$("$@") || die "bench: $path, run $n failed"
    record_run "$path" "$jdk" "$n" "$row"
  done
}

# steady PATH JDK COMMAND...: runs COMMAND until two runs in a row differ by under 5% in requests/s (at most
# BENCH_MAX_RUNS), each recorded; prints the requests/s of the last
steady() {
  local path=$1 jdk=$2; shift 2
  local n row rps previous=0 # (not "run": see measure)
  for n in $(seq 1 "$bench_max_runs"); do
    row=$("$@") || die "bench: $path, run $n failed"
    record_run "$path" "$jdk" "$n" "$row"
    rps=$(row_rps "$row")
    if [ "$previous" -gt 0 ] && [ $(( (rps - previous) * 100 )) -lt $((5 * previous)) ] \
       && [ $(( (previous - rps) * 100 )) -lt $((5 * previous)) ]; then
      break
    fi
    previous=$rps
  done
  echo "$rps"
}

# lag_during URL FILE COMMAND...: runs COMMAND while sampling the replica's lag every 200 ms as an instance measures it
# (GET URL, /db: lagSeconds); the samples (seconds) go to FILE, one a line. COMMAND's output and status are its own.
lag_during() {
  local url=$1 file=$2; shift 2
  local parent=$BASHPID sampler status=0
  # its output goes to the file only (a command substitution waits for every writer of its pipe), and it ends with us
  ( while kill -0 "$parent" 2>/dev/null; do
      curl -fsS --max-time 1 "$url" 2>/dev/null | grep -o '"lagSeconds":[0-9.E-]*' | cut -d: -f2 >> "$file"
      sleep 0.2
    done ) >/dev/null 2>&1 &
  sampler=$!
  "$@" || status=$?
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  return "$status"
}

# ---- instances ---------------------------------------------------------------------------------------------------------
serving_nodes() { # the instances nginx sends requests to (the last one is its backup)
  local i
  for i in $(seq 1 $((instances - 1))); do echo "users-backend-$i"; done
}

# jdk_java 17|25: the java the runner picks with BALANCE_JDK set so, resolved; fails when there is none
jdk_java() {
  local java
  java=$( (instance_java_path=""; BALANCE_JAVA=""; BALANCE_JDK=$1; instance_java) 2>/dev/null) && [ -n "$java" ] || return 1
  readlink -f "$(command -v "$java")"
}
runner_java() { # the java the runner itself picks (BALANCE_JAVA, BALANCE_JDK), resolved
  readlink -f "$(command -v "$( (instance_java_path=""; instance_java) )")"
}
cache_opts() { # cache_opts JAVA: the runner's cache option for instances on JAVA (AOT cache on 25+, AppCDS on 17)
  (instance_java_path=""; BALANCE_JAVA=$1; cds_opts)
}
jcmd_of() { # jcmd_of JAVA: the jcmd of the same JDK
  echo "$(dirname "$1")/jcmd"
}
pss_kib() { # pss_kib PID: proportional set size in KiB (pages shared with other processes, e.g. the class cache
  # both serving instances map, counted as a share)
  local key value rest
  while read -r key value rest; do [ "$key" = Pss: ] && { echo "$value"; return; }; done < "/proc/$1/smaps_rollup"
  echo 0
}
rss_kib() { # rss_kib PID: resident set size in KiB
  local key value rest
  while read -r key value rest; do [ "$key" = VmRSS: ] && { echo "$value"; return; }; done < "/proc/$1/status"
  echo 0
}
nmt_summary() { # nmt_summary JAVA PID FILE: the JVM's native memory tracking summary (KB) into FILE
  "$(jcmd_of "$1")" "$2" VM.native_memory summary scale=KB > "$3" 2>&1 || log "bench: no NMT summary of $2 (see $3)"
}
stop_pid() { # stop_pid PID: SIGTERM, and wait until it is gone (at most 20 s, then SIGKILL)
  local i
  kill -TERM "$1" 2>/dev/null || return 0
  for i in $(seq 1 200); do alive "$1" || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}

# bench_instance NAME PORT MANAGEMENT_PORT JAVA [NAME=VALUE...] [-JVM_OPTION...]: an instance of the service beside
# the topology (nginx does not know it), with the runner's environment and JVM options plus the ones given. Prints its
# PID; the bench stops it on exit if it is still running.
bench_instance() {
  # one instance beside the runner's: the connection budget must hold with it too
  budget_check -q 1 >&2
  bench_spawn "$@"
}
bench_spawn() { # bench_spawn: bench_instance without the budget check (a start's timing must not include it: ~1 s)
  local name=$1 port=$2 management=$3 java=$4; shift 4
  local setting envs=() opts=()
  for setting in "$@"; do case "$setting" in -*) opts+=("$setting") ;; *) envs+=("$setting") ;; esac; done
  # shellcheck disable=SC2046,SC2086 # the runner's env and option lists are word lists by construction
  (cd "$app_dir" && exec env $(service_env 1) USERS_INSTANCE_NAME="$name" USERS_HTTP_PORT="$port" \
    USERS_MANAGEMENT_PORT="$management" "${envs[@]}" setsid "$java" $java_opts "${opts[@]}" -jar quarkus-run.jar) \
    </dev/null >>"$logs_dir/$name.log" 2>&1 &
  echo $! >> "$bench_work/pids"
  echo $!
}

# start_serving JAVA [NAME=VALUE...] [-JVM_OPTION...]: nginx's serving instances restarted on JAVA (with its cache),
# the runner's settings plus the ones given; they start together, then each must be ready
start_serving() {
  local java=$1; shift
  local node
  for node in $(serving_nodes); do stop_node "$node"; done
  (
    instance_java_path=""; BALANCE_JAVA=$java
    for setting in "$@"; do
      # (NAME=value: exports NAME)
      case "$setting" in -*) java_opts="$java_opts $setting" ;; *) export "${setting?}" ;; esac
    done
    for node in $(serving_nodes); do start_instance "$node"; done
    for node in $(serving_nodes); do wait_for 120 "$node" instance_ready "$node"; done
  ) || die "bench: the serving instances did not start on $java $*"
  log "serving instances on $("$java" -version 2>&1 | head -1)${*:+ with $*}"
}

# startup_ms JAVA URL_PATH [-JVM_OPTION...]: a fresh instance on JAVA, from exec to its first 200 on URL_PATH, in ms
startup_ms() {
  local java=$1 path=$2; shift 2
  local start now pid port=$bench_fresh_port
  budget_check -q 1 >&2
  start=${EPOCHREALTIME/./}
  echo "$start" > "$bench_work/startup-exec-us" # (for start_timeline: this runs in a command substitution)
  pid=$(bench_spawn bench-startup "$port" 0 "$java" "$@")
  # wait for the port without a process per try, then for the 200
  until { true <>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null && curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port$path" 2>/dev/null; do
    alive "$pid" || die "bench: the startup instance died (see ./balance logs bench-startup)"
    [ $(( ${EPOCHREALTIME/./} - start )) -lt 60000000 ] || die "bench: no 200 within 60 s"
    sleep 0.01
  done
  now=${EPOCHREALTIME/./}
  stop_pid "$pid"
  echo $(( (now - start) / 1000 ))
}

started_in_ms() { # what the last fresh instance's Quarkus logged as "started in", in ms
  local seconds
  seconds=$(grep -o 'started in [0-9.]*s' "$logs_dir/bench-startup.log" | tail -1 | tr -dc '0-9.')
  [ -n "$seconds" ] && awk -v s="$seconds" 'BEGIN { printf "%d\n", s * 1000 }'
}

# memory_after_load JDK JAVA IDS [-JVM_OPTION...]: a fresh instance on JAVA with native memory tracking, driven
# directly for one run (recorded as "memory"); records its RSS and NMT summary under jdk.JDK.memory
memory_after_load() {
  local jdk=$1 java=$2 ids=$3; shift 3
  local pid file=nmt-jdk$jdk.txt
  pid=$(bench_instance bench-memory "$bench_fresh_port" "$bench_fresh_management" "$java" -XX:NativeMemoryTracking=summary "$@")
  wait_for 120 "bench-memory" http_ok "http://127.0.0.1:$bench_fresh_management/q/health/ready"
  measure memory "$jdk" 1 wrk_run "$bench_seconds" "http://127.0.0.1:$bench_fresh_port" BENCH_IDS="$ids"
  record "jdk.$jdk.memory.rss" "$(rss_kib "$pid")"
  nmt_summary "$java" "$pid" "$bench_work/$file"
  record "jdk.$jdk.memory.nmt" "$file"
  stop_pid "$pid"
}

# ---- the phases --------------------------------------------------------------------------------------------------------
bench_facts() { # bench_facts: the machine, the versions and the settings, into results.tsv
  record machine.cpu "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2-)"
  record machine.cores "$(nproc)"
  record machine.memory_kib "$(grep -m1 '^MemTotal' /proc/meminfo | tr -s ' ' | cut -d' ' -f2)"
  record machine.kernel "$(uname -r)"
  record machine.debian "$(cat /etc/debian_version 2>/dev/null || echo '?')"
  record machine.clock_ticks "$(getconf CLK_TCK)"
  record version.postgres "$("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" --version)"
  record version.pgbench "$(pgbench --version)"
  record version.nginx "$(nginx -v 2>&1)"
  record version.haproxy "$(haproxy -v | head -1)"
  record version.wrk "$(wrk -v 2>&1 | head -1)"
  record commit "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  record commit.changed "$(git -C "$root" status --porcelain --untracked-files=no -- users-service pom.xml 2>/dev/null | wc -l)"
  record setting.seconds "$bench_seconds"
  record setting.cold_seconds "$bench_cold_seconds"
  record setting.connections "$bench_connections"
  record setting.max_runs "$bench_max_runs"
  record setting.warmup_runs "$bench_warmup_runs"
  record setting.pair_warmup_runs "$bench_pair_warmup_runs"
  record setting.users "$bench_users"
  record setting.java_opts "$java_opts"
  record setting.nginx_rate_limit "$bench_nginx_rate_limit"
  record setting.serving "$(serving_nodes | tr '\n' ' ')"
  # the bench runs with the monitoring as `up` starts it (on unless BALANCE_MONITORING=off), and says which
  if monitoring_on; then
    record setting.monitoring "on" "${BALANCE_MONITORING_INTERVAL:-2s}" "$(prometheus_value 'count(up)' || echo '?')"
  else
    record setting.monitoring "off"
  fi
}

# seed_users COUNT: COUNT users of the bench's own (bench-user-N@bench.invalid) inserted on the primary with SQL as the
# superuser, with contiguous ids (kept from an earlier run when they are all there); waits until the replica has them.
# Prints their ids as LO-HI.
seed_users() {
  local count=$1 state n lo hi
  local count_sql="SELECT count(*), coalesce(min(id), 0), coalesce(max(id), 0) FROM users.app_user
                   WHERE email LIKE 'bench-user-%@bench.invalid'"
  state=$(node_psql service-db -d users -At -F ' ' -c "$count_sql") || die "bench: cannot read the primary"
  read -r n lo hi <<<"$state"
  if [ "$n" != "$count" ] || [ $((hi - lo + 1)) != "$count" ]; then
    log "seeding $count users on the primary"
    node_psql service-db -d users -v ON_ERROR_STOP=1 -c "
      DELETE FROM users.app_user WHERE email LIKE 'bench-user-%@bench.invalid';
      INSERT INTO users.app_user (name, email)
        SELECT 'Bench User ' || g, 'bench-user-' || g || '@bench.invalid' FROM generate_series(1, $count) g;" >/dev/null \
      || die "bench: seeding failed"
    state=$(node_psql service-db -d users -At -F ' ' -c "$count_sql")
    read -r n lo hi <<<"$state"
    [ "$n" = "$count" ] && [ $((hi - lo + 1)) = "$count" ] || die "bench: the seeded ids are not contiguous ($state)"
  fi
  wait_for 120 "the seeded users on the replica" replica_answers "$count_sql" "$state"
  echo "$lo-$hi"
}
replica_answers() { # replica_answers SQL EXPECTED: the replica's answer to SQL (unaligned, space-separated) is EXPECTED
  [ "$(node_psql service-db-replica -d users -At -F ' ' -c "$1")" = "$2" ]
}

# ceilings CLASSES IDS: pgbench on the replica, the same query as GET /users/{id} and pgbench -S, three runs each,
# alternated
ceilings() {
  local classes=$1 ids=$2 i
  # pgbench -S's tables, in a database of their own on the replica's cluster (not replicated, not the app's)
  if ! node_psql service-db-replica -d postgres -At -c "SELECT 1 FROM pg_database WHERE datname = 'bench'" | grep -q 1; then
    node_psql service-db-replica -d postgres -c "CREATE DATABASE bench" >/dev/null
    PGPASSWORD=$PG_SUPERUSER_PASSWORD pgbench -h 127.0.0.1 -p "$replica_port" -U postgres -i -s 10 -q bench >/dev/null 2>&1 \
      || die "bench: pgbench -i failed"
  fi
  for i in 1 2 3; do
    measure ceiling.same-query "" 1 pgbench_run "$classes" "$bench_seconds" users -n -M prepared \
      -f "$bench_same_query" -D low="${ids%-*}" -D high="${ids#*-}"
    measure ceiling.select-only "" 1 pgbench_run "$classes" "$bench_seconds" bench -S -M prepared
  done
}

# jdk_startup JDK JAVA IDS: start to the first 200, three fresh starts with the JDK's cache and three without
# (alternated), and a fresh instance's memory after load
jdk_startup() {
  local jdk=$1 java=$2 ids=$3 cache i
  cache=$(cache_opts "$java")
  record "jdk.$jdk.version" "$("$java" -version 2>&1 | head -1)"
  record "jdk.$jdk.cache" "${cache:-none}"
  for i in 1 2 3; do
    # shellcheck disable=SC2086 # no option or one
    record "jdk.$jdk.start.cache" "$(startup_ms "$java" "/users/${ids%-*}" $cache)"
    record "jdk.$jdk.started-in.cache" "$(started_in_ms)"
    record "jdk.$jdk.start.plain" "$(startup_ms "$java" "/users/${ids%-*}")"
    record "jdk.$jdk.started-in.plain" "$(started_in_ms)"
  done
  start_timeline "$jdk" "$java" "$ids" $cache
  # shellcheck disable=SC2086
  memory_after_load "$jdk" "$java" "$ids" $cache
}

# start_timeline JDK JAVA IDS [-JVM_OPTION...]: one more fresh start, Quarkus printing what each of its start steps took
# (quarkus.debug.print-startup-times, a runtime switch); recorded as jdk.JDK.timeline.total (exec to the first 200),
# .listening (exec to the "started in" line), .started-in (Quarkus' figure), and one .step line per step: NAME MS
start_timeline() {
  local jdk=$1 java=$2 ids=$3; shift 3
  local log=$logs_dir/bench-startup.log lines exec_us total run_log started_at started_in
  lines=$( { [ -f "$log" ] && wc -l <"$log"; } || echo 0)
  total=$(startup_ms "$java" "/users/${ids%-*}" "$@" -Dquarkus.debug.print-startup-times=true)
  exec_us=$(cat "$bench_work/startup-exec-us")
  run_log=$(tail -n +$((lines + 1)) "$log") # this start's lines only (the log is appended to)
  record "jdk.$jdk.timeline.total" "$total"
  started_at=$(grep -m1 'started in [0-9.]*s' <<<"$run_log" | cut -c1-23 | tr , .)
  started_in=$(grep -o -m1 'started in [0-9.]*s' <<<"$run_log" | tr -dc '0-9.')
  if [ -n "$started_at" ] && [ -n "$started_in" ]; then
    record "jdk.$jdk.timeline.started-in" "$(awk -v s="$started_in" 'BEGIN { printf "%d", s * 1000 }')"
    record "jdk.$jdk.timeline.listening" "$(( ($(date -d "$started_at" +%s%6N) - exec_us) / 1000 ))"
  fi
  sed -nE 's/.*Build step ([A-Za-z0-9_.$]+) completed in: ([0-9]+)ms.*/\1 \2/p' \
    <<<"$run_log" | while read -r step ms; do record "jdk.$jdk.timeline.step" "$step" "$ms"; done
}

# jdk_serving JDK JAVA IDS: nginx's serving instances restarted on JAVA: the first BENCH_COLD_SECONDS of load through
# nginx (cold), the warm-up runs, then the steady figure; their RSS after that. Prints the steady requests/s.
jdk_serving() {
  local jdk=$1 java=$2 ids=$3 node rps
  local nginx=http://127.0.0.1:$nginx_port
  start_serving "$java"
  measure cold "$jdk" 1 wrk_run "$bench_cold_seconds" "$nginx" BENCH_IDS="$ids"
  measure warmup "$jdk" "$bench_warmup_runs" wrk_run "$bench_seconds" "$nginx" BENCH_IDS="$ids"
  rps=$(steady full "$jdk" wrk_run "$bench_seconds" "$nginx" BENCH_IDS="$ids")
  for node in $(serving_nodes); do
    record "jdk.$jdk.rss.$node" "$(rss_kib "$(pid_of "$node")")"
    record "jdk.$jdk.pss.$node" "$(pss_kib "$(pid_of "$node")")"
  done
  echo "$rps"
}

# open_loop JDK IDS PEAK: through nginx at a constant rate (the open-loop generator) at half of PEAK, 3 runs; then rising
# from 60 % of PEAK until p99 passes 50 ms (issue #21's target 4)
open_loop() {
  local jdk=$1 ids=$2 peak=$3
  local nginx=http://127.0.0.1:$nginx_port percent row
  measure open-half "$jdk" 3 openloop_run "$bench_seconds" "$nginx" $((peak / 2)) "$ids"
  for percent in 60 70 80 90 100 110 120; do
    row=$(openloop_run "$bench_seconds" "$nginx" $((peak * percent / 100)) "$ids") || die "bench: open-ramp $percent% failed"
    record_run open-ramp "$jdk" "$percent" "$row"
    awk -v p99="$(cut -f6 <<<"$row")" 'BEGIN { exit !(p99 > 50) }' && break
  done
}

# paths JDK JAVA IDS PEAK: on the warm serving instances, at half of PEAK through nginx; one instance directly (through
# HAProxy; without the database); an instance whose reads skip HAProxy; writes; reads with a token; read-your-writes
paths() {
  local jdk=$1 java=$2 ids=$3 peak=$4
  local nginx=http://127.0.0.1:$nginx_port instance
  instance=http://127.0.0.1:$(instance_port users-backend-1)
  record half.rate $((peak / 2))
  measure half "$jdk" 3 wrk_run "$bench_seconds" "$nginx" BENCH_IDS="$ids" BENCH_RATE=$((peak / 2))
  [ "${BENCH_OPEN_LOOP:-1}" = 0 ] || open_loop "$jdk" "$ids" "$peak"
  steady instance "$jdk" wrk_run "$bench_seconds" "$instance" BENCH_IDS="$ids" >/dev/null
  # the same instance answering without the database: what the framework alone costs
  steady host "$jdk" wrk_run "$bench_seconds" "$instance/host" >/dev/null

  # an instance whose read datasource goes straight to the replica: the cost of HAProxy
  local pid
  # shellcheck disable=SC2046 # no option or one
  pid=$(bench_instance bench-direct "$bench_direct_port" "$bench_direct_management" "$java" \
    USERS_READ_JDBC_URL="jdbc:postgresql://127.0.0.1:$replica_port/users" $(cache_opts "$java"))
  wait_for 120 "bench-direct" http_ok "http://127.0.0.1:$bench_direct_management/q/health/ready"
  measure direct-warmup "$jdk" "$bench_pair_warmup_runs" wrk_run "$bench_seconds" "http://127.0.0.1:$bench_direct_port" BENCH_IDS="$ids"
  steady direct "$jdk" wrk_run "$bench_seconds" "http://127.0.0.1:$bench_direct_port" BENCH_IDS="$ids" >/dev/null
  stop_pid "$pid"

  steady post "$jdk" wrk_run "$bench_seconds" "$nginx" BENCH_METHOD=POST >/dev/null

  # read consistency (docs/architecture.md): reads with a token the replica has already applied (what the check costs
  # when it passes at once), beside the same reads without one (steady "full"); then read-your-writes under write
  # load: each connection creates a user and reads it back at once with the create's token, while users-backend-1
  # reports the replica's lag
  local token
  token=$(curl -fsS -D - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"name\":\"Bench token\",\"email\":\"bench-token-${EPOCHREALTIME/./}@example.org\"}" "$nginx/users" \
    | tr -d '\r' | grep -i '^consistency-token:' | cut -d' ' -f2) || true
  [ -n "$token" ] || die "bench: no Consistency-Token on a create"
  sleep 1 # the replica applies it
  steady token "$jdk" wrk_run "$bench_seconds" "$nginx" BENCH_IDS="$ids" BENCH_TOKEN="$token" >/dev/null
  local lag=$bench_work/lag.txt value
  lag_during "$instance/db" "$lag" steady ryw "$jdk" wrk_run "$bench_seconds" "$nginx" BENCH_METHOD=RYW >/dev/null \
    || die "bench: the read-your-writes run failed"
  while read -r value; do record lag "$value"; done < "$lag"
}

# pairs JAVA IDS RATE PAIR...: each "label | before | after" (see bench_pairs); every distinct side measured once
pairs() {
  local java=$1 ids=$2 rate=$3; shift 3
  local pair label before after side words n=0
  local -A sides=()
  for pair in "$@"; do
    IFS='|' read -r label before after <<<"$pair"
    read -r label <<<"$label"                                 # trimmed
    read -ra words <<<"$before"; before=${words[*]}          # trimmed, one space between settings
    read -ra words <<<"$after"; after=${words[*]}
    # shellcheck disable=SC2086 # the settings are word lists
    if ! jvm_accepts "$java" $before $after; then
      log "bench: skipping \"$label\": $java refuses its options"; record pair.skipped "$label"; continue
    fi
    for side in "$before" "$after"; do
      [ -n "${sides["x$side"]:-}" ] && continue
      n=$((n + 1)); sides["x$side"]=$n
      # shellcheck disable=SC2086 # the settings are a word list
      pair_side "$n" "$java" "$ids" "$rate" $side
    done
    record pair "$label" "${sides["x$before"]}" "${sides["x$after"]}"
  done
}

jvm_accepts() { # jvm_accepts JAVA [SETTING...]: JAVA starts with the settings' JVM options (-...)
  local java=$1 setting opts=(); shift
  for setting in "$@"; do case "$setting" in -*) opts+=("$setting") ;; esac; done
  "$java" "${opts[@]}" -version >/dev/null 2>&1
}

# pair_side N JAVA IDS RATE [SETTINGS...]: nginx's serving instances restarted on JAVA with SETTINGS and native memory
# tracking; BENCH_PAIR_WARMUP_RUNS warm-up runs, the steady figure at full speed and three runs at RATE through nginx;
# then the RSS, the PSS and the NMT summary of each instance
pair_side() {
  local n=$1 java=$2 ids=$3 rate=$4; shift 4
  local jdk node pid nginx=http://127.0.0.1:$nginx_port
  jdk=$(java_major "$java")
  record "side.$n.settings" "$*"
  # BALANCE_MONITORING=off: this side runs with the monitoring processes stopped (started again after it)
  local monitoring_paused=false
  if [[ " $* " == *" BALANCE_MONITORING=off "* ]] && monitoring_on; then stop_monitoring; monitoring_paused=true; fi
  start_serving "$java" -XX:NativeMemoryTracking=summary "$@"
  measure "side.$n.warmup" "$jdk" "$bench_pair_warmup_runs" wrk_run "$bench_seconds" "$nginx" BENCH_IDS="$ids"
  steady "side.$n.full" "$jdk" wrk_run "$bench_seconds" "$nginx" BENCH_IDS="$ids" >/dev/null
  measure "side.$n.half" "$jdk" 3 wrk_run "$bench_seconds" "$nginx" BENCH_IDS="$ids" BENCH_RATE="$rate"
  for node in $(serving_nodes); do
    pid=$(pid_of "$node")
    record "side.$n.rss.$node" "$(rss_kib "$pid")"
    record "side.$n.pss.$node" "$(pss_kib "$pid")"
    nmt_summary "$java" "$pid" "$bench_work/nmt-side$n-$node.txt"
    record "side.$n.nmt.$node" "nmt-side$n-$node.txt"
  done
  [ "$monitoring_paused" = false ] || start_monitoring || log "bench: the monitoring did not start again (./balance status)"
}

# chat_latency: org.acme.balance.bench.ChatLatency through nginx (BENCH_CHAT_SOCKETS members of one room, BENCH_CHAT_RATE
# messages a second for BENCH_CHAT_SECONDS, each timed from its send to its delivery on every member), twice, as the
# HTTP paths are measured once warm: the first run on instances that have served no chat since their start (recorded as
# chat.latency.first), then the figure (chat.latency):
# chat.latency sockets messages deliveries missing p50_ms p99_ms p99.9_ms max_ms instances
chat_latency() {
  local out line key
  for key in chat.latency.first chat.latency; do
    out=$(java -XX:+UseSerialGC -cp "$(tools_classpath)" org.acme.balance.bench.ChatLatency \
      "http://127.0.0.1:$nginx_port" "$bench_chat_sockets" "$bench_chat_rate" "$bench_chat_seconds") \
      || die "bench: the chat latency run failed: $out"
    line=$(grep $'^CHAT\t' <<<"$out") || die "bench: the chat latency run printed no result: $out"
    # shellcheck disable=SC2086 # the fields, one argument each
    record "$key" ${line#CHAT$'\t'}
    log "$key: ${line#CHAT$'\t'}"
  done
}

# failovers: the demos failover-replica and leader-killed under their load; their output and exit status
failovers() {
  local scenario status
  for scenario in failover-replica leader-killed; do
    status=0
    (demo "$scenario") > "$bench_work/failover-$scenario.txt" 2>&1 || status=$?
    record "failover.$scenario" "failover-$scenario.txt" "$status"
    log "demo $scenario: exit $status"
  done
}

# bench_cleanup: on the way out, synchronous replication back on if a write run had it off, and the extra instances
# this bench started that still run
bench_cleanup() {
  local pid
  [ "$bench_restore_sync" = false ] || restore_sync_mode
  [ -f "$bench_work/pids" ] || return 0
  while read -r pid; do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = java ] && stop_pid "$pid"
  done < "$bench_work/pids"
  rm -f "$bench_work/pids"
}

# bench_prepare WORK: what every bench needs first: its tools, the build, an empty WORK, the cleanup on exit, the
# topology up and the secrets loaded
bench_prepare() {
  deps
  bench_deps
  build_if_needed
  rm -rf "$1"; mkdir -p "$1" "$bench_out/benchmarks"
  trap bench_cleanup EXIT
  up
  load_secrets
}

# runs_header: $bench_work/runs.tsv with its header line, before the first run is recorded
runs_header() {
  printf 'path\tjdk\trun\trate\tduration_ms\trequests\terrors\tp50_ms\tp99_ms\tp99.9_ms\treplica_reads\tprimary_reads\tbusy_ticks\tgenerator_cpu_ms\thop_ticks\n' \
    > "$bench_work/runs.tsv"
}

# running_peak JDK IDS: the peak through nginx of the instances as they run now (BENCH_PAIR_WARMUP_RUNS warm-up runs,
# then the steady figure), in req/s
running_peak() {
  local jdk=$1 ids=$2 nginx=http://127.0.0.1:$nginx_port
  measure peak.warmup "$jdk" "$bench_pair_warmup_runs" wrk_run "$bench_seconds" "$nginx" BENCH_IDS="$ids"
  steady peak "$jdk" wrk_run "$bench_seconds" "$nginx" BENCH_IDS="$ids"
}

# bench [failover|pairs|latency|monitoring|start|jdks]: everything, or only the failover step, the tuning pairs, the
# latency steps, the monitoring's cost, the starts or the two JDKs at steady state, on the running topology
bench() {
  case "${1:-}" in
    "") ;;
    failover) bench_failover_only; return ;;
    pairs) bench_pairs_only; return ;;
    latency) bench_latency_only; return ;;
    monitoring) bench_monitoring_only; return ;;
    start) bench_start_only; return ;;
    jdks) bench_jdks_only; return ;;
    *) log "usage: balance bench [failover|pairs|latency|monitoring|start|jdks]"; exit 2 ;;
  esac
  local started=$EPOCHSECONDS
  bench_prepare "$bench_work"
  local classes; classes=$(load_classes)
  runs_header
  record started "$started"
  bench_facts
  # the load comes from one address: nginx's limit per address would measure the limit, not the stack
  stop_node nginx; NGINX_RATE_LIMIT=$bench_nginx_rate_limit start_node nginx

  local ids; ids=$(seed_users "$bench_users")
  record users.ids "$ids"
  ceilings "$classes" "$ids"

  # each JDK asked for, the runner's own choice last: the other paths then run on its warm instances
  local runner jdk java javas=() main_jdk="" main_java="" peak=0
  runner=$(runner_java)
  for jdk in $bench_jdks; do
    java=$(jdk_java "$jdk") || { log "bench: no JDK $jdk here"; record jdk.missing "$jdk"; continue; }
    [ "$java" = "$runner" ] || javas+=("$java")
  done
  for jdk in $bench_jdks; do
    if [ "$(jdk_java "$jdk")" = "$runner" ]; then javas+=("$runner"); break; fi
  done
  [ ${#javas[@]} -gt 0 ] || die "bench: none of the JDKs $bench_jdks is here"
  for java in "${javas[@]}"; do
    jdk=$(java_major "$java")
    record jdk "$jdk"
    # the AOT cache of a JDK 25+ (made once per build; up made the runner's own)
    (instance_java_path=""; BALANCE_JAVA=$java; train_aot_cache)
    jdk_startup "$jdk" "$java" "$ids"
    peak=$(jdk_serving "$jdk" "$java" "$ids")
    main_jdk=$jdk; main_java=$java
  done
  record main_jdk "$main_jdk"

  paths "$main_jdk" "$main_java" "$ids" "$peak"
  [ "${BENCH_CHAT:-1}" = 0 ] || chat_latency
  pairs "$main_java" "$ids" $((peak / 2)) "${bench_pairs[@]}"

  # the topology as the runner runs it, for the demos and after the bench
  start_serving "$runner"
  stop_node nginx; start_node nginx
  failovers
  bench_failover "$classes" "$bench_work" "$bench_out"
  record finished "$EPOCHSECONDS"

  bench_report "$classes" "$bench_work" "$bench_out"
}

# bench_report CLASSES WORK OUT: OUT/benchmarks.md and OUT/benchmarks/ (tables and charts) from the files in WORK
bench_report() {
  local classes=$1 work=$2 out=$3
  java -cp "$classes" org.acme.balance.bench.BenchReport report "$work" "$out" || die "bench: the report failed"
  gnuplot -e "tables='$out/benchmarks'" "$root/infra/balance/bench/charts.gnuplot" || die "bench: the charts failed"
  log "wrote $out/benchmarks.md and $out/benchmarks/"
}

# ---- failover of the primary; what synchronous replication costs writes -----------------------------------------------

# bench_monitoring_only: ./balance bench monitoring: what the monitoring costs the running topology under load, into
# $BALANCE_HOME/bench-monitoring. The same instances, the same load (wrk at full speed through nginx, BENCH_SECONDS),
# in BENCH_MONITORING_ROUNDS rounds [12] with the monitoring's processes running and paused (SIGSTOP) by turns, 5 s
# after each change; infra/balance/bench/monitoring-cost.py judges each round against its neighbours, since the
# machine's speed drifts more than the effect over minutes. What the scrapes cost the scraped (an instance rendering
# /q/metrics, a PostgreSQL node answering its exporter) is paused with them.
bench_monitoring_only() {
  bench_work=$BALANCE_HOME/bench-monitoring
  bench_prepare "$bench_work"
  runs_header
  monitoring_on || die "bench monitoring: BALANCE_MONITORING=off: there is no monitoring to measure"
  local ids jdk name pid n state rounds=${BENCH_MONITORING_ROUNDS:-12}
  bench_monitor_pids=()
  for name in $(monitors); do
    pid=$(monitor_pid "$name") || die "bench monitoring: $name does not run (./balance up starts it)"
    bench_monitor_pids+=("$pid")
  done
  # (whatever ends the step, the monitoring runs again)
  trap 'kill -CONT "${bench_monitor_pids[@]}" 2>/dev/null; bench_cleanup' EXIT
  stop_node nginx; NGINX_RATE_LIMIT=$bench_nginx_rate_limit start_node nginx
  ids=$(seed_users "$bench_users")
  jdk=$(java_major "$(runner_java)")
  measure monitoring.warmup "$jdk" "$bench_pair_warmup_runs" wrk_run "$bench_seconds" "http://127.0.0.1:$nginx_port" BENCH_IDS="$ids"
  for n in $(seq 1 "$rounds"); do
    if [ $((n % 2)) = 1 ]; then state=on; kill -CONT "${bench_monitor_pids[@]}"; else state=off; kill -STOP "${bench_monitor_pids[@]}"; fi
    sleep 5
    measure "monitoring.$state" "$jdk" 1 wrk_run "$bench_seconds" "http://127.0.0.1:$nginx_port" BENCH_IDS="$ids"
  done
  kill -CONT "${bench_monitor_pids[@]}"
  stop_node nginx; start_node nginx
  python3 "$root/infra/balance/bench/monitoring-cost.py" "$bench_work/runs.tsv" "$(getconf CLK_TCK)" \
    | tee "$bench_work/summary.txt"
}

# bench_start_only: ./balance bench start: fresh starts to the first 200 of GET /users/{id}, on the running topology, into
# $BALANCE_HOME/bench-start: BENCH_START_ROUNDS rounds [5], each starting every JVM in turn (so a slower minute of the
# machine falls on all of them): JDK 17 without a cache (issue #21's baseline for target 5), JDK 17 with the AppCDS
# archive, and JDK 25 with its AOT cache when the runner has one; each one's median, Quarkus' own "started in" beside
# it, and the ratio target 5 judges (JDK 25 with its cache against JDK 17 without, at most 0.35).
bench_start_only() {
  bench_work=$BALANCE_HOME/bench-start
  bench_prepare "$bench_work"
  local rounds=${BENCH_START_ROUNDS:-5} id j17 j25 cache17 cache25 round label java opts
  # any user will do: the newest on the replica, else one inserted (and waited for) as the bench's own
  id=$(node_psql service-db-replica -d users -At -c "SELECT max(id) FROM users.app_user") || die "bench start: cannot read the replica"
  [ -n "$id" ] || { id=$(seed_users 1); id=${id%-*}; }
  j17=$(jdk_java 17) || die "bench start: no JDK 17"
  cache17=$(cache_opts "$j17")
  local -a sides=("jdk17-plain|$j17|" "jdk17-appcds|$j17|$cache17")
  if j25=$(jdk_java 25); then
    cache25=$(cache_opts "$j25")
    [ -n "$cache25" ] || log "bench start: no AOT cache for $j25 yet (./balance up with BALANCE_JDK=25 trains it)"
    sides+=("jdk25-plain|$j25|" "jdk25-aot|$j25|$cache25")
  fi
  for round in $(seq 1 "$rounds"); do
    for side in "${sides[@]}"; do
      IFS='|' read -r label java opts <<<"$side"
      # shellcheck disable=SC2086 # no option or one
      record "start.$label" "$(startup_ms "$java" "/users/$id" $opts)" "$(started_in_ms)"
    done
    log "bench start: round $round of $rounds done"
  done
  awk -F'\t' '
    function median(list, n,   i, j, t, a) { split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
        if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    $1 ~ /^start\./ { k = substr($1, 7); if (!(k in n)) order[++sides] = k; all[k] = all[k] " " $2; quarkus[k] = quarkus[k] " " $3; n[k]++ }
    END {
      for (i = 1; i <= sides; i++) { k = order[i]; m[k] = median(all[k], n[k])
        printf "%-13s start to the first 200: median %d ms (%s ms); Quarkus \"started in\": median %d ms\n", k, m[k], substr(all[k], 2), median(quarkus[k], n[k]) }
      if (("jdk25-aot" in m) && m["jdk17-plain"] > 0)
        printf "target 5: JDK 25 with its cache / JDK 17 without = %.2f (at most 0.35), %d ms (at most 1000 on a quiet machine)\n", m["jdk25-aot"] / m["jdk17-plain"], m["jdk25-aot"]
    }' "$bench_work/results.tsv" | tee "$bench_work/summary.txt"
}

# bench_jdks_only: ./balance bench jdks: JDK 25 against JDK 17 at steady state (issue #21's target 3), on the running
# topology, into $BALANCE_HOME/bench-jdks. Two instances beside the topology, one on each JDK with its cache, both
# reading through HAProxy as the serving ones do; BENCH_PAIR_WARMUP_RUNS warm-up runs each, then BENCH_JDK_ROUNDS
# rounds [12] of wrk straight at one and then the other (the idle one waits): infra/balance/bench/jdk-rounds.py judges
# each JDK 25 round against its JDK 17 neighbours, since the machine drifts more than the difference over minutes.
bench_jdks_only() {
  bench_work=$BALANCE_HOME/bench-jdks
  bench_prepare "$bench_work"
  runs_header
  local ids j17 j25 round jdk rounds=${BENCH_JDK_ROUNDS:-12}
  local -A port=([17]=$bench_direct_port [25]=$bench_fresh_port) management=([17]=$bench_direct_management [25]=$bench_fresh_management)
  ids=$(seed_users "$bench_users")
  j17=$(jdk_java 17) || die "bench jdks: no JDK 17"
  j25=$(jdk_java 25) || die "bench jdks: no JDK 25 under /usr/lib/jvm"
  [ -n "$(cache_opts "$j25")" ] || die "bench jdks: no AOT cache for JDK 25 (BALANCE_JDK=25 ./balance up trains it)"
  # the runner's instances rest meanwhile (the two take their place in the connection budget), and start again after
  local node runner_instances
  runner_instances=$(for node in $(seq 1 "$instances"); do echo "users-backend-$node"; done)
  # shellcheck disable=SC2064 # the list now, not at exit
  trap "bench_cleanup; for node in $(echo $runner_instances); do start_node \$node; done" EXIT
  for node in $runner_instances; do stop_node "$node"; done
  # shellcheck disable=SC2046 # the cache option: one word
  bench_instance bench-jdk17 "${port[17]}" "${management[17]}" "$j17" $(cache_opts "$j17") >/dev/null
  # shellcheck disable=SC2046
  bench_instance bench-jdk25 "${port[25]}" "${management[25]}" "$j25" $(cache_opts "$j25") >/dev/null
  for jdk in 17 25; do
    wait_for 120 "bench-jdk$jdk" http_ok "http://127.0.0.1:${management[$jdk]}/q/health/ready"
    measure "jdks.warmup" "$jdk" "$bench_pair_warmup_runs" wrk_run "$bench_seconds" "http://127.0.0.1:${port[$jdk]}" BENCH_IDS="$ids"
  done
  for round in $(seq 1 "$rounds"); do
    jdk=$((round % 2 ? 17 : 25))
    measure "jdks.$jdk" "$jdk" 1 wrk_run "$bench_seconds" "http://127.0.0.1:${port[$jdk]}" BENCH_IDS="$ids"
  done
  python3 "$root/infra/balance/bench/jdk-rounds.py" "$bench_work/runs.tsv" "$(getconf CLK_TCK)" | tee "$bench_work/summary.txt"
}

# bench_pairs_only: ./balance bench pairs: the tuning pairs (those matching BENCH_PAIRS), on the running topology, into
# their own work directory, each side's figures printed
bench_pairs_only() {
  bench_work=$BALANCE_HOME/bench-pairs
  bench_prepare "$bench_work"
  runs_header
  stop_node nginx; NGINX_RATE_LIMIT=$bench_nginx_rate_limit start_node nginx
  local ids java jdk peak pair selected=()
  ids=$(seed_users "$bench_users")
  java=$(runner_java); jdk=$(java_major "$java")
  for pair in "${bench_pairs[@]}"; do
    [ -z "${BENCH_PAIRS:-}" ] || [[ "$pair" =~ $BENCH_PAIRS ]] && selected+=("$pair")
  done
  [ ${#selected[@]} -gt 0 ] || die "bench pairs: no pair's label matches BENCH_PAIRS='${BENCH_PAIRS:-}'"
  # the peak as the runner runs the instances: every side is paced at half of it
  start_serving "$java"
  peak=$(running_peak "$jdk" "$ids")
  pairs "$java" "$ids" $((peak / 2)) "${selected[@]}"
  start_serving "$java"
  stop_node nginx; start_node nginx
  pairs_summary "$bench_work"
}

# bench_latency_only: `./balance bench latency`: on the running topology, the peak through nginx (wrk), then the
# open-loop runs at half of it and rising, and the chat latency; a summary of each
bench_latency_only() {
  bench_work=$BALANCE_HOME/bench-latency
  bench_prepare "$bench_work"
  runs_header
  stop_node nginx; NGINX_RATE_LIMIT=$bench_nginx_rate_limit start_node nginx
  local ids jdk peak
  ids=$(seed_users "$bench_users")
  jdk=$(java_major "$(runner_java)")
  peak=$(running_peak "$jdk" "$ids")
  open_loop "$jdk" "$ids" "$peak"
  chat_latency
  stop_node nginx; start_node nginx
  log "peak (wrk, closed loop): $peak req/s"
  awk -F'\t' 'FNR > 1 && ($1 == "open-half" || $1 == "open-ramp") {
      printf "%s %s req/s: p50 %s ms, p99 %s ms, p99.9 %s ms, errors %s of %s\n", $1, $4, $8, $9, $10, $7, $6 }' \
    "$bench_work/runs.tsv"
  awk -F'\t' '$1 == "openloop.sendlag" { printf "the generator'"'"'s send lag at %s req/s: p99 %s ms, max %s ms\n", $2, $3, $4 }' \
    "$bench_work/results.tsv"
}

# pairs_summary WORK: each side of WORK's pairs: its settings, steady figure, latency at half of the peak, CPU per request
pairs_summary() {
  local work=$1
  awk -F'\t' -v hz="$(getconf CLK_TCK)" '
    FILENAME ~ /runs.tsv$/ && FNR == 1 { next }
    FILENAME ~ /results.tsv$/ && $1 ~ /^side\.[0-9]+\.settings$/ { split($1, k, "."); settings[k[2]] = $2; next }
    FILENAME ~ /results.tsv$/ && $1 == "pair" { pairs[++npairs] = $2 " | before: side " $3 " | after: side " $4; next }
    FILENAME ~ /runs.tsv$/ && $1 ~ /^side\.[0-9]+\.full$/ { split($1, k, "."); full[k[2]] = $0; next }
    FILENAME ~ /runs.tsv$/ && $1 ~ /^side\.[0-9]+\.half$/ { split($1, k, "."); half[k[2]] = half[k[2]] " " $9; next }
    END {
      for (i = 1; i <= npairs; i++) print "pair: " pairs[i]
      for (n = 1; n in full; n++) {
        split(full[n], f, "\t")
        hops = ""; m = split(f[15], parts, ",")
        for (j = 1; j <= m; j++) {
          split(parts[j], kv, "=")
          if (f[6] > 0) hops = hops sprintf(" %s %.3f", kv[1], kv[2] * 1000 / hz / f[6])
        }
        printf "side %d [%s]: %d req/s, p50 %s ms, p99 %s ms; p99 at half of the peak:%s ms; CPU ms/request:%s\n",
          n, settings[n] == "" ? "as the runner runs it" : settings[n], f[6] * 1000 / f[5], f[8], f[9], half[n], hops
      }
    }' "$work/results.tsv" "$work/runs.tsv"
}

# bench_failover_only: ./balance bench failover: the failover step alone, on the topology as up leaves it (the runner's
# JDK and settings), into its own work directory: a full bench's files stay as they are
bench_failover_only() {
  bench_prepare "$bench_failover_work"
  local classes; classes=$(load_classes)
  bench_failover "$classes" "$bench_failover_work" "$bench_out"
}

# bench_failover CLASSES WORK OUT: the failover runs, the write runs with and without synchronous replication, then
# OUT/benchmarks-failover.md from what they wrote into WORK
bench_failover() {
  local classes=$1 work=$2 out=$3
  failover_facts "$work"
  failover_runs "$work"
  sync_windows "$work"
  writes_sync_async "$work"
  printf 'finished\t%s\n' "$EPOCHSECONDS" >> "$work/failover-facts.tsv"
  java -cp "$classes" org.acme.balance.bench.FailoverReport "$work" "$out" || die "bench: the failover report failed"
  log "wrote $out/benchmarks-failover.md and $out/benchmarks/"
}

# failover_facts WORK: what the page's header says of the run, "key value" a line (the report reads no machine state)
failover_facts() {
  local work=$1
  {
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'started\t%s\n' "$EPOCHSECONDS"
    printf 'commit\t%s\n' "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    printf 'commit.changed\t%s\n' "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | wc -l)"
    printf 'machine.cpu\t%s\n' "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2-)"
    printf 'machine.cores\t%s\n' "$(nproc)"
    printf 'setting.runs\t%s\n' "$bench_failover_runs"
    printf 'setting.seconds\t%s\n' "$bench_seconds"
    printf 'setting.connections\t%s\n' "$bench_connections"
  } > "$work/failover-facts.tsv"
}

# failover_runs WORK: leader-killed and leader-frozen alternated, BENCH_FAILOVER_RUNS each, so that a drift of the
# machine (another load, a fuller table) weighs on both alike; each output kept, one line of failover.tsv per run
failover_runs() {
  local work=$1 round scenario status
  printf 'scenario\trun\texit\tcontract\twrite_failover_ms\twrites_back_ms\tfirst_503_ms\tlost_acknowledged' > "$work/failover.tsv"
  printf '\tunacknowledged_stored\tstored_primary\tstored_replica\trejoined_ms\tfailed_gets\n' >> "$work/failover.tsv"
  for round in $(seq 1 "$bench_failover_runs"); do
    for scenario in leader-killed leader-frozen; do
      whole_cluster
      status=0
      (demo "$scenario") > "$work/failover-$scenario-$round.txt" 2>&1 || status=$?
      printf '%s\t%s\t%s\t%s\n' "$scenario" "$round" "$status" \
        "$(result_fields "$work/failover-$scenario-$round.txt" "$scenario")" >> "$work/failover.tsv"
      log "demo $scenario, run $round: exit $status"
    done
  done
}

# sync_windows WORK: the window after a standby returns, BENCH_FAILOVER_RUNS x 2 times: the standby killed under the
# instances' heartbeats, started again, and Patroni's cluster view polled every 100 ms from the start: when it shows
# the standby running (the standby's return), when it names it the synchronous standby (from then on a lost leader
# fails over), and when `start` would return (member-ready.sh --hold). One line of sync-window.tsv per run (ms after
# the start; -1: not seen within 120 s).
sync_windows() {
  local work=$1 round standby api start now view running named ready
  printf 'run	standby	running_ms	sync_standby_ms	ready_ms
' > "$work/sync-window.tsv"
  for round in $(seq 1 $((bench_failover_runs * 2))); do
    whole_cluster
    standby=$(members | tr ' ' '\n' | grep -vx "$(leader_member)")
    api=http://127.0.0.1:$(member_api_port "$standby")
    kill_node "$standby" 2>/dev/null; sleep 2
    start=$EPOCHREALTIME; running=-1; named=-1; ready=-1
    start_member "$standby"
    while :; do
      now=$(( (${EPOCHREALTIME/./} - ${start/./}) / 1000 ))
      [ "$now" -lt 120000 ] || break
      view=$(curl -fsS --max-time 1 "$api/cluster" 2>/dev/null | python3 -c '
import json, sys
m = [x for x in json.load(sys.stdin)["members"] if x["name"] == sys.argv[1]]
print((m[0]["state"] + " " + m[0]["role"]) if m else "absent")' "$standby" 2>/dev/null) || view=""
      [ "$running" -ge 0 ] || case "$view" in running*|streaming*) running=$now ;; esac
      [ "$named" -ge 0 ] || [ "${view#* }" != sync_standby ] || named=$now
      if [ "$named" -ge 0 ] && member_ready "$standby" >/dev/null 2>&1; then
        ready=$(( (${EPOCHREALTIME/./} - ${start/./}) / 1000 )); break
      fi
      sleep 0.1
    done
    printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$standby" "$running" "$named" "$ready" >> "$work/sync-window.tsv"
    log "sync window, run $round: $standby running after $running ms, named synchronous after $named ms, ready after $ready ms"
  done
}

# whole_cluster: each run starts from a whole cluster. A demo starts its failed member again after its load and waits
# for it; one that threw may have left it killed or frozen: thawed or started here, then each member ready to take over
whole_cluster() {
  local member
  for member in $(members); do
    [ "$(state_of "$member")" != frozen ] || signal_node "$member" CONT
    start_node "$member"   # a running member: only waited for until it is ready
  done
  wait_for 60 "HAProxy (a leader to write to)" haproxy_sees_up
}

# result_fields FILE SCENARIO: the fields of the demo's RESULT line for SCENARIO after its id (held|violated and nine
# figures), or ten "-" when it printed none: it threw (a row stored twice, say; FILE says why)
result_fields() {
  local line
  if line=$(grep -m1 "^RESULT"$'\t'"$2"$'\t' "$1"); then
    cut -f3- <<<"$line"
  else
    printf -- '-\t-\t-\t-\t-\t-\t-\t-\t-\t-\n'
  fi
}

# sync_mode true|false: Patroni's dynamic configuration changed through the leader's REST API; it lives in etcd (the
# whole cluster's, and it outlasts a restart), and Patroni rewrites synchronous_standby_names from it
sync_mode() {
  local leader
  leader=$(leader_member) || return 1
  curl -fsS --max-time 10 -u "patroni:$PATRONI_RESTAPI_PASSWORD" -X PATCH -H 'Content-Type: application/json' \
    -d "{\"synchronous_mode\": $1}" "http://127.0.0.1:$(member_api_port "$leader")/config" >/dev/null
}

# leader_sql SQL: the leader's answer; in a subshell, since node_psql exits the script when there is no leader
leader_sql() {
  (node_psql service-db -d users -At -c "$1")
}

# replication_is sync|async: the leader's commits wait for a standby's flush (synchronous_standby_names names one, and
# a standby streams as its synchronous one), or they do not (synchronous_standby_names empty)
replication_is() {
  local names sync
  names=$(leader_sql 'SHOW synchronous_standby_names') || return 1
  case "$1" in
    sync)
      sync=$(leader_sql "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") || return 1
      [ -n "$names" ] && [ "$sync" -ge 1 ] ;;
    async) [ -z "$names" ] ;;
  esac
}

# set_replication sync|async: synchronous_mode switched, and the leader running so before a run measures it
set_replication() {
  local flag=false
  [ "$1" = sync ] && flag=true
  sync_mode "$flag" || die "bench: Patroni did not take synchronous_mode: $flag"
  wait_for 30 "replication $1 on the leader" replication_is "$1"
}

# restore_sync_mode: synchronous_mode back to true as postgres/patroni.yml has it: without it a failover may lose
# acknowledged writes, and the setting would outlast this run
restore_sync_mode() {
  if sync_mode true; then
    bench_restore_sync=false
  else
    log "bench: could not set synchronous_mode back to true: do it by hand (PATCH /config of the leader's REST API)"
  fi
}

# writes_sync_async WORK: POST /users through nginx (as the bench's "post" path), BENCH_FAILOVER_RUNS runs with
# synchronous replication and as many without, alternated (sync first) so that a drift of the machine or a growing
# table weighs on both alike; one line of writes.tsv per run
writes_sync_async() {
  local work=$1 round mode row nginx=http://127.0.0.1:$nginx_port
  printf 'mode\trun\trate\tduration_ms\trequests\terrors\tp50_ms\tp99_ms\tp99.9_ms\treplica_reads\tprimary_reads' > "$work/writes.tsv"
  printf '\tbusy_ticks\tgenerator_cpu_ms\thop_ticks\n' >> "$work/writes.tsv"
  # the load comes from one address: nginx's limit per address would measure the limit, not the stack
  stop_node nginx; NGINX_RATE_LIMIT=$bench_nginx_rate_limit start_node nginx
  bench_restore_sync=true
  # one unrecorded run first: the first measured run (sync) would otherwise also pay for a cold write path
  wrk_run "$bench_seconds" "$nginx" BENCH_METHOD=POST >/dev/null || die "bench: the write warm-up run failed"
  for round in $(seq 1 "$bench_failover_runs"); do
    for mode in sync async; do
      set_replication "$mode"
      row=$(wrk_run "$bench_seconds" "$nginx" BENCH_METHOD=POST) || die "bench: writes ($mode), run $round failed"
      printf '%s\t%s\t%s\n' "$mode" "$round" "$row" >> "$work/writes.tsv"
      log "writes ($mode) run $round: $(row_rps "$row") req/s"
    done
  done
  set_replication sync
  bench_restore_sync=false
  # nginx as the runner runs it again
  stop_node nginx; start_node nginx
}
