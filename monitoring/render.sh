#!/bin/sh
# Render Prometheus' configuration into a directory: prometheus.yml (from prometheus.yml.template), alerts.yml, and
# budget-rules.yml (the connection budget of each PostgreSQL node, for the alert ConnectionsOverBudget).
# Used by the local runner (infra/balance/monitoring.sh) and by the compose stack's Prometheus container at its start
# (docker-compose-balance.yml), with its containers' addresses.
#   monitoring/render.sh OUTDIR
# Environment (targets: "node=host:port ...", the topology's node names):
#   USERS_TARGETS HAPROXY_TARGETS NGINX_EXPORTER_TARGETS NGINX_ACCESS_TARGETS POSTGRES_TARGETS PATRONI_TARGETS
#   ETCD_TARGETS PROMETHEUS_SELF_TARGETS
#   PROMETHEUS_SCRAPE_INTERVAL [15s]  (the runner: 2s, a live view)
#   USERS_BUDGET_PRIMARY_MAX_CONNECTIONS USERS_BUDGET_PRIMARY_RESERVED USERS_BUDGET_REPLICA_MAX_CONNECTIONS
#   USERS_BUDGET_REPLICA_RESERVED   [infra/balance/budget.env's]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: render.sh OUTDIR}
mkdir -p "$out"
budget_env=$here/../infra/balance/budget.env
budget() { # budget NAME: the environment's value, else budget.env's
  eval "value=\${$1:-}"
  # shellcheck disable=SC2154
  [ -n "$value" ] || value=$(sed -n "s/^$1=//p" "$budget_env" | tail -n 1)
  echo "${value:?$1 is not set (infra/balance/budget.env)}"
}

targets() { # targets "node=host:port ...": static_configs entries, one per target with its node label
  for target in $1; do
    printf '      - targets: ["%s"]\n        labels: {node: %s}\n' "${target#*=}" "${target%%=*}"
  done
}
postgres_nodes=$(for target in ${POSTGRES_TARGETS:-}; do echo "${target%%=*}"; done)
export PROMETHEUS_SCRAPE_INTERVAL="${PROMETHEUS_SCRAPE_INTERVAL:-15s}"
# a scrape never overlaps the next one
export PROMETHEUS_SCRAPE_TIMEOUT="${PROMETHEUS_SCRAPE_TIMEOUT:-$PROMETHEUS_SCRAPE_INTERVAL}"
for list in PROMETHEUS_SELF_TARGETS USERS_TARGETS HAPROXY_TARGETS NGINX_EXPORTER_TARGETS NGINX_ACCESS_TARGETS \
            POSTGRES_TARGETS PATRONI_TARGETS ETCD_TARGETS; do
  eval "value=\${$list:?$list must list the targets (node=host:port ...)}"
  export "$list=$(targets "$value")"
done
envsubst '${PROMETHEUS_SCRAPE_INTERVAL} ${PROMETHEUS_SCRAPE_TIMEOUT} ${PROMETHEUS_SELF_TARGETS} ${USERS_TARGETS} ${HAPROXY_TARGETS} ${NGINX_EXPORTER_TARGETS} ${NGINX_ACCESS_TARGETS} ${POSTGRES_TARGETS} ${PATRONI_TARGETS} ${ETCD_TARGETS}' \
  < "$here/prometheus.yml.template" > "$out/prometheus.yml"
cp "$here/alerts.yml" "$out/alerts.yml"

# What each node leaves the instances: max_connections minus the reserve (docs/operations.md, "Connection budget")
primary=$(( $(budget USERS_BUDGET_PRIMARY_MAX_CONNECTIONS) - $(budget USERS_BUDGET_PRIMARY_RESERVED) ))
replica=$(( $(budget USERS_BUDGET_REPLICA_MAX_CONNECTIONS) - $(budget USERS_BUDGET_REPLICA_RESERVED) ))
{
  echo "# rendered by monitoring/render.sh from infra/balance/budget.env: each node's connection budget"
  echo "groups:"
  echo "  - name: balance-budget"
  echo "    rules:"
  for node in $postgres_nodes; do
    case "$node" in *replica*) n=$replica ;; *) n=$primary ;; esac
    echo "      - {record: \"balance:connection_budget\", expr: \"vector($n)\", labels: {node: $node}}"
  done
} > "$out/budget-rules.yml"
