# The local runner (sourced by ./balance): every node of the topology as a process on 127.0.0.1,
# configured by the same files the containers use (postgres/pg-node.sh + sql, haproxy/haproxy.cfg,
# nginx/nginx.conf.template). Plain pidfiles, no daemon manager: each node is one process group we start,
# signal and stop by PID. State, logs and secrets live under $BALANCE_HOME (default .balance/, ignored by git).
#
# Settings (environment):
#   BALANCE_HOME         [.balance]  state directory
#   BALANCE_INSTANCES    [3]         service instances; the last one is nginx's `backup`
#   BALANCE_PORT_OFFSET  [0]         added to every port below (a second topology beside the first: tests)
#   ports: nginx 8080 (HTTPS 8443), users-backend-N 8080+N (management: health, metrics, OpenAPI 9080+N),
#          HAProxy write 5000 / read 5001 / stats 7000, the primary's Patroni members service-db-1 15432 and
#          service-db-2 15434 (their REST API 8201, 8202), etcd 2479 (peer 2480), service-db-replica 15433 (5432,
#          2379 and 8008 are left to a system PostgreSQL, etcd and Patroni). Everything listens on 127.0.0.1 only;
#          nginx is the one meant to be reached.
#   NGINX_SERVER_NAMES   [localhost 127.0.0.1]  host names nginx serves (others: 421) and the service may put in
#                                      Location; NGINX_RATE_LIMIT, NGINX_RATE_BURST, NGINX_CONN_LIMIT, NGINX_TLS_CERT,
#                                      NGINX_TLS_KEY: see nginx/render.sh (a self-signed certificate is made on first up)
#   BALANCE_JAVA_OPTS    [-XX:+UseSerialGC -Xms32m -Xmx128m]
#   BALANCE_INSTANCES_MIGRATE [false]  true: every instance migrates at start, all at once (shows Flyway's lock);
#                                      otherwise a one-shot migrator runs before the instances start
#   PG_SUPERUSER_PASSWORD, USERS_*_PASSWORD: taken from the environment when set, otherwise generated once
#                                      into $BALANCE_HOME/secrets.env

# nginx and haproxy live in /usr/sbin, which is not on a normal user's PATH on Debian
PATH=$PATH:/usr/sbin:/sbin
BALANCE_HOME=$(mkdir -p "${BALANCE_HOME:-$root/.balance}" && cd "${BALANCE_HOME:-$root/.balance}" && pwd)
instances=${BALANCE_INSTANCES:-3}
[ "$instances" -ge 2 ] 2>/dev/null || { echo "balance: BALANCE_INSTANCES must be 2 or more (the last one is the backup)" >&2; exit 2; }
offset=${BALANCE_PORT_OFFSET:-0}
nginx_port=$((8080 + offset))
nginx_tls_port=$((8443 + offset))
write_port=$((5000 + offset))
read_port=$((5001 + offset))
stats_port=$((7000 + offset))
replica_port=$((15433 + offset))
etcd_port=$((2479 + offset))
etcd_peer_port=$((2480 + offset))
nginx_status_port=$((9197 + offset)) # stub_status and /metrics, for the monitoring (infra/balance/monitoring.sh)
app_dir=$root/users-service/target/quarkus-app
jar=$app_dir/quarkus-run.jar
java_opts=${BALANCE_JAVA_OPTS:--XX:+UseSerialGC -Xms32m -Xmx128m}
run=$BALANCE_HOME/run
logs_dir=$BALANCE_HOME/logs
pg_node=$root/postgres/pg-node.sh
secret_names=(PG_SUPERUSER_PASSWORD USERS_OWNER_PASSWORD USERS_WRITER_PASSWORD USERS_READER_PASSWORD USERS_REPLICATOR_PASSWORD USERS_MONITOR_PASSWORD
              PG_REPLICATION_PASSWORD PATRONI_RESTAPI_PASSWORD)
# the monitoring processes (Prometheus, the exporters): not nodes, started after them
# shellcheck source=infra/balance/monitoring.sh
source "$root/infra/balance/monitoring.sh"

log() { printf 'balance: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

deps() {
  local missing=()
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql-15)
  command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
  command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
  # the primary is a Patroni cluster on etcd (Debian's packages; neither starts anything on the ports used here)
  command -v patroni >/dev/null 2>&1 || missing+=(patroni)
  command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
  command -v nginx >/dev/null 2>&1 || missing+=(nginx)
  # njs: nginx checks every request target and header value before proxying (nginx/edge.js)
  [ -f /usr/lib/nginx/modules/ngx_http_js_module.so ] || missing+=(libnginx-mod-http-js)
  [ -f /usr/lib/nginx/modules/ngx_http_lua_module.so ] || missing+=(libnginx-mod-http-lua)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v envsubst >/dev/null 2>&1 || missing+=(gettext-base)
  command -v gnuplot >/dev/null 2>&1 || missing+=(gnuplot-nox)
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  for tool in curl unzip pgrep; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  # Prometheus, promtool, the exporters (infra/balance/monitoring.sh): installed without starting their services
  local before=${#missing[@]} monitoring_missing; monitoring_deps; monitoring_missing=("${missing[@]:$before}"); missing=("${missing[@]:0:$before}")
  if [ ${#missing[@]} -gt 0 ]; then
    missing=("${missing[@]/pgrep/procps}")
    log "installing ${missing[*]}"
    sudo_if_needed apt-get update -qq
    # No system services are needed: the runner starts its own PostgreSQL, HAProxy and nginx on other ports.
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if [ ${#monitoring_missing[@]} -gt 0 ]; then
    log "installing ${monitoring_missing[*]}"
    [ ${#missing[@]} -gt 0 ] || sudo_if_needed apt-get update -qq
    monitoring_install "${monitoring_missing[@]}"
  fi
}

# ---- nodes ----------------------------------------------------------------------------------------
nodes() {
  echo etcd service-db-1 service-db-2 service-db-replica haproxy
  for i in $(seq 1 "$instances"); do echo "users-backend-$i"; done
  echo nginx
}
is_node() { nodes | tr ' ' '\n' | grep -qx -- "$1"; }
members() { echo service-db-1 service-db-2; } # the primary's Patroni cluster, service-db
is_member() { case "$1" in service-db-1|service-db-2) return 0 ;; *) return 1 ;; esac; }
member_pg_port() { case "$1" in service-db-1) echo $((15432 + offset)) ;; service-db-2) echo $((15434 + offset)) ;; esac; }
member_api_port() { echo $((8200 + offset + ${1#service-db-})); }
instance_port() { echo $((8080 + offset + ${1#users-backend-})); }
management_port() { echo $((9080 + offset + ${1#users-backend-})); }
# Where the files live that the accounts the nodes drop to use (PostgreSQL's data directories, Patroni's scripts,
# nginx's temporary files): under BALANCE_HOME, unless those accounts cannot enter it (a checkout under /root or in
# any mode-700 folder). Nothing else of the runner assumes where the checkout is.
pg_base() {
  if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$BALANCE_HOME"; then
    # the server runs as postgres and needs every directory above its data
    echo "/var/tmp/balance-pg-$(printf %s "$BALANCE_HOME" | md5sum | cut -c1-12)"
  else
    echo "$BALANCE_HOME/pg"
  fi
}
pg_dir() { echo "$(pg_base)/$1"; }

pid_of() { # the main PID of a node, if it has one recorded and that PID is still the node's program
  local file program pid
  case "$1" in
    service-db-replica) file=$(pg_dir "$1")/postmaster.pid; program=postgres ;;
    service-db-*) file=$run/$1.pid; program=patroni ;;
    users-backend-*) file=$run/$1.pid; program=java ;;
    *) file=$run/$1.pid; program=$1 ;;
  esac
  [ -f "$file" ] || return 1
  pid=$(head -n 1 "$file")
  # a stale pidfile (after a reboot, say) may name someone else's process now: never signal that one
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$program" ] || return 1
  echo "$pid"
}
state_of() { # up | frozen | down
  local pid
  pid=$(pid_of "$1" 2>/dev/null) || { echo down; return; }
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || { echo down; return; }
  # field 3 of /proc/PID/stat: T = stopped (SIGSTOP), Z = zombie
  case "$(cut -d' ' -f3 "/proc/$pid/stat")" in
    T) echo frozen ;;
    Z) echo down ;;
    *) echo up ;;
  esac
}
alive() { # alive PID...: true while any of them runs. A zombie has exited (only its parent has not reaped it yet).
  local pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ] && return 0
  done
  return 1
}
node_pids() { # the main PID and its children: a frozen PostgreSQL or nginx must not answer from a child
  local pid
  if is_member "$1"; then member_pids "$1"; return; fi
  [ "$1" != service-db-replica ] || replica_guard_pid
  pid=$(pid_of "$1" 2>/dev/null) || return 0
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  echo "$pid" $(pgrep -P "$pid" || true)
}
member_pids() { # Patroni, its children, and its PostgreSQL: Patroni starts the postmaster detached from itself
  local pid postmaster
  pid=$(pid_of "$1" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && echo "$pid" $(pgrep -P "$pid" || true)
  postmaster=$(head -n 1 "$(pg_dir "$1")/postmaster.pid" 2>/dev/null) || return 0
  [ "$(cat "/proc/$postmaster/comm" 2>/dev/null)" = postgres ] || return 0
  echo "$postmaster" $(pgrep -P "$postmaster" || true)
}
address_of() {
  case "$1" in
    etcd) echo "127.0.0.1:$etcd_port (client) 127.0.0.1:$etcd_peer_port (peer)" ;;
    service-db-1|service-db-2) echo "127.0.0.1:$(member_pg_port "$1") (PostgreSQL) 127.0.0.1:$(member_api_port "$1") (Patroni REST API)" ;;
    service-db-replica) echo "127.0.0.1:$replica_port" ;;
    haproxy) echo "127.0.0.1:$write_port (write) 127.0.0.1:$read_port (read) 127.0.0.1:$stats_port (stats)" ;;
    nginx) echo "127.0.0.1:$nginx_port (HTTP) 127.0.0.1:$nginx_tls_port (HTTPS)" ;;
    users-backend-*) echo "127.0.0.1:$(instance_port "$1") (API) 127.0.0.1:$(management_port "$1") (management)" ;;
  esac
}

load_secrets() {
  local file=$BALANCE_HOME/secrets.env name
  # generated once each (a secret added by a newer version of this file is added to an older secrets.env)
  (umask 077; touch "$file"; for name in "${secret_names[@]}"; do
    grep -q "^$name=" "$file" || echo "$name=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >> "$file"; done)
  # values already in the environment win over the generated ones
  while IFS='=' read -r name value; do
    [ -n "${!name:-}" ] || export "$name=$value"
  done < "$file"
}

# Start a process in its own session, detached from our terminal and pipes, and record its PID.
# Its log's size is kept too: what the node writes from there on tells whether this start failed (node_failure).
spawn() { # spawn NAME COMMAND...
  local name=$1; shift
  mkdir -p "$run" "$logs_dir"
  touch "$logs_dir/$name.log"
  stat -c %s "$logs_dir/$name.log" > "$run/$name.logpos"
  nohup setsid "$@" </dev/null >>"$logs_dir/$name.log" 2>&1 &
  echo $! > "$run/$name.pid"
}

# wait_for SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds. With watch="NODE..." set for the call, a watched
# node that cannot come up (node_failure) ends the wait at once with the cause from its log, rather than at the end.
# A wait that runs out shows the end of the logs of the watched nodes and of explain="NODE..." (CI keeps no logs).
wait_for() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds)) next_check=$SECONDS node reason last
  until last=$("$@" 2>&1); do
    if [ $SECONDS -ge $next_check ]; then
      for node in ${watch:-}; do
        reason=$(node_failure "$node") && die "$what: $node cannot start: $reason"$'\n'"$(log_excerpt "$node")"
      done
      next_check=$((SECONDS + 1))
    fi
    [ $SECONDS -lt $deadline ] || die "$what: not ready after ${seconds}s${last:+ (last: $(tail -n 1 <<<"$last"))} (see ./balance logs)$(
      for node in ${watch:-} ${explain:-}; do echo; log_excerpt "$node"; done)"
    sleep 0.2
  done
}
# What in a node's log means it will not come up however long we wait: it cannot bind, cannot enter a directory
# (a Patroni bootstrap whose helper could not enter its working directory waits forever), or failed to bootstrap.
# Not what Patroni gets over by itself: a transient error, a connection refused, the stale postmaster.pid of a
# killed member ("lock file ... already exists": Patroni checks the PID and tells pg_ctl to ignore it).
fatal_log_lines='PermissionError|Permission denied|could not change directory|failed attempt to bootstrap|PatroniFatalException|Address already in use|address already in use|could not bind|could not create any TCP/IP sockets|Failed to start application|seems to be in use by another process'
node_failure() { # node_failure NODE: prints why NODE, as last spawned, cannot come up; fails while it may still
  local node=$1 log=$logs_dir/$1.log pos line
  [ -f "$run/$node.logpos" ] || return 1
  # (the PID spawn recorded, whatever program it is yet: a member execs through a few before it is Patroni)
  if ! alive "$(head -n 1 "$run/$node.pid" 2>/dev/null)"; then echo "its process exited"; return 0; fi
  pos=$(cat "$run/$node.logpos")
  line=$(tail -c +$((pos + 1)) "$log" 2>/dev/null | grep -m 1 -E "$fatal_log_lines") || return 1
  echo "its log says: $line"
}
log_excerpt() { # the end of a node's log since its start, indented
  local node=$1 pos=0
  [ -f "$run/$node.logpos" ] && pos=$(cat "$run/$node.logpos")
  echo "  last lines of $logs_dir/$node.log:"
  # (a Java stack trace's frames left out: the exception's own lines say why; so are the AOT training's thousands
  # of "[warning][aot] Skipping ..." lines)
  tail -c +$((pos + 1)) "$logs_dir/$node.log" 2>/dev/null | grep -vE '^[[:space:]]+(at |\.\.\. [0-9]+ more)|\]\[warning\]\[aot\]' \
    | tail -n 12 | sed 's/^/    /'
}
http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }
haproxy_csv() { curl -fsS --max-time 2 "http://127.0.0.1:$stats_port/;csv"; }
haproxy_sees_up() { # a leader Patroni confirmed on the write port (the check the image's healthcheck makes), the replica on the read port
  local csv; csv=$(haproxy_csv) || return 1
  "$root/haproxy/leader-routed.sh" <<<"$csv" && grep -q "^read,service-db-replica,.*,UP," <<<"$csv"
}

start_db() { # start_db service-db-replica: create and bootstrap on first use, then start
  local node=$1 dir
  dir=$(pg_dir "$node")
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$(dirname "$dir")"
    chmod 755 "$(dirname "$dir")"
    "$pg_node" init "$dir" "$replica_port" "$node"
  fi
  if [ "$(state_of "$node")" = down ] && ! "$pg_node" start "$dir"; then
    die "$node cannot start; the end of $dir/server.log:"$'\n'"$(tail -n 12 "$dir/server.log" 2>/dev/null | sed 's/^/    /')"
  fi
  # bootstrap is idempotent: run it again when the SQL changed since
  if [ ! -f "$dir/.bootstrapped" ] || [ -n "$(find "$root/postgres/sql" -newer "$dir/.bootstrapped")" ]; then
    wait_for 60 "a leader of service-db" leader_member
    USERS_PRIMARY_HOSTS=127.0.0.1,127.0.0.1 USERS_PRIMARY_PORTS=$(member_ports) "$pg_node" bootstrap "$dir" replica
    touch "$dir/.bootstrapped"
  fi
  start_replica_guard
}
member_ports() { echo "$(member_pg_port service-db-1),$(member_pg_port service-db-2)"; }
# The replica's guard (postgres/replica-guard.sh) runs for as long as the replica does: it makes the subscription
# follow the leader and re-seeds the replica when a failover left it diverged. Part of the node service-db-replica:
# killed, frozen, thawed and stopped with it.
start_replica_guard() {
  [ -z "$(replica_guard_pid)" ] || return 0
  USERS_PRIMARY_HOSTS=127.0.0.1,127.0.0.1 USERS_PRIMARY_PORTS=$(member_ports) \
    spawn replica-guard "$root/postgres/replica-guard.sh" "$(pg_dir service-db-replica)"
}
replica_guard_pid() {
  local pid
  pid=$(head -n 1 "$run/replica-guard.pid" 2>/dev/null) || return 0
  # (a script: its program is bash, its command line names it)
  tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -q 'replica-guard\.sh' && alive "$pid" && echo "$pid"
  return 0
}

# ---- the primary: a Patroni cluster (service-db-1, service-db-2) on one etcd ------------------------------
start_etcd() {
  spawn etcd "$root/postgres/etcd-member.sh" "$BALANCE_HOME/etcd" 127.0.0.1 127.0.0.1 "$etcd_port" "$etcd_peer_port"
  watch=etcd wait_for 20 etcd http_ok "http://127.0.0.1:$etcd_port/health"
}

member_env() { # the environment of a member's Patroni (postgres/patroni-member.sh)
  local port api
  port=$(member_pg_port "$1"); api=$(member_api_port "$1")
  echo ETCD_HOSTS="127.0.0.1:$etcd_port" MEMBER_PG_LISTEN="127.0.0.1:$port" MEMBER_PG_ADDRESS="127.0.0.1:$port" \
       MEMBER_API_LISTEN="127.0.0.1:$api" MEMBER_API_ADDRESS="127.0.0.1:$api" PG_CLIENT_CIDR=127.0.0.1/32 \
       HOME="$(pg_base)" LC_ALL=C.UTF-8
  local name; for name in "${secret_names[@]}"; do echo "$name=${!name}"; done
}

start_member() { # Patroni decides: initialise the cluster, clone the leader, or rejoin it (pg_rewind)
  local node=$1 scripts
  scripts=$(member_scripts)
  # Patroni runs in the directory of its scripts: its bootstrap starts Python helpers that enter the working
  # directory, and the checkout may be one the postgres account cannot enter (a clone under /root, a mode-700 folder)
  if [ "$(id -u)" = 0 ]; then
    # shellcheck disable=SC2046 # word lists by construction (no spaces in values)
    (cd "$scripts" && spawn "$node" env -i PATH="$PATH" $(member_env "$node") \
      setpriv --reuid=postgres --regid=postgres --init-groups "$scripts/patroni-member.sh" "$node" "$(pg_dir "$node")")
  else
    # shellcheck disable=SC2046
    (cd "$scripts" && spawn "$node" env -i PATH="$PATH" $(member_env "$node") "$scripts/patroni-member.sh" "$node" "$(pg_dir "$node")")
  fi
}
# The members run as PostgreSQL's account, which may not reach this checkout (root's, under /root): their scripts
# and SQL are copied where it can, into a directory named by their content (a running member's files never change).
member_scripts() {
  local base files sum scripts
  base=$(pg_base); files=("$root"/postgres/{patroni-member.sh,patroni-post-bootstrap.sh,patroni.yml,pg-node.sh,sql})
  sum=$(cat "$root"/postgres/{patroni-member.sh,patroni-post-bootstrap.sh,patroni.yml,pg-node.sh} "$root"/postgres/sql/* | md5sum | cut -c1-12)
  scripts=$base/scripts-$sum
  if [ ! -d "$scripts" ]; then
    mkdir -p "$base"; chmod 755 "$base"
    [ "$(id -u)" != 0 ] || chown postgres:postgres "$base"
    mkdir -p "$scripts.tmp"; cp -r "${files[@]}" "$scripts.tmp/"; chmod -R a+rX "$scripts.tmp"; mv "$scripts.tmp" "$scripts"
  fi
  echo "$scripts"
}

patroni_get() { curl -fsS --max-time 1 "http://127.0.0.1:$(member_api_port "$1")$2"; }
leader_member() { # the member whose Patroni says it leads (GET /primary answers 200 on the leader only)
  local member
  for member in $(members); do
    patroni_get "$member" /primary >/dev/null 2>&1 && { echo "$member"; return 0; }
  done
  return 1
}
# The leader, or a standby that can take over (postgres/member-ready.sh says what that takes: named the synchronous
# standby in etcd, caught up, streaming, with the copy of the logical replica's slot), and still so a Patroni loop
# later. member_ready MEMBER [--now]: one look, with the lag Patroni allows (status).
member_ready() {
  timeout 10 "$root/postgres/member-ready.sh" "$1" "http://127.0.0.1:$(member_api_port "$1")" "${2:---hold}" \
    "$pg_node" psql "$(pg_dir "$1")"
}
cluster_ready() { # a leader, and every member ready
  local member
  leader_member >/dev/null || return 1
  for member in $(members); do member_ready "$member" || return 1; done
}

start_haproxy() {
  HAPROXY_WRITE_BIND=127.0.0.1:$write_port HAPROXY_READ_BIND=127.0.0.1:$read_port \
  HAPROXY_STATS_BIND=127.0.0.1:$stats_port SERVICE_DB_REPLICA_ADDR=127.0.0.1:$replica_port \
  SERVICE_DB_1_ADDR=127.0.0.1:$(member_pg_port service-db-1) SERVICE_DB_1_API_PORT=$(member_api_port service-db-1) \
  SERVICE_DB_2_ADDR=127.0.0.1:$(member_pg_port service-db-2) SERVICE_DB_2_API_PORT=$(member_api_port service-db-2) \
    spawn haproxy haproxy -db -f "$root/haproxy/haproxy.cfg"
  watch=haproxy wait_for 10 haproxy http_ok "http://127.0.0.1:$stats_port/"
}

service_env() { # service_env [EXTRA]: the environment every service process gets (EXTRA: see budget_env)
  # loopback only: nothing but nginx (and this machine's tools) reaches an instance; the management interface on a
  # port of its own (0: any free one, for processes without a fixed port; start_instance gives each its own); the
  # connection budget's pool sizes and limits (infra/balance/budget.sh), which each instance checks at start
  echo USERS_WRITE_JDBC_URL="jdbc:postgresql://127.0.0.1:$write_port/users" \
       USERS_READ_JDBC_URL="jdbc:postgresql://127.0.0.1:$read_port/users" \
       USERS_WRITER_PASSWORD="$USERS_WRITER_PASSWORD" USERS_READER_PASSWORD="$USERS_READER_PASSWORD" \
       USERS_HTTP_HOST=127.0.0.1 USERS_MANAGEMENT_HOST=127.0.0.1 USERS_MANAGEMENT_PORT=0 \
       USERS_ALLOWED_HOSTS="$(server_names | tr ' ' ',')" "$(budget_env "${1:-0}")"
}
server_names() { echo "${NGINX_SERVER_NAMES:-localhost 127.0.0.1}"; }
migrator_env() { # only the migrator holds the owner's and the superuser's credentials
  echo USERS_MIGRATE=true USERS_OWNER_PASSWORD="$USERS_OWNER_PASSWORD" \
       PG_SUPERUSER_PASSWORD="$PG_SUPERUSER_PASSWORD" \
       USERS_MIGRATE_REPLICA_JDBC_URL="jdbc:postgresql://127.0.0.1:$replica_port/users"
}

start_instance() {
  local node=$1 extra=()
  budget_check -q
  [ "${BALANCE_INSTANCES_MIGRATE:-false}" = true ] && read -ra extra <<<"$(migrator_env)"
  # shellcheck disable=SC2046 # the env lists are word lists by construction (no spaces in values)
  (cd "$app_dir" && spawn "$node" env $(service_env) "${extra[@]}" USERS_INSTANCE_NAME="$node" \
    USERS_HTTP_PORT="$(instance_port "$node")" USERS_MANAGEMENT_PORT="$(management_port "$node")" \
    "$(instance_java)" $java_opts $(cds_opts) -jar quarkus-run.jar)
}
instance_ready() { http_ok "http://127.0.0.1:$(management_port "$1")/q/health/ready"; }

# ---- the JVM of the instances -----------------------------------------------------------------------
# A JDK 25 or newer when one is installed (found under /usr/lib/jvm, not on PATH), with an AOT cache this runner
# trains on the running topology; otherwise the default java (Debian 12: 17) with the AppCDS archive that
# ./mvnw package builds. The service is Java 17 bytecode either way.
#   BALANCE_JDK [auto]  17 | 25 | auto      BALANCE_JAVA  the java to use, whatever it is
java_major() { "$1" -version 2>&1 | sed -nE '1s/.* version "([0-9]+)[.+"-].*/\1/p'; }
newest_java() { # newest_java MIN_MAJOR: the newest java under /usr/lib/jvm of that major or newer
  local candidate major best="" best_major=0
  for candidate in /usr/lib/jvm/*/bin/java; do
    [ -x "$candidate" ] || continue
    major=$(java_major "$candidate")
    if [ "${major:-0}" -ge "$1" ] && [ "$major" -gt "$best_major" ]; then best=$candidate; best_major=$major; fi
  done
  [ -n "$best" ] && echo "$best"
}
instance_java() {
  if [ -z "${instance_java_path:-}" ]; then
    if [ -n "${BALANCE_JAVA:-}" ]; then instance_java_path=$BALANCE_JAVA
    else
      case "${BALANCE_JDK:-auto}" in
        17) instance_java_path=$(command -v java) ;;
        25) instance_java_path=$(newest_java 25) || die "BALANCE_JDK=25: no JDK 25 or newer under /usr/lib/jvm" ;;
        auto) instance_java_path=$(newest_java 25 || command -v java) ;;
        *) die "BALANCE_JDK is 17, 25 or auto" ;;
      esac
    fi
  fi
  echo "$instance_java_path"
}
# The cache of the instances' JVM, when it has one: the AOT cache of its major version (JDK 25+, trained by
# train_aot_cache), or the AppCDS archive (JDK 17). Both name the jar relatively: the service runs from its directory.
aot_cache() { echo "app-jdk$(java_major "$(instance_java)").aot"; }
cds_opts() {
  if [ "$(java_major "$(instance_java)")" -ge 25 ]; then
    [ ! -f "$app_dir/$(aot_cache)" ] || echo "-XX:AOTCache=$(aot_cache)"
  else
    [ ! -f "$app_dir/app-cds.jsa" ] || echo "-XX:SharedArchiveFile=app-cds.jsa"
  fi
}
# The AOT cache of a JDK 25+, made once per build: a training instance on the running topology serves a workload like
# the API's real one (reads by id and pages, creates, updates, deletes, errors, /db), then stops, and the JVM writes
# what it loaded, linked and profiled. Needs the databases, HAProxy and the migrated schema.
train_aot_cache() {
  local java cache port mgmt pid base i
  java=$(instance_java); cache=$(aot_cache)
  [ "$(java_major "$java")" -ge 25 ] || return 0
  [ -f "$app_dir/$cache" ] && [ "$app_dir/$cache" -nt "$jar" ] && return 0
  # one instance more when the runner's instances already run (a fresh up trains before it starts them)
  local beside; beside=$(budget_beside); budget_check -q "$beside"
  port=$((8095 + offset)); mgmt=$((9095 + offset)); base=http://127.0.0.1:$port
  log "training the AOT cache of $($java -version 2>&1 | head -1) (once per build)"
  rm -f "$app_dir/$cache"
  # one left by an up that was killed outright (no trap ran) would hold the training's ports
  local stale; stale=$(cat "$run/aot-training.pid" 2>/dev/null) || stale=""
  if [ -n "$stale" ] && tr '\0' ' ' < "/proc/$stale/cmdline" 2>/dev/null | grep -q -- "-XX:AOTCacheOutput=$cache"; then
    log "stopping a training instance left by an earlier run (PID $stale)"; kill -KILL "$stale" 2>/dev/null || true
  fi
  # spawned and watched like a node (wait_for): one that cannot bind its ports or exits is reported at once
  # shellcheck disable=SC2046
  spawn aot-training env -C "$app_dir" $(service_env "$beside") USERS_INSTANCE_NAME=aot-training USERS_HTTP_PORT="$port" \
    USERS_MANAGEMENT_PORT="$mgmt" "$java" $java_opts -XX:AOTCacheOutput="$cache" -jar quarkus-run.jar
  pid=$(cat "$run/aot-training.pid"); training_pid=$pid
  watch=aot-training wait_for 120 "the training instance" http_ok "http://127.0.0.1:$mgmt/q/health/ready"
  "$root/infra/balance/aot-workload.sh" "$base" "http://127.0.0.1:$mgmt"
  kill -TERM "$pid" 2>/dev/null
  # the JVM assembles the cache as it exits: give it the time it takes
  for i in $(seq 1 600); do alive "$pid" || break; sleep 0.1; done
  training_pid=
  [ -f "$app_dir/$cache" ] && log "AOT cache written: $app_dir/$cache" || log "no AOT cache written (see $logs_dir/aot-training.log); instances start without"
}

migrate() { # the single migrator: a one-shot run of the service that applies migrations and exits
  log "migrating (replica schema, primary schema + data, REFRESH PUBLICATION)"
  mkdir -p "$logs_dir"
  # shellcheck disable=SC2046
  (cd "$app_dir" && env $(service_env) $(migrator_env) USERS_MIGRATE_ONLY=true USERS_INSTANCE_NAME=migrator \
    USERS_HTTP_PORT=0 "$(instance_java)" $java_opts $(cds_opts) -jar quarkus-run.jar </dev/null >>"$logs_dir/migrator.log" 2>&1) \
    || die "migrator failed (./balance logs migrator)"
}

backends() { # backends primary|backup: the instances' addresses for nginx's upstream
  local i
  if [ "$1" = backup ]; then echo "127.0.0.1:$(instance_port "users-backend-$instances")"; return; fi
  for i in $(seq 1 $((instances - 1))); do printf '127.0.0.1:%s ' "$(instance_port "users-backend-$i")"; done
}

start_nginx() {
  local conf=$BALANCE_HOME/nginx/nginx.conf
  mkdir -p "$BALANCE_HOME/nginx" "$logs_dir"
  # the first start makes a self-signed certificate in $BALANCE_HOME/nginx/tls (unless NGINX_TLS_CERT/KEY are set)
  # nginx's workers drop root: their temporary directories are where that account can enter (pg_base)
  local temp; temp=$(pg_base)/nginx-temp
  mkdir -p "$(pg_base)"; chmod 755 "$(pg_base)"
  USERS_BACKENDS=$(backends primary) USERS_BACKUP_BACKENDS=$(backends backup) NGINX_LISTEN=127.0.0.1:$nginx_port \
  NGINX_TLS_LISTEN=127.0.0.1:$nginx_tls_port NGINX_STATUS_LISTEN=127.0.0.1:$nginx_status_port \
  NGINX_SERVER_NAMES=$(server_names) NGINX_TEMP=$temp \
  NGINX_STATE=$BALANCE_HOME/nginx NGINX_ACCESS_LOG=$logs_dir/nginx-access.log NGINX_ERROR_LOG=$logs_dir/nginx.log \
    "$root/nginx/render.sh" "$conf"
  [ "$(id -u)" = 0 ] && chown -R nobody "$temp"
  # A master that was killed leaves its pid file: taken for the new master's, it made `down` miss the nginx it had
  # started (and delete its directory under it). Only a pid file written by the process started here counts.
  rm -f "$BALANCE_HOME/nginx/nginx.pid"
  spawn nginx nginx -e "$logs_dir/nginx.log" -c "$conf"
  local spawned; spawned=$(cat "$run/nginx.pid")
  watch=nginx wait_for 10 nginx nginx_master_of "$spawned"
  cp "$BALANCE_HOME/nginx/nginx.pid" "$run/nginx.pid"
}
nginx_master_of() { # nginx_master_of PID: nginx's pid file names PID (or a child of it) and that process is nginx
  local pid
  pid=$(head -n 1 "$BALANCE_HOME/nginx/nginx.pid" 2>/dev/null) && [ -n "$pid" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = nginx ] || return 1
  [ "$pid" = "$1" ] || [ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = "$1" ]
}

load_classes() { # the load generator and scenarios (topology-tests), compiled when missing or older than their sources
  local classes=$root/topology-tests/target/classes
  local stamp=$classes/org.acme.balance.scenario.FailoverDemo.class
  if [ ! -f "$stamp" ] || [ -n "$(find topology-tests/src/main -newer "$stamp" -print -quit)" ]; then
    # -am: topology-tests depends on test-support (the soak's chat client), built here rather than taken from ~/.m2
    ./mvnw -B -q -pl topology-tests -am compile >&2
  fi
  echo "$classes"
}

build_if_needed() {
  if [ ! -f "$jar" ] || [ -n "$(find users-service/src users-service/pom.xml pom.xml -newer "$jar" -print -quit)" ]; then
    log "building users-service"
    ./mvnw -B -q -pl users-service -am package -DskipTests
  fi
}

start_node() {
  local node=$1
  is_node "$node" || die "unknown node $node (nodes: $(nodes | tr '\n' ' '))"
  case "$(state_of "$node")" in
    up)
      # the replica's guard goes with it (started again if it died)
      [ "$node" != service-db-replica ] || { load_secrets; start_replica_guard; return 0; }
      # a running member (a thawed old leader, say) is waited for until it can take over again
      is_member "$node" || return 0
      explain=$node wait_for 120 "$node (leading, or the synchronous standby, caught up, with the slot)" member_ready "$node"
      return 0 ;;
    frozen) die "$node is frozen: ./balance thaw $node" ;;
  esac
  load_secrets
  case "$node" in
    etcd) start_etcd ;;
    service-db-1|service-db-2)
      start_member "$node"
      # a returning member is back once it can take over again: rewound if it must, streaming, with the slot copy
      watch=$node wait_for 120 "$node (leading, or the synchronous standby, caught up, with the slot)" member_ready "$node" ;;
    service-db-replica) start_db "$node" ;;
    haproxy) start_haproxy ;;
    nginx) start_nginx ;;
    users-backend-*)
      start_instance "$node"
      watch=$node wait_for 90 "$node" instance_ready "$node" ;;
  esac
  log "$node up"
}

up() {
  deps
  build_if_needed
  load_secrets
  budget_check
  local node started=()
  # A failed up stops what it started (up_failed), and leaves what was running before it alone.
  up_was_down=$(for node in $(nodes); do [ "$(state_of "$node")" != down ] || echo "$node"; done)
  up_fresh=false; [ -d "$BALANCE_HOME/etcd" ] || up_fresh=true
  # (a caller's own EXIT trap, the bench's, runs after ours, and is put back when up succeeds)
  eval "set -- $(trap -p EXIT)"; up_caller_trap=${3:-}
  trap up_failed EXIT
  start_node etcd
  # both members at once: one initialises the cluster (and runs the bootstrap SQL), the other clones it
  for node in $(members); do [ "$(state_of "$node")" = down ] && start_member "$node"; done
  watch="$(members)" wait_for 90 "a leader of service-db (Patroni)" leader_member
  bootstrap_leader_if_changed
  # the pair whole before the replica subscribes: a member that cannot start is reported here, within seconds
  watch="$(members)" wait_for 120 "the standby (synchronous, caught up, holding the logical replica's slot)" cluster_ready
  for node in service-db-replica haproxy; do start_node "$node"; done
  wait_for 15 "HAProxy's view of the leader and the replica" haproxy_sees_up
  [ "${BALANCE_INSTANCES_MIGRATE:-false}" = true ] || [ -f "$BALANCE_HOME/.migrated-$(stat -c %Y "$jar")" ] || {
    migrate; rm -f "$BALANCE_HOME"/.migrated-*; touch "$BALANCE_HOME/.migrated-$(stat -c %Y "$jar")"; }
  # (instances that migrate themselves find no schema yet: no training then)
  [ "${BALANCE_INSTANCES_MIGRATE:-false}" = true ] || train_aot_cache
  # the instances start together (the JVMs warm up in parallel), then each must become ready
  for node in $(nodes); do
    case "$node" in users-backend-*) [ "$(state_of "$node")" = down ] && { start_instance "$node"; started+=("$node"); } ;; esac
  done
  for node in "${started[@]}"; do
    watch=$node wait_for 120 "$node" instance_ready "$node"
    log "$node up"
  done
  start_node nginx
  wait_for 15 "nginx" http_ok "http://127.0.0.1:$nginx_port/host"
  if [ -n "$up_caller_trap" ]; then trap -- "$up_caller_trap" EXIT; else trap - EXIT; fi
  # after the nodes, outside up's failure handling: monitoring that does not start is reported, not a failed up
  start_monitoring || true
  cat >&2 <<EOF
balance: the topology is up
  API (nginx)          http://127.0.0.1:$nginx_port/users   (try /host, /db, /chat.html)
  API over TLS         https://127.0.0.1:$nginx_tls_port/users   (self-signed: curl -k, or NGINX_TLS_CERT/KEY)
  HAProxy stats        http://127.0.0.1:$stats_port/
  instances            $(for i in $(seq 1 "$instances"); do printf '127.0.0.1:%s ' "$(instance_port "users-backend-$i")"; done)
  management           $(for i in $(seq 1 "$instances"); do printf '127.0.0.1:%s ' "$(management_port "users-backend-$i")"; done)(/q/health, /q/metrics, /q/openapi; not through nginx)
  databases            service-db: Patroni members service-db-1 127.0.0.1:$(member_pg_port service-db-1), service-db-2 127.0.0.1:$(member_pg_port service-db-2) (leader now: $(leader_member)); service-db-replica 127.0.0.1:$replica_port
  monitoring           $(monitoring_on && echo "Prometheus http://127.0.0.1:$prometheus_port/ (/targets, /alerts), ops page $ops_url" || echo "off (BALANCE_MONITORING=off)")
  ./balance status | logs NODE | kill NODE | freeze NODE | thaw NODE | start NODE | switchover | demo list | down
EOF
}

# up's EXIT trap: when up fails, stop every node it started (those that were down before it), newest first, and
# the AOT training instance. A cluster whose very first bootstrap failed is removed too (etcd's data and the members'
# data directories): Patroni would otherwise wait forever for a bootstrap that no member will finish.
up_failed() {
  local rc=$? node
  trap - EXIT
  [ "$rc" -ne 0 ] || return 0
  log "up failed: stopping what it started"
  [ -z "${training_pid:-}" ] || { kill -KILL "$training_pid" 2>/dev/null || true; }
  for node in $(tac <<<"$up_was_down"); do
    # (a node that failed to start has nothing worth a long graceful stop: 5 s, then SIGKILL)
    [ "$(state_of "$node")" = down ] && [ ! -f "$(pg_dir "$node")/postmaster.pid" ] || stop_grace=50 stop_node "$node" || true
  done
  if [ "$up_fresh" = true ] && ! [ -f "$(pg_base)/.service-db.bootstrapped" ]; then
    rm -rf "$BALANCE_HOME/etcd" "$(pg_dir service-db-1)" "$(pg_dir service-db-2)"
  fi
  log "up failed; the logs are in $logs_dir (./balance logs NODE)"
  [ -z "$up_caller_trap" ] || eval "$up_caller_trap"
  exit "$rc"
}

# The bootstrap SQL runs once, from Patroni's post_bootstrap hook; when it changed since, again on the leader.
bootstrap_leader_if_changed() {
  local stamp leader
  stamp=$(pg_base)/.service-db.bootstrapped
  leader=$(leader_member) || return 0
  if [ ! -f "$stamp" ]; then touch "$stamp"; return 0; fi
  [ -n "$(find "$root/postgres/sql" -newer "$stamp")" ] || return 0
  "$pg_node" bootstrap "$(pg_dir "$leader")" primary && touch "$stamp"
}

# ./balance switchover [CANDIDATE]: a planned change of leader, through Patroni (the old leader stays as standby)
switchover() {
  local leader candidate
  load_secrets
  leader=$(leader_member) || die "no leader now: nothing to switch over"
  candidate=${1:-$(members | tr ' ' '\n' | grep -vx "$leader" | head -n 1)}
  is_member "$candidate" && [ "$candidate" != "$leader" ] || die "switchover: the candidate is the other member"
  log "switchover: $leader -> $candidate"
  curl -fsS --max-time 60 -u "patroni:$PATRONI_RESTAPI_PASSWORD" -X POST -H 'Content-Type: application/json' \
    -d "{\"leader\":\"$leader\",\"candidate\":\"$candidate\"}" "http://127.0.0.1:$(member_api_port "$leader")/switchover" >&2
  echo >&2
  wait_for 60 "$candidate leading" is_leader "$candidate"
  explain=$leader wait_for 120 "$leader back as a standby" member_ready "$leader"
  log "switchover done: $candidate leads"
}
is_leader() { [ "$(leader_member)" = "$1" ]; }

stop_node() {
  local node=$1 pid
  is_node "$node" || die "unknown node $node"
  [ "$(state_of "$node")" = frozen ] && signal_node "$node" CONT
  case "$node" in
    service-db-replica)
      pid=$(replica_guard_pid); [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
      [ "$(state_of "$node")" = down ] || "$pg_node" stop "$(pg_dir "$node")" ;;
    *)
      local pids
      pid=$(pid_of "$node" 2>/dev/null) || true
      pids=$(node_pids "$node") # nginx's workers too: if its master must be killed, they would outlive it
      if [ -n "${pid:-}" ] && kill -TERM "$pid" 2>/dev/null; then
        # Patroni stops its PostgreSQL first (a fast shutdown, which may take a checkpoint); stop_grace: tenths of a second
        for _ in $(seq 1 "${stop_grace:-300}"); do alive "$pid" || break; sleep 0.1; done
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
      fi
      # a member's PostgreSQL outlives a Patroni that was killed: stop it too
      if is_member "$node" && [ -f "$(pg_dir "$node")/postmaster.pid" ]; then
        "$pg_node" stop "$(pg_dir "$node")" 2>/dev/null || true
      fi
      rm -f "$run/$node.pid" ;;
  esac
}

kill_node() {
  local node=$1
  is_node "$node" || die "unknown node $node"
  case "$node" in
    service-db-replica)
      local guard; guard=$(replica_guard_pid); [ -z "$guard" ] || kill -KILL "$guard" 2>/dev/null || true
      "$pg_node" kill "$(pg_dir "$node")" ;;
    *) local pids; pids=$(node_pids "$node")
       # shellcheck disable=SC2086
       [ -z "$pids" ] || { kill -KILL $pids 2>/dev/null || true; while alive $pids; do sleep 0.05; done; } ;;
  esac
  log "$node killed"
}

signal_node() { # signal_node NODE STOP|CONT
  local node=$1 signal=$2 pids
  is_node "$node" || die "unknown node $node"
  pids=$(node_pids "$node")
  [ -n "$pids" ] || die "$node is not running"
  # shellcheck disable=SC2086
  kill -"$signal" $pids
  log "$node $([ "$signal" = STOP ] && echo frozen || echo thawed)"
}

down() {
  local node leader
  stop_monitoring
  leader=$(leader_member 2>/dev/null) || leader=""
  for node in $(nodes | tr ' ' '\n' | tac); do
    # the leader after its standby (a leader stopped first hands the lead over on its way out), etcd last
    [ "$node" = "$leader" ] || [ "$node" = etcd ] || stop_node "$node"
  done
  [ -z "$leader" ] || stop_node "$leader"
  stop_node etcd
  if [ "${1:-}" = -v ]; then rm -rf "$(pg_base)" "$BALANCE_HOME"; log "stopped; data, logs and secrets deleted"; else log "stopped (data kept; down -v deletes it)"; fi
}

status() {
  local node
  printf '%-20s %-8s %-7s %s\n' NODE PID STATE ADDRESS
  local state pid
  for node in $(nodes); do
    state=$(state_of "$node")
    pid=-; [ "$state" = down ] || pid=$(pid_of "$node")
    printf '%-20s %-8s %-7s %s\n' "$node" "$pid" "$state" "$(address_of "$node")"
  done
  monitoring_status
  local cache; cache=$(cds_opts)
  echo "instances' JVM: $("$(instance_java)" -version 2>&1 | head -1), $java_opts ${cache:-(no class cache yet: up makes it)}"
  echo
  echo "HAProxy's view (http://127.0.0.1:$stats_port/):"
  haproxy_csv 2>/dev/null | awk -F, '$1 ~ /^(write|read)$/ && $2 !~ /^(FRONTEND|BACKEND)$/ {
      printf "  %-6s %-20s %-6s %-5s check %s %sms\n", $1, $2, $18, ($21 == 1 ? "backup" : ""), $37, $39 }' \
    || echo "  (haproxy is not answering)"
  echo
  local access=$logs_dir/nginx-access.log
  echo "nginx's view (last 100 requests in $access):"
  if [ -s "$access" ]; then
    # one JSON object a line (nginx.conf.template, log_format balance); a line that is not one is skipped
    tail -n 100 "$access" | python3 -c '
import collections, json, sys
counts = collections.Counter()
for line in sys.stdin:
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    counts[(entry.get("served_by") or "(nginx itself)", str(entry.get("status")))] += 1
for (served_by, status), n in sorted(counts.items()):
    print("  %-20s status %s: %d" % (served_by, status, n))'
    grep -h "temporarily disabled\|no live upstreams" "$logs_dir/nginx.log" 2>/dev/null | tail -n 3 |
      sed -E 's/^([0-9/]+ [0-9:]+) .*\] [^ ]+ (.*) while .*upstream: "([^"]*)".*/  recent: \1 \2 \3/' || true
  else
    echo "  (no requests yet)"
  fi
  echo
  echo "Patroni cluster service-db (etcd $(state_of etcd)):"
  patroni_cluster | sed 's/^/  /'
  echo "  $(pair_protection)"
  echo
  echo "Logical replication (publication users_pub on the leader -> subscription users_sub on service-db-replica):"
  if leader_member >/dev/null; then
    node_psql service-db -d users -At -c \
      "SELECT 'walsender ' || application_name || ' ' || state || ', lag ' ||
              pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)) || ', replay_lag ' || coalesce(replay_lag::text, '0')
         FROM pg_stat_replication" 2>/dev/null | sed 's/^/  /' | grep . || echo "  no subscriber connected"
  else
    echo "  service-db has no leader now"
  fi
  if [ "$(state_of service-db-replica)" = up ]; then
    node_psql service-db-replica -d users -At -F ' ' -c \
      "SELECT 'subscription ' || s.subname || (CASE WHEN s.subenabled THEN ' enabled' ELSE ' DISABLED' END)
              || ', apply worker ' || coalesce(w.pid::text || ' ' || coalesce(w.received_lsn::text, '-'), 'not running')
              || ', applied up to ' || coalesce(o.remote_lsn::text, '-')
         FROM pg_subscription s
         LEFT JOIN pg_stat_subscription w ON w.subid = s.oid AND w.relid IS NULL
         LEFT JOIN pg_replication_origin_status o ON o.external_id = 'pg_' || s.oid" 2>/dev/null | sed 's/^/  /'
  fi
  local guard_state; guard_state=$(pg_dir service-db-replica).guard
  if [ -n "$(replica_guard_pid)" ]; then
    # shellcheck disable=SC1090
    [ -f "$guard_state" ] && (. "$guard_state"; echo "  replica guard: following ${follow:-?} on timeline ${timeline:-?}${parked:+, PARKED (no leader known since $(date -d "@$parked" '+%T'))}; last re-seed: ${reseeded:-never}")
  else
    echo "  replica guard: NOT RUNNING (the subscription will not follow a failover: ./balance start service-db-replica)"
  fi
  echo
  # what the instances measure themselves (GET /db): the replica's lag end to end and where reads go now
  echo "Reads (each instance's view, GET /db):"
  local i port line
  for i in $(seq 1 "$instances"); do
    port=$(instance_port "users-backend-$i")
    line=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/db" 2>/dev/null) && sed -E \
      -e 's/.*"replica":\{([^}]*)\}.*"route":\{"target":"([^"]*)","reason":"([^"]*)"\}.*/\2 (\3) REPLICA \1/' \
      -e 's/"lagSeconds":([0-9.E-]+)/lag \1 s/; s/"maxStalenessSeconds":([0-9.]+)/bound \1 s/' \
      -e 's/"appliedPosition":"([^"]*)"/applied \1/; s/"subscriptionEnabled":(true|false)/subscription enabled: \1/' \
      -e 's/"node":"([^"]*)"/\1/; s/"detail":"([^"]*)"/(\1)/; s/,/, /g' \
      -e "s/^/  users-backend-$i: reads on the /; s/ REPLICA /; replica /" <<<"$line" || echo "  users-backend-$i: not answering"
  done
  echo
  budget_report
}

# Whether a lost leader would fail over now: the standby is the synchronous standby in etcd and caught up. From a
# standby's return until then (measured in docs/architecture.md), Patroni promotes nobody.
pair_protection() {
  local leader standby verdict
  leader=$(leader_member) || { echo "pair: no leader"; return 0; }
  standby=$(members | tr ' ' '\n' | grep -vx "$leader")
  if verdict=$(member_ready "$standby" --now); then
    echo "pair: protected (${verdict#protected: })"
  else
    echo "pair: NOT protected, a leader lost now would not fail over (${verdict#not ready: })"
  fi
}
patroni_cluster() { # member, role, state, timeline, lag, and whether it holds the logical replica's slot
  local member json="" slot
  for member in $(members); do json=$(patroni_get "$member" /cluster 2>/dev/null) && break; done
  [ -n "$json" ] || { echo "no member's REST API answers"; return 0; }
  printf '%-14s %-13s %-10s %-8s %-10s %s\n' MEMBER ROLE STATE TIMELINE LAG_MB USERS_SUB_SLOT
  python3 -c '
import json, sys
cluster = json.loads(sys.argv[1])
for m in cluster.get("members", []):
    lag = m.get("lag", "")
    lag = "" if lag in ("", None) else (str(round(lag / 1048576, 1)) if isinstance(lag, int) else str(lag))
    print(m["name"], m.get("role", "?"), m.get("state", "?"), m.get("timeline", "-"), lag or "-")
' "$json" | while read -r member role state timeline lag; do
    slot=$(timeout 2 "$pg_node" psql "$(pg_dir "$member")" -d postgres -At -c \
      "SELECT coalesce(max(confirmed_flush_lsn::text), 'present') FROM pg_replication_slots WHERE slot_name = 'users_sub'
       HAVING count(*) > 0" 2>/dev/null) || slot="?"
    printf '%-14s %-13s %-10s %-8s %-10s %s\n' "$member" "$role" "$state" "$timeline" "$lag" "${slot:-missing}"
  done
  python3 -c 'import json, sys; c = json.loads(sys.argv[1]); print("failsafe mode active (etcd unreachable)" if c.get("failsafe") else "", end="")' "$json" | grep . || true
}

# ./balance replication disable|enable|freeze|thaw: stop logical replication the ways it stops in real life (a
# subscription disabled, an apply worker that hangs) to watch reads leave the stale replica and come back.
replication() {
  local action=$1 pid
  [ "$(state_of service-db-replica)" = up ] || die "service-db-replica is $(state_of service-db-replica)"
  case "$action" in
    disable|enable)
      node_psql service-db-replica -d users -c "ALTER SUBSCRIPTION users_sub ${action^^}"
      log "subscription users_sub ${action}d" ;;
    freeze|thaw)
      pid=$(node_psql service-db-replica -d users -At -c \
        "SELECT pid FROM pg_stat_subscription WHERE subname = 'users_sub' AND relid IS NULL AND pid IS NOT NULL")
      [ -n "$pid" ] || die "no apply worker runs (subscription disabled?)"
      # only a child of the replica's postmaster: never signal anything else
      [ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = "$(pid_of service-db-replica)" ] || die "pid $pid is not the replica's"
      kill -"$([ "$action" = freeze ] && echo STOP || echo CONT)" "$pid"
      log "apply worker $pid $([ "$action" = freeze ] && echo frozen || echo thawed)" ;;
    *) die "usage: balance replication disable|enable|freeze|thaw" ;;
  esac
}

node_psql() { # node_psql NODE ARGS...: service-db is whichever member leads now
  local node=$1
  case "$node" in
    service-db) node=$(leader_member) || die "psql: service-db has no leader now (./balance status)" ;;
    service-db-1|service-db-2|service-db-replica) ;;
    *) die "psql: service-db (the leader), service-db-1, service-db-2 or service-db-replica" ;;
  esac
  "$pg_node" psql "$(pg_dir "$node")" "${@:2}"
}

logs() {
  local node=$1 file
  case "$node" in
    service-db-replica) file=$(pg_dir "$node")/server.log ;;
    *) file=$logs_dir/$node.log ;;
  esac
  [ -f "$file" ] || die "no log for $node ($file)"
  if [ "${2:-}" = -f ]; then tail -n 50 -f "$file"; else tail -n 200 "$file"; fi
}

demo_scenarios="failover-replica freeze-replica leader-killed leader-frozen standby-killed etcd-killed switchover kill-service freeze-service"
# demo SCENARIO[,SCENARIO...]|all [ROUNDS]: the scenarios in turn, ROUNDS times over on the one running topology; with
# more than one run, the spread of each scenario's figures at the end (from the RESULT lines, kept in
# $BALANCE_HOME/timelines/demo-results.tsv). Exits 1 when any run violated the failure contract.
demo() {
  local scenarios=$1 rounds=${2:-1} classes round status=0 name results=$BALANCE_HOME/timelines/demo-results.tsv
  [ "$scenarios" = all ] && scenarios=${demo_scenarios// /,}
  for name in ${scenarios//,/ }; do
    if [ "$name" = list ] || ! grep -qw -- "$name" <<<"$demo_scenarios"; then
      echo "scenarios: $demo_scenarios, or all (the topology must be up: ./balance up)"; [ "$name" = list ]; return
    fi
  done
  [ "$rounds" -ge 1 ] 2>/dev/null || die "usage: balance demo SCENARIO[,SCENARIO...]|all [ROUNDS]"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$nginx_port/host")" = 200 ] || die "the topology is not up: ./balance up"
  # where to watch it as it happens (the ops page's charts, or ./balance top)
  if monitor_pid prometheus >/dev/null; then
    log "watch it on the ops page: $ops_url (or in a terminal: ./balance top)"
  else
    log "no monitoring running, so no ops page to watch it on (./balance up starts it)"
  fi
  classes=$(load_classes)
  mkdir -p "$BALANCE_HOME/timelines"
  : > "$results"
  local demo_started=$EPOCHSECONDS
  for round in $(seq 1 "$rounds"); do
    [ "$rounds" -eq 1 ] || log "round $round of $rounds: $scenarios"
    BALANCE_HOME=$BALANCE_HOME BALANCE_PORT_OFFSET=$offset \
      java -cp "$classes" org.acme.balance.scenario.FailoverDemo "$scenarios" "$BALANCE_HOME/timelines" \
      | tee >(grep $'^RESULT\t' | sed "s/^/$round\t/" >> "$results") || status=1
  done
  [ "$rounds" -eq 1 ] || demo_spread "$results"
  # what the alert rules made of it, in order, from Prometheus' ALERTS (after one more evaluation: a rule with a
  # "for:" of its own may still be pending)
  if monitor_pid prometheus >/dev/null; then
    sleep 5
    python3 "$root/infra/balance/alert-history.py" --prometheus "http://127.0.0.1:$prometheus_port" \
      --start "$demo_started" --end "$EPOCHSECONDS" || true
  fi
  return $status
}
# demo_spread FILE: per scenario, how many runs held the contract, and median / min / max of its figures (ms)
demo_spread() {
  printf '\n%-17s %-7s %-26s %-26s %-26s\n' scenario held "write failover ms" "writes back ms" "rejoined ms"
  printf '%-17s %-7s %-26s %-26s %-26s\n' "" "" "median / min / max" "median / min / max" "median / min / max"
  local name
  for name in $demo_scenarios; do
    awk -F'\t' -v s="$name" '$3 == s' "$1" | grep -q . || continue
    printf '%-17s %-7s %-26s %-26s %-26s\n' "$name" \
      "$(awk -F'\t' -v s="$name" '$3 == s { n++; if ($4 == "held") h++ } END { printf "%d/%d", h, n }' "$1")" \
      "$(spread_of "$1" "$name" 5)" "$(spread_of "$1" "$name" 6)" "$(spread_of "$1" "$name" 12)"
  done
}
spread_of() { # spread_of FILE SCENARIO FIELD: "median / min / max" of a RESULT field over the runs that measured it
  awk -F'\t' -v s="$2" -v f="$3" '$3 == s && $f >= 0 { print $f }' "$1" | sort -n | awk '
    { v[NR] = $1 } END { if (NR == 0) { print "-"; exit } printf "%d / %d / %d", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
