#!/usr/bin/env bash
# One PostgreSQL node of the topology: create, start, stop, kill, bootstrap.
# The test fixture, the local runner and the container images all call this file,
# so every node is configured and bootstrapped the same way.
#
#   pg-node.sh init      DATADIR PORT CLUSTER_NAME   initdb + config (wal_level=logical)
#   pg-node.sh start     DATADIR                     start and wait until it accepts connections
#                                                    (PG_START_OPTIONS: extra server options, e.g. -c listen_addresses=)
#   pg-node.sh stop      DATADIR                     fast shutdown
#   pg-node.sh kill      DATADIR                     SIGKILL the postmaster and its children (a crash)
#   pg-node.sh freeze    DATADIR                     SIGSTOP them (a hung host: connections open, nothing answers)
#   pg-node.sh thaw      DATADIR                     SIGCONT them
#   pg-node.sh bootstrap DATADIR primary|replica     roles, database, schema, publication/subscription
#   pg-node.sh hba       FILE                        write pg_hba.conf there (Patroni's members use it too)
#   pg-node.sh psql      DATADIR [psql args...]      superuser psql over the node's own socket
#
# Settings come from the environment (defaults in brackets):
#   PG_LISTEN [127.0.0.1]  PG_CLIENT_CIDR [127.0.0.1/32]  PG_CHECK_CIDR [127.0.0.1/32] (health-check role, space-separated)
#   PG_SUPERUSER_PASSWORD (init)  USERS_DB [users]
#   USERS_OWNER_PASSWORD USERS_WRITER_PASSWORD USERS_READER_PASSWORD USERS_REPLICATOR_PASSWORD (bootstrap)
#   USERS_MONITOR_PASSWORD [empty: the monitoring role users_monitor cannot log in with a password] (bootstrap)
#   USERS_PRIMARY_HOSTS [127.0.0.1] USERS_PRIMARY_PORTS (bootstrap replica: the primary's members, comma-separated,
#   where the subscription connects)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$PG_BIN/postgres" ] || { echo "pg-node: PostgreSQL server binaries not found (apt-get install postgresql-15)" >&2; exit 1; }

# PostgreSQL refuses to run as root: drop to the postgres account when we are root.
as_pg() { # (from /, which the postgres account can always enter)
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

conf_value() { # conf_value DATADIR KEY -> last value set in postgresql.conf
  sed -nE "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*'?([^' #]*)'?.*/\1/p" "$1/postgresql.conf" | tail -n 1
}

# node_psql DATADIR args... : superuser over the node's unix socket: in the data directory, or where postgresql.conf
# puts it (a Patroni member's is beside its data directory)
node_psql() {
  local dir=$1 socket; shift
  socket=$(conf_value "$dir" unix_socket_directories)
  PGOPTIONS="-c client_min_messages=warning" as_pg "$PG_BIN/psql" -X -q -h "${socket:-$dir}" -p "$(conf_value "$dir" port)" -U postgres "$@"
}

write_hba() { # write_hba FILE: who may connect, and how. First match wins.
  {
    echo "# --- balance topology (postgres/pg-node.sh) ---"
    echo "local all         postgres                          peer"
    # HAProxy's health-check role may connect without a password, from its address only
    for cidr in ${PG_CHECK_CIDR:-127.0.0.1/32}; do
      echo "host  all         haproxy_check  $cidr  trust"
    done
    echo "host  all         haproxy_check  0.0.0.0/0          reject"
    # (Patroni asks its own server over loopback for the timeline with its replication role)
    echo "host  replication all            127.0.0.1/32       scram-sha-256"
    echo "host  replication all            ${PG_CLIENT_CIDR:-127.0.0.1/32}  scram-sha-256"
    echo "host  all         all            ${PG_CLIENT_CIDR:-127.0.0.1/32}  scram-sha-256"
  } > "$1"
}

cmd=${1:?usage: pg-node.sh init|start|stop|kill|freeze|thaw|bootstrap|psql DATADIR ...}
dir=$(realpath -m "${2:?DATADIR missing}")
shift 2

case "$cmd" in
  init)
    port=${1:?PORT missing}; name=${2:?CLUSTER_NAME missing}
    : "${PG_SUPERUSER_PASSWORD:?PG_SUPERUSER_PASSWORD must be set}"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
    chmod 700 "$dir"
    pwfile=$(mktemp)
    printf '%s\n' "$PG_SUPERUSER_PASSWORD" > "$pwfile"
    if [ "$(id -u)" = 0 ]; then chown postgres "$pwfile"; fi
    as_pg "$PG_BIN/initdb" -D "$dir" -U postgres --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
      --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    cat >> "$dir/postgresql.conf" <<CONF

# --- balance topology (postgres/pg-node.sh) ---
listen_addresses = '${PG_LISTEN:-127.0.0.1}'
port = $port
cluster_name = '$name'
unix_socket_directories = '$dir'
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
# the connection budget counts on it (infra/balance/budget.env, USERS_BUDGET_REPLICA_MAX_CONNECTIONS)
max_connections = 100
shared_buffers = 64MB
password_encryption = scram-sha-256
# a dead client must not hold a backend (and its locks) for long
tcp_keepalives_idle = 10
tcp_keepalives_interval = 5
tcp_keepalives_count = 3
# As a subscriber: a publisher that went silent (a killed or frozen leader) is given up after 5 s, and the apply
# worker connects again after 1 s (to whichever member leads now), not after the default 60 s and 5 s.
wal_receiver_timeout = 5s
wal_retrieve_retry_interval = 1s
CONF
    write_hba "$dir/pg_hba.conf"
    ;;
  hba)
    write_hba "$dir"
    ;;
  start)
    as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 ${PG_START_OPTIONS:+-o "$PG_START_OPTIONS"} start >/dev/null
    ;;
  stop)
    as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null
    ;;
  kill)
    [ -f "$dir/postmaster.pid" ] || exit 0
    pid=$(head -n 1 "$dir/postmaster.pid")
    children=$(pgrep -P "$pid" || true)
    kill -KILL "$pid" $children 2>/dev/null || true
    # wait until the processes are gone, reaped zombies included: a new postmaster refuses to start while
    # kill(old PID, 0) still succeeds, and it does on a zombie
    for _ in $(seq 1 100); do
      kill -0 "$pid" $children 2>/dev/null || break
      sleep 0.05
    done
    ;;
  freeze|thaw)
    pid=$(head -n 1 "$dir/postmaster.pid")
    # the postmaster first on freeze (it forks no new backend), last on thaw
    if [ "$cmd" = freeze ]; then
      kill -STOP "$pid"; kill -STOP $(pgrep -P "$pid") 2>/dev/null || true
    else
      kill -CONT $(pgrep -P "$pid") 2>/dev/null || true; kill -CONT "$pid"
    fi
    ;;
  bootstrap)
    role=${1:?primary|replica missing}
    vars=(-v ON_ERROR_STOP=1 -v "db=${USERS_DB:-users}"
          -v "owner_password=${USERS_OWNER_PASSWORD:?}" -v "reader_password=${USERS_READER_PASSWORD:?}"
          -v "monitor_password=${USERS_MONITOR_PASSWORD:-}")
    case "$role" in
      primary)
        vars+=(-v "writer_password=${USERS_WRITER_PASSWORD:?}" -v "replicator_password=${USERS_REPLICATOR_PASSWORD:?}") ;;
      replica)
        # every member of the primary's Patroni cluster: libpq tries them in turn and keeps the one that is read-write,
        # so the subscription follows the leader across a failover (its slot is there: postgres/patroni.yml)
        conninfo="host=${USERS_PRIMARY_HOSTS:-127.0.0.1} port=${USERS_PRIMARY_PORTS:?} target_session_attrs=read-write dbname=${USERS_DB:-users} user=users_replicator password=${USERS_REPLICATOR_PASSWORD:?} connect_timeout=2"
        vars+=(-v "primary_conninfo=$conninfo") ;;
      *) echo "pg-node: bootstrap takes primary or replica" >&2; exit 2 ;;
    esac
    # psql reads the file itself, so \ir finds common.sql beside it. As root, psql runs as postgres, which may
    # not reach this checkout (under /root, say): hand it a readable copy.
    sql=$here/sql
    if [ "$(id -u)" = 0 ]; then
      sql=$(mktemp -d); cp "$here"/sql/*.sql "$sql"; chmod -R a+rX "$sql"
      trap 'rm -rf "$sql"' EXIT
    fi
    node_psql "$dir" -d postgres "${vars[@]}" -f "$sql/$role.sql"
    ;;
  psql)
    node_psql "$dir" "$@"
    ;;
  *)
    echo "pg-node: unknown command $cmd" >&2; exit 2 ;;
esac
