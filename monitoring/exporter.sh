#!/bin/sh
# Start one of the exporters Prometheus scrapes, with the flags every way of running the stack shares: the local
# runner (infra/balance/monitoring.sh) and the compose stack's containers (docker-compose-balance.yml) only say where.
#   monitoring/exporter.sh postgres LISTEN              one PostgreSQL node; its connection from the environment:
#                                                       DATA_SOURCE_NAME, or DATA_SOURCE_URI + _USER + _PASS
#   monitoring/exporter.sh nginx LISTEN STUB_STATUS_URL nginx's stub_status
# LISTEN is HOST:PORT (":PORT": every address of a container). The process replaces this script (exec): its PID is the
# exporter's.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kind=${1:?usage: exporter.sh postgres|nginx LISTEN [...]}
listen=${2:?usage: exporter.sh $kind LISTEN [...]}
case "$kind" in
  postgres)
    # the monitoring role users_monitor (pg_monitor, read-only); two connections (the queries, the bgwriter
    # collector), in the connection budget's reserve. No default metrics, no pg_settings scrape, no database sizes:
    # the queries of postgres-queries.yaml and the bgwriter's.
    exec prometheus-postgres-exporter --web.listen-address="$listen" --disable-default-metrics \
      --disable-settings-metrics --no-collector.database --extend.query-path="$here/postgres-queries.yaml" \
      --log.level=warn ;;
  nginx)
    # the exporter reads stub_status once at its start and exits when it cannot: it tries for a minute (nginx may
    # start after it), each try bounded
    exec prometheus-nginx-exporter -web.listen-address="$listen" -nginx.timeout=1s -nginx.retries=60 \
      -nginx.retry-interval=1s -nginx.scrape-uri="${3:?usage: exporter.sh nginx LISTEN STUB_STATUS_URL}" ;;
  *)
    echo "exporter.sh: unknown exporter $kind (postgres, nginx)" >&2; exit 2 ;;
esac
