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
#          HAProxy write 5000 / read 5001 / stats 7000, service-db 15432, service-db-replica 15433 (5432 is left to a
#          system PostgreSQL). Everything listens on 127.0.0.1 only; nginx is the one meant to be reached.
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
primary_port=$((15432 + offset))
replica_port=$((15433 + offset))
app_dir=$root/users-service/target/quarkus-app
jar=$app_dir/quarkus-run.jar
java_opts=${BALANCE_JAVA_OPTS:--XX:+UseSerialGC -Xms32m -Xmx128m}
run=$BALANCE_HOME/run
logs_dir=$BALANCE_HOME/logs
pg_node=$root/postgres/pg-node.sh
secret_names=(PG_SUPERUSER_PASSWORD USERS_OWNER_PASSWORD USERS_WRITER_PASSWORD USERS_READER_PASSWORD USERS_REPLICATOR_PASSWORD)

log() { printf 'balance: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

deps() {
  local missing=()
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql-15)
  command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
  command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
  command -v nginx >/dev/null 2>&1 || missing+=(nginx)
  # njs: nginx checks every request target and header value before proxying (nginx/edge.js)
  [ -f /usr/lib/nginx/modules/ngx_http_js_module.so ] || missing+=(libnginx-mod-http-js)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v envsubst >/dev/null 2>&1 || missing+=(gettext-base)
  command -v gnuplot >/dev/null 2>&1 || missing+=(gnuplot-nox)
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  for tool in curl unzip pgrep; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  if [ ${#missing[@]} -gt 0 ]; then
    missing=("${missing[@]/pgrep/procps}")
    log "installing ${missing[*]}"
    sudo_if_needed apt-get update -qq
    # No system services are needed: the runner starts its own PostgreSQL, HAProxy and nginx on other ports.
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# ---- nodes ----------------------------------------------------------------------------------------
nodes() {
  echo service-db service-db-replica haproxy
  for i in $(seq 1 "$instances"); do echo "users-backend-$i"; done
  echo nginx
}
is_node() { nodes | tr ' ' '\n' | grep -qx -- "$1"; }
instance_port() { echo $((8080 + offset + ${1#users-backend-})); }
management_port() { echo $((9080 + offset + ${1#users-backend-})); }
pg_base() { # where the data directories live: under BALANCE_HOME, unless PostgreSQL's account cannot reach it
  if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$BALANCE_HOME"; then
    # root's checkout under /root, say: the server runs as postgres and needs every directory above its data
    echo "/var/tmp/balance-pg-$(printf %s "$BALANCE_HOME" | md5sum | cut -c1-12)"
  else
    echo "$BALANCE_HOME/pg"
  fi
}
pg_dir() { echo "$(pg_base)/$1"; }

pid_of() { # the main PID of a node, if it has one recorded and that PID is still the node's program
  local file program pid
  case "$1" in
    service-db|service-db-replica) file=$(pg_dir "$1")/postmaster.pid; program=postgres ;;
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
  pid=$(pid_of "$1" 2>/dev/null) || return 0
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  echo "$pid" $(pgrep -P "$pid" || true)
}
address_of() {
  case "$1" in
    service-db) echo "127.0.0.1:$primary_port" ;;
    service-db-replica) echo "127.0.0.1:$replica_port" ;;
    haproxy) echo "127.0.0.1:$write_port (write) 127.0.0.1:$read_port (read) 127.0.0.1:$stats_port (stats)" ;;
    nginx) echo "127.0.0.1:$nginx_port (HTTP) 127.0.0.1:$nginx_tls_port (HTTPS)" ;;
    users-backend-*) echo "127.0.0.1:$(instance_port "$1") (API) 127.0.0.1:$(management_port "$1") (management)" ;;
  esac
}

load_secrets() {
  local file=$BALANCE_HOME/secrets.env name
  if [ ! -f "$file" ]; then
    (umask 077; for name in "${secret_names[@]}"; do
      echo "$name=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"; done > "$file")
  fi
  # values already in the environment win over the generated ones
  while IFS='=' read -r name value; do
    [ -n "${!name:-}" ] || export "$name=$value"
  done < "$file"
}

# Start a process in its own session, detached from our terminal and pipes, and record its PID.
spawn() { # spawn NAME COMMAND...
  local name=$1; shift
  mkdir -p "$run" "$logs_dir"
  nohup setsid "$@" </dev/null >>"$logs_dir/$name.log" 2>&1 &
  echo $! > "$run/$name.pid"
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$what: not ready after ${seconds}s (see ./balance logs)"
    sleep 0.2
  done
}
http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }
haproxy_csv() { curl -fsS --max-time 2 "http://127.0.0.1:$stats_port/;csv"; }
haproxy_sees_up() { haproxy_csv | grep -q "^write,service-db,.*,UP,"; haproxy_csv | grep -q "^read,service-db-replica,.*,UP,"; }

start_db() { # start_db NODE: create and bootstrap on first use, then start
  local node=$1 dir port
  dir=$(pg_dir "$node")
  [ "$node" = service-db ] && port=$primary_port || port=$replica_port
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$(dirname "$dir")"
    chmod 755 "$(dirname "$dir")"
    "$pg_node" init "$dir" "$port" "$node"
  fi
  [ "$(state_of "$node")" = down ] && "$pg_node" start "$dir"
  # bootstrap is idempotent: run it again when the SQL changed since
  if [ ! -f "$dir/.bootstrapped" ] || [ -n "$(find "$root/postgres/sql" -newer "$dir/.bootstrapped")" ]; then
    if [ "$node" = service-db ]; then
      "$pg_node" bootstrap "$dir" primary
    else
      [ "$(state_of service-db)" = up ] || start_db service-db
      USERS_PRIMARY_PORT=$primary_port "$pg_node" bootstrap "$dir" replica
    fi
    touch "$dir/.bootstrapped"
  fi
}

start_haproxy() {
  HAPROXY_WRITE_BIND=127.0.0.1:$write_port HAPROXY_READ_BIND=127.0.0.1:$read_port \
  HAPROXY_STATS_BIND=127.0.0.1:$stats_port SERVICE_DB_ADDR=127.0.0.1:$primary_port \
  SERVICE_DB_REPLICA_ADDR=127.0.0.1:$replica_port \
    spawn haproxy haproxy -db -f "$root/haproxy/haproxy.cfg"
  wait_for 10 haproxy http_ok "http://127.0.0.1:$stats_port/"
}

service_env() { # the environment every service process gets
  # loopback only: nothing but nginx (and this machine's tools) reaches an instance; the management interface on a
  # port of its own (0: any free one, for processes without a fixed port; start_instance gives each its own)
  echo USERS_WRITE_JDBC_URL="jdbc:postgresql://127.0.0.1:$write_port/users" \
       USERS_READ_JDBC_URL="jdbc:postgresql://127.0.0.1:$read_port/users" \
       USERS_WRITER_PASSWORD="$USERS_WRITER_PASSWORD" USERS_READER_PASSWORD="$USERS_READER_PASSWORD" \
       USERS_HTTP_HOST=127.0.0.1 USERS_MANAGEMENT_HOST=127.0.0.1 USERS_MANAGEMENT_PORT=0 \
       USERS_ALLOWED_HOSTS="$(server_names | tr ' ' ',')"
}
server_names() { echo "${NGINX_SERVER_NAMES:-localhost 127.0.0.1}"; }
migrator_env() { # only the migrator holds the owner's and the superuser's credentials
  echo USERS_MIGRATE=true USERS_OWNER_PASSWORD="$USERS_OWNER_PASSWORD" \
       PG_SUPERUSER_PASSWORD="$PG_SUPERUSER_PASSWORD" \
       USERS_MIGRATE_REPLICA_JDBC_URL="jdbc:postgresql://127.0.0.1:$replica_port/users"
}

start_instance() {
  local node=$1 extra=()
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
  port=$((8095 + offset)); mgmt=$((9095 + offset)); base=http://127.0.0.1:$port
  log "training the AOT cache of $($java -version 2>&1 | head -1) (once per build)"
  rm -f "$app_dir/$cache"
  # shellcheck disable=SC2046
  (cd "$app_dir" && exec env $(service_env) USERS_INSTANCE_NAME=aot-training USERS_HTTP_PORT="$port" \
    USERS_MANAGEMENT_PORT="$mgmt" setsid "$java" $java_opts -XX:AOTCacheOutput="$cache" -jar quarkus-run.jar \
    </dev/null >>"$logs_dir/aot-training.log" 2>&1) &
  pid=$!
  wait_for 120 "the training instance" http_ok "http://127.0.0.1:$mgmt/q/health/ready"
  "$root/infra/balance/aot-workload.sh" "$base" "http://127.0.0.1:$mgmt"
  kill -TERM "$pid" 2>/dev/null
  # the JVM assembles the cache as it exits: give it the time it takes
  for i in $(seq 1 600); do alive "$pid" || break; sleep 0.1; done
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
  USERS_BACKENDS=$(backends primary) USERS_BACKUP_BACKENDS=$(backends backup) NGINX_LISTEN=127.0.0.1:$nginx_port \
  NGINX_TLS_LISTEN=127.0.0.1:$nginx_tls_port NGINX_SERVER_NAMES=$(server_names) \
  NGINX_STATE=$BALANCE_HOME/nginx NGINX_ACCESS_LOG=$logs_dir/nginx-access.log NGINX_ERROR_LOG=$logs_dir/nginx.log \
    "$root/nginx/render.sh" "$conf"
  # nginx's workers drop root: let them use their temporary directories
  [ "$(id -u)" = 0 ] && chown -R nobody "$BALANCE_HOME/nginx"/{client_body,proxy,fastcgi,uwsgi,scgi}
  # A master that was killed leaves its pid file: taken for the new master's, it made `down` miss the nginx it had
  # started (and delete its directory under it). Only a pid file written by the process started here counts.
  rm -f "$BALANCE_HOME/nginx/nginx.pid"
  spawn nginx nginx -e "$logs_dir/nginx.log" -c "$conf"
  local spawned; spawned=$(cat "$run/nginx.pid")
  wait_for 10 nginx nginx_master_of "$spawned"
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
    ./mvnw -B -q -pl topology-tests compile >&2
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
    up) return 0 ;;
    frozen) die "$node is frozen: ./balance thaw $node" ;;
  esac
  load_secrets
  case "$node" in
    service-db|service-db-replica) start_db "$node" ;;
    haproxy) start_haproxy ;;
    nginx) start_nginx ;;
    users-backend-*)
      start_instance "$node"
      wait_for 90 "$node" instance_ready "$node" ;;
  esac
  log "$node up"
}

up() {
  deps
  build_if_needed
  load_secrets
  local node started=()
  for node in service-db service-db-replica haproxy; do start_node "$node"; done
  wait_for 15 "HAProxy's view of both database nodes" haproxy_sees_up
  [ "${BALANCE_INSTANCES_MIGRATE:-false}" = true ] || [ -f "$BALANCE_HOME/.migrated-$(stat -c %Y "$jar")" ] || {
    migrate; rm -f "$BALANCE_HOME"/.migrated-*; touch "$BALANCE_HOME/.migrated-$(stat -c %Y "$jar")"; }
  # (instances that migrate themselves find no schema yet: no training then)
  [ "${BALANCE_INSTANCES_MIGRATE:-false}" = true ] || train_aot_cache
  # the instances start together (the JVMs warm up in parallel), then each must become ready
  for node in $(nodes); do
    case "$node" in users-backend-*) [ "$(state_of "$node")" = down ] && { start_instance "$node"; started+=("$node"); } ;; esac
  done
  for node in "${started[@]}"; do
    wait_for 120 "$node" instance_ready "$node"
    log "$node up"
  done
  start_node nginx
  wait_for 15 "nginx" http_ok "http://127.0.0.1:$nginx_port/host"
  cat >&2 <<EOF
balance: the topology is up
  API (nginx)          http://127.0.0.1:$nginx_port/users   (try /host, /db, /chat.html)
  API over TLS         https://127.0.0.1:$nginx_tls_port/users   (self-signed: curl -k, or NGINX_TLS_CERT/KEY)
  HAProxy stats        http://127.0.0.1:$stats_port/
  instances            $(for i in $(seq 1 "$instances"); do printf '127.0.0.1:%s ' "$(instance_port "users-backend-$i")"; done)
  management           $(for i in $(seq 1 "$instances"); do printf '127.0.0.1:%s ' "$(management_port "users-backend-$i")"; done)(/q/health, /q/metrics, /q/openapi; not through nginx)
  databases            service-db 127.0.0.1:$primary_port, service-db-replica 127.0.0.1:$replica_port
  ./balance status | logs NODE | kill NODE | freeze NODE | thaw NODE | start NODE | demo list | down
EOF
}

stop_node() {
  local node=$1 pid
  is_node "$node" || die "unknown node $node"
  [ "$(state_of "$node")" = frozen ] && signal_node "$node" CONT
  case "$node" in
    service-db|service-db-replica)
      [ "$(state_of "$node")" = down ] || "$pg_node" stop "$(pg_dir "$node")" ;;
    *)
      local pids
      pid=$(pid_of "$node" 2>/dev/null) || true
      pids=$(node_pids "$node") # nginx's workers too: if its master must be killed, they would outlive it
      if [ -n "${pid:-}" ] && kill -TERM "$pid" 2>/dev/null; then
        for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
      fi
      rm -f "$run/$node.pid" ;;
  esac
}

kill_node() {
  local node=$1
  is_node "$node" || die "unknown node $node"
  case "$node" in
    service-db|service-db-replica) "$pg_node" kill "$(pg_dir "$node")" ;;
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
  local node
  for node in $(nodes | tr ' ' '\n' | tac); do stop_node "$node"; done
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
    tail -n 100 "$access" | sed -nE 's/.*" ([0-9]{3}) .* served_by=([^ ]*)$/\2 \1/p' | sort | uniq -c |
      awk '{ printf "  %-20s status %s: %d\n", ($2 == "-" ? "(nginx itself)" : $2), $3, $1 }'
    grep -h "temporarily disabled\|no live upstreams" "$logs_dir/nginx.log" 2>/dev/null | tail -n 3 |
      sed -E 's/^([0-9/]+ [0-9:]+) .*\] [^ ]+ (.*) while .*upstream: "([^"]*)".*/  recent: \1 \2 \3/' || true
  else
    echo "  (no requests yet)"
  fi
  echo
  echo "Replication (publication users_pub on service-db -> subscription users_sub on service-db-replica):"
  if [ "$(state_of service-db)" = up ]; then
    node_psql service-db -d users -At -c \
      "SELECT 'walsender ' || application_name || ' ' || state || ', lag ' ||
              pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)) || ', replay_lag ' || coalesce(replay_lag::text, '0')
         FROM pg_stat_replication" 2>/dev/null | sed 's/^/  /' | grep . || echo "  no subscriber connected"
  else
    echo "  service-db is $(state_of service-db)"
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

node_psql() { # node_psql NODE ARGS...
  case "$1" in service-db|service-db-replica) ;; *) die "psql: service-db or service-db-replica" ;; esac
  "$pg_node" psql "$(pg_dir "$1")" "${@:2}"
}

logs() {
  local node=$1 file
  case "$node" in
    service-db|service-db-replica) file=$(pg_dir "$node")/server.log ;;
    *) file=$logs_dir/$node.log ;;
  esac
  [ -f "$file" ] || die "no log for $node ($file)"
  if [ "${2:-}" = -f ]; then tail -n 50 -f "$file"; else tail -n 200 "$file"; fi
}

demo_scenarios="failover-replica freeze-replica failover-primary kill-service freeze-service"
demo() {
  local scenario=$1 classes
  if [ "$scenario" = list ] || ! grep -qw -- "$scenario" <<<"$demo_scenarios"; then
    echo "scenarios: $demo_scenarios (the topology must be up: ./balance up)"; [ "$scenario" = list ]; return
  fi
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$nginx_port/host")" = 200 ] || die "the topology is not up: ./balance up"
  classes=$(load_classes)
  mkdir -p "$BALANCE_HOME/timelines"
  BALANCE_HOME=$BALANCE_HOME BALANCE_PORT_OFFSET=$offset \
    java -cp "$classes" org.acme.balance.scenario.FailoverDemo "$scenario" "$BALANCE_HOME/timelines"
}
