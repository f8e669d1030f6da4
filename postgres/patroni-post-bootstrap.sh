#!/usr/bin/env bash
# Patroni's post_bootstrap hook (postgres/patroni.yml): runs once, on the member that initialises the cluster,
# while its server is up and primary. The same bootstrap as every node: roles, databases, schema, publication.
# Patroni passes a connection string; the bootstrap uses the server's own socket instead (peer, as postgres).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$here/pg-node.sh" bootstrap "${MEMBER_DATA_DIR:?}" primary
