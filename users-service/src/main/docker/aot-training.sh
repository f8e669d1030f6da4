#!/bin/sh
# Trains the JVM image's AOT cache (JDK 25+), inside the image build (Dockerfile.jvm, stage "train"): a throwaway
# primary and logical replica made by the same script and SQL as every node (postgres/), the one-shot migrator, then
# a serving instance started with -XX:AOTCacheOutput under infra/balance/aot-workload.sh; stopping it writes
# /deployments/app.aot. Nothing else of this stage reaches the image. Run as root (PostgreSQL drops to postgres).
set -eu
node=/opt/balance/pg-node.sh
data=/tmp/training
# The build runs on the host's network (dockerd has no bridge here): ports no one else uses, not 5432 or 8080,
# which a system PostgreSQL or the local runner's nginx may hold while the image is built.
primary_port=32432 replica_port=32433 http_port=32080 management_port=32090
export PG_SUPERUSER_PASSWORD=training USERS_OWNER_PASSWORD=training USERS_WRITER_PASSWORD=training \
       USERS_READER_PASSWORD=training USERS_REPLICATOR_PASSWORD=training USERS_PRIMARY_PORTS=$primary_port
mkdir -p "$data" && chmod 755 "$data"
"$node" init "$data/primary" "$primary_port" service-db
"$node" init "$data/replica" "$replica_port" service-db-replica
"$node" start "$data/primary"
"$node" bootstrap "$data/primary" primary
"$node" start "$data/replica"
"$node" bootstrap "$data/replica" replica

cd /deployments
export USERS_WRITE_JDBC_URL=jdbc:postgresql://127.0.0.1:$primary_port/users \
       USERS_READ_JDBC_URL=jdbc:postgresql://127.0.0.1:$replica_port,127.0.0.1:$primary_port/users \
       USERS_HTTP_PORT=$http_port USERS_MANAGEMENT_PORT=$management_port
# shellcheck disable=SC2086 # JAVA_OPTS is a list of options
USERS_MIGRATE=true USERS_MIGRATE_ONLY=true USERS_INSTANCE_NAME=migrator USERS_HTTP_PORT=0 \
  USERS_MIGRATE_REPLICA_JDBC_URL=jdbc:postgresql://127.0.0.1:$replica_port/users java $JAVA_OPTS -jar quarkus-run.jar
# shellcheck disable=SC2086
USERS_INSTANCE_NAME=aot-training java $JAVA_OPTS -XX:AOTCacheOutput=app.aot -jar quarkus-run.jar &
pid=$!
i=0
until curl -fs -o /dev/null "http://127.0.0.1:$management_port/q/health/ready"; do
  i=$((i + 1)); [ "$i" -lt 600 ] || { echo "aot-training: the instance never got ready" >&2; exit 1; }
  kill -0 "$pid" || { echo "aot-training: the instance died" >&2; exit 1; }
  sleep 0.2
done
/opt/balance/aot-workload.sh "http://127.0.0.1:$http_port" "http://127.0.0.1:$management_port"
kill -TERM "$pid"
wait "$pid" || true  # the JVM assembles the cache as it exits
"$node" stop "$data/replica"
"$node" stop "$data/primary"
rm -rf "$data"
test -s app.aot || { echo "aot-training: no AOT cache written" >&2; exit 1; }
ls -l app.aot
