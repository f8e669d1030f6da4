#!/usr/bin/env bash
# One member of the primary's Patroni cluster: writes its pg_hba.conf and Patroni configuration, then becomes
# Patroni (exec), which initialises the cluster (first member), clones the leader (the others) or rejoins
# (pg_rewind after a failover) by itself. The local runner and the container image both start members with it.
#
#   patroni-member.sh NAME DATA_DIR
#
# Environment: ETCD_HOSTS (host:port,...), MEMBER_PG_LISTEN / MEMBER_PG_ADDRESS (host:port PostgreSQL listens on /
# others reach it at), MEMBER_API_LISTEN / MEMBER_API_ADDRESS (Patroni's REST API), the pg_hba settings of
# pg-node.sh (PG_CLIENT_CIDR, PG_CHECK_CIDR), the secrets PG_SUPERUSER_PASSWORD, PG_REPLICATION_PASSWORD,
# PATRONI_RESTAPI_PASSWORD and, for the post-bootstrap SQL, USERS_*_PASSWORD.
# Runs as the account PostgreSQL runs as (never root).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export MEMBER_NAME=${1:?usage: patroni-member.sh NAME DATA_DIR} MEMBER_DATA_DIR=${2:?DATA_DIR missing}
export MEMBER_HOOKS=$here
export PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
: "${ETCD_HOSTS:?}" "${MEMBER_PG_LISTEN:?}" "${MEMBER_PG_ADDRESS:?}" "${MEMBER_API_LISTEN:?}" "${MEMBER_API_ADDRESS:?}"
[ "$(id -u)" != 0 ] || { echo "patroni-member: run as the PostgreSQL account, not root" >&2; exit 2; }

"$here/pg-node.sh" hba "$MEMBER_DATA_DIR.hba.conf"
mkdir -p "$MEMBER_DATA_DIR.sock"
config=$MEMBER_DATA_DIR.patroni.yml
(umask 077; envsubst '$MEMBER_NAME $MEMBER_DATA_DIR $MEMBER_HOOKS $PG_BIN $ETCD_HOSTS $MEMBER_PG_LISTEN
  $MEMBER_PG_ADDRESS $MEMBER_API_LISTEN $MEMBER_API_ADDRESS' < "$here/patroni.yml" > "$config")

# Secrets reach Patroni through its environment only (it knows these names); the file above has none.
export PATRONI_SUPERUSER_PASSWORD=${PG_SUPERUSER_PASSWORD:?} PATRONI_REPLICATION_PASSWORD=${PG_REPLICATION_PASSWORD:?}
export PATRONI_REWIND_PASSWORD=$PG_SUPERUSER_PASSWORD PATRONI_RESTAPI_PASSWORD=${PATRONI_RESTAPI_PASSWORD:?}
exec patroni "$config"
