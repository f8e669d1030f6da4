#!/usr/bin/env bash
# Entrypoint of the PostgreSQL image (compose services etcd, service-db-1, service-db-2, service-db-replica): the same
# scripts and SQL as the local runner and the tests.
#   pg-container.sh member NAME   a member of the primary's Patroni cluster (postgres/patroni-member.sh); its data
#                                 directory is $PGDATA/pgdata, inside the volume (Patroni may replace it whole)
#   pg-container.sh replica       the logical replica, and its guard (postgres/replica-guard.sh)
#   pg-container.sh etcd          the etcd Patroni keeps its leader key in (data in $PGDATA/etcd)
# Environment: PGDATA (the volume), PG_CLIENT_CIDR (the compose network), PG_CHECK_CIDR (HAProxy's address), the
# secrets of pg-node.sh; for a member those of patroni-member.sh (ETCD_HOSTS, MEMBER_*), for the replica
# USERS_PRIMARY_HOSTS / USERS_PRIMARY_PORTS (the members).
set -euo pipefail
role=${1:?member NAME|replica|etcd}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
volume=${PGDATA:-/var/lib/postgresql/data}

case "$role" in
  member)
    name=${2:?member NAME}
    # After a docker kill the lock files name the old processes' PIDs, which in this new container may be ours:
    # no other server can use this volume, drop them (Patroni then recovers the data directory as it finds it).
    rm -f "$volume/pgdata/postmaster.pid" "$volume/pgdata.sock"/.s.PGSQL.*
    exec "$here/patroni-member.sh" "$name" "$volume/pgdata" ;;
  etcd)
    exec "$here/etcd-member.sh" "$volume/etcd" 0.0.0.0 "${ETCD_ADDRESS:?}" 2379 2380 ;;
  replica) ;;
  *) echo "pg-container: member NAME, replica or etcd" >&2; exit 2 ;;
esac

data=$volume
if [ ! -f "$data/PG_VERSION" ]; then
  PG_LISTEN='*' "$here/pg-node.sh" init "$data" 5432 service-db-replica
fi
# After a docker kill the lock files (data directory, socket) name the old postmaster's PID, which in this new
# container may be ours or our parent's: PostgreSQL would take them for a running server. No other server can
# use this volume: drop them.
rm -f "$data/postmaster.pid" "$data"/.s.PGSQL.*
# Bootstrap on every start: it is idempotent and applies changed secrets. Meanwhile the server listens on its
# socket only, so the TCP healthcheck turns healthy only once the node is fully set up. The primary's leader may
# still be running its own bootstrap (the database, the slot): try again for a while.
PG_START_OPTIONS="-c listen_addresses=" "$here/pg-node.sh" start "$data"
for attempt in $(seq 1 60); do
  "$here/pg-node.sh" bootstrap "$data" replica && break
  [ "$attempt" -lt 60 ] || exit 1
  echo "pg-container: the primary is not ready for the subscription yet; again in 2 s" >&2
  sleep 2
done
"$here/pg-node.sh" stop "$data"
# The guard that makes the subscription follow the leader and re-seeds a replica a failover left diverged
# (postgres/replica-guard.sh), for as long as the server runs. It becomes the server's child: wrapped so that it
# ends with status 0 whatever happens, which the postmaster does not take for a crashed backend.
( "$here/replica-guard.sh" "$data"; exit 0 ) &
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
exec "$PG_BIN/postgres" -D "$data"
