#!/usr/bin/env bash
# Entrypoint of the PostgreSQL image (compose services service-db and service-db-replica): the same pg-node.sh
# and SQL as the local runner and the tests.
#   pg-container.sh primary|replica
# Environment: PGDATA, PG_CLIENT_CIDR (the compose network), PG_CHECK_CIDR (HAProxy's address), the secrets of
# pg-node.sh, and for the replica USERS_PRIMARY_HOST / USERS_PRIMARY_PORT.
set -euo pipefail
role=${1:?primary|replica}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
data=${PGDATA:-/var/lib/postgresql/data}
case "$role" in
  primary) name=service-db ;;
  replica) name=service-db-replica ;;
  *) echo "pg-container: primary or replica" >&2; exit 2 ;;
esac

if [ ! -f "$data/PG_VERSION" ]; then
  PG_LISTEN='*' "$here/pg-node.sh" init "$data" 5432 "$name"
fi
# After a docker kill the lock files (data directory, socket) name the old postmaster's PID, which in this new
# container may be ours or our parent's: PostgreSQL would take them for a running server. No other server can
# use this volume: drop them.
rm -f "$data/postmaster.pid" "$data"/.s.PGSQL.*
# Bootstrap on every start: it is idempotent and applies changed secrets. Meanwhile the server listens on its
# socket only, so the TCP healthcheck turns healthy only once the node is fully set up.
PG_START_OPTIONS="-c listen_addresses=" "$here/pg-node.sh" start "$data"
"$here/pg-node.sh" bootstrap "$data" "$role"
"$here/pg-node.sh" stop "$data"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
exec "$PG_BIN/postgres" -D "$data"
