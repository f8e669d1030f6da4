# The compose path (sourced by ./balance after local.sh): docker-compose-balance.yml, with everything it needs
# made here: Docker itself, and the base image debian:bookworm-slim (debootstrap + docker import) when no
# registry can provide it.
#
#   ./balance compose-up        install Docker if missing, start dockerd if none runs, build, up, wait for nginx
#   ./balance compose-down [-v] stop the stack (-v: and delete the database volumes)
#   ./balance compose-status    the containers, and the Patroni cluster (patronictl list inside a member)
#   ./balance compose-switchover  a planned change of the primary's leader
#   ./balance compose-test      compose-up on its own project, port and subnet, then the monitoring's checks (every
#                               target up, nothing of it published or proxied), the Postman collection and
#                               the failover scenarios (docker kill / pause / a switchover; BALANCE_COMPOSE_SCENARIOS:
#                               all, or a comma-separated list), then tear everything down,
#                               the dockerd it started included
#
# Settings: BALANCE_COMPOSE_PROJECT [balance], BALANCE_HTTP_PORT [8080], BALANCE_HTTPS_PORT [8443] (nginx on the host),
# BALANCE_NET [172.31.89] / BALANCE_SUBNET [172.31.89.0/24] (the containers' network), EXTRA_CA_CERTS (PEM text
# trusted by the build stage; by default this host's own CAs in /usr/local/share/ca-certificates, for networks
# that intercept TLS), secrets from .env (see .env.example).
# The monitoring (the compose file's profile "monitoring": Prometheus, a postgres_exporter per PostgreSQL node, the
# nginx exporter): on unless BALANCE_MONITORING=off (COMPOSE_PROFILES=monitoring, or empty, for every
# docker-compose call but down, which removes it whatever the setting); Prometheus on the host's
# 127.0.0.1:BALANCE_PROMETHEUS_PORT [9190]; BALANCE_MONITORING_INTERVAL [2s], BALANCE_MONITORING_RETENTION [6h].

compose_file=$root/docker-compose-balance.yml

compose() {
  # (set even when off: a COMPOSE_PROFILES of .env must not turn the monitoring on against BALANCE_MONITORING=off)
  COMPOSE_PROFILES=$(monitoring_on && echo monitoring) \
    docker-compose -p "${BALANCE_COMPOSE_PROJECT:-balance}" -f "$compose_file" "$@"
}

docker_packages() { # Docker, docker-compose and debootstrap, installed when missing
  local missing=()
  command -v docker >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_docker() { # ensure_docker [DATA_ROOT]: a dockerd we start keeps its images there (default /var/lib/docker)
  docker_packages
  docker info >/dev/null 2>&1 && return 0
  # No engine running (no systemd here, say): start one that leaves the host's network as it is: no iptables
  # rules, no forwarding, no docker0. Builds use the host's network; the containers talk on their own bridge and
  # nginx is published by docker-proxy.
  log "starting dockerd (stopped again by compose-test; by hand: ./balance compose-down)"
  mkdir -p "$run" "$logs_dir"
  nohup setsid dockerd --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \
    ${1:+--data-root "$1"} --pidfile "$run/dockerd.pid" </dev/null >>"$logs_dir/dockerd.log" 2>&1 &
  wait_for 60 dockerd docker info
}

stop_our_dockerd() {
  local pid
  [ -f "$run/dockerd.pid" ] || return 0
  pid=$(cat "$run/dockerd.pid")
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do alive "$pid" || break; sleep 0.2; done
  fi
  rm -f "$run/dockerd.pid"
  log "dockerd stopped"
}

ensure_base_image() { # ensure_base_image SUITE: debian:SUITE-slim (bookworm: every image; trixie: the JVM's runtime)
  local suite=$1 rootfs
  docker image inspect "debian:$suite-slim" >/dev/null 2>&1 && return 0
  rootfs=$(mktemp -d)
  [ -n "$rootfs" ] && [ -d "$rootfs" ] || die "no temporary directory"
  log "making debian:$suite-slim with debootstrap (no registry needed)"
  debootstrap --variant=minbase "$suite" "$rootfs" http://deb.debian.org/debian >"$logs_dir/debootstrap-$suite.log" 2>&1 \
    || die "debootstrap failed (see $logs_dir/debootstrap-$suite.log)"
  # one list of sources (a newer debootstrap also writes the deb822 form)
  rm -f "$rootfs/etc/apt/sources.list.d/debian.sources"
  printf 'deb http://deb.debian.org/debian %s main\ndeb http://deb.debian.org/debian %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
    "$suite" "$suite" "$suite" > "$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/usr/share/doc/* \
         "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
  tar -C "$rootfs" -c . | docker import - "debian:$suite-slim" >/dev/null
  rm -rf "$rootfs"
}

# Why a compose step failed, on stderr (CI keeps only what was printed): the end of the step's log, the
# containers' states, and the last lines of each one that is not running and healthy.
compose_failure() { # compose_failure WHAT LOG
  local what=$1 step_log=$2 id name state
  log "$what; the end of $step_log:"
  tail -n 30 "$step_log" 2>/dev/null | sed 's/^/    /' >&2
  compose ps >&2 2>&1 || true
  for id in $(compose ps -q 2>/dev/null); do
    name=$(docker inspect -f '{{.Name}}' "$id" 2>/dev/null) || continue
    state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}} exit={{.State.ExitCode}}' "$id" 2>/dev/null)
    # (the monitoring's containers have no healthcheck: running is all they say)
    case "$state" in "running healthy "*|"exited  exit=0"|"running  exit=0") continue ;; esac
    log "container ${name#/} ($state), its last lines:"
    docker logs --tail 25 "$id" 2>&1 | sed 's/^/    /' >&2
  done
  die "$what (the containers' logs: docker-compose -p ${BALANCE_COMPOSE_PROJECT:-balance} -f docker-compose-balance.yml logs)"
}

container_health() { docker inspect -f '{{.State.Health.Status}}' "$(compose ps -q "$1")" 2>/dev/null; }
nginx_healthy() { [ "$(container_health nginx)" = healthy ]; }

compose_up() { # compose_up [DATA_ROOT]
  compose_images "${1:-}"
  compose_start
}

# compose_images [DATA_ROOT]: Docker ready (installed, an engine running) and every image of the stack built
compose_images() {
  mkdir -p "$logs_dir"
  ensure_docker "${1:-}"
  # the two bases at once: each mostly waits on the mirror
  local bookworm trixie
  ensure_base_image bookworm & bookworm=$!
  ensure_base_image trixie & trixie=$!
  wait "$bookworm" || die "could not make debian:bookworm-slim"
  wait "$trixie" || die "could not make debian:trixie-slim"
  if [ -z "${EXTRA_CA_CERTS:-}" ] && ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    EXTRA_CA_CERTS=$(cat /usr/local/share/ca-certificates/*.crt)
    export EXTRA_CA_CERTS
  fi
  log "building the images (docker-compose build$(monitoring_on || echo '; monitoring off: BALANCE_MONITORING=off'))"
  # The service's image (a Maven build and an AOT training: minutes of CPU) beside the others (package downloads),
  # then every service's build, which finds them all made.
  local service started=$SECONDS
  compose build migrator >>"$logs_dir/compose-build-service.log" 2>&1 & service=$!
  compose build etcd haproxy nginx $(monitoring_on && echo prometheus) >>"$logs_dir/compose-build.log" 2>&1 \
    || { wait "$service"; compose_failure "build failed" "$logs_dir/compose-build.log"; }
  wait "$service" || compose_failure "the service's build failed" "$logs_dir/compose-build-service.log"
  compose build >>"$logs_dir/compose-build.log" 2>&1 || compose_failure "build failed" "$logs_dir/compose-build.log"
  log "images built in $((SECONDS - started)) s"
}

# compose_start: the stack up from the images built, waited for until nginx is healthy
compose_start() {
  local started=$SECONDS
  compose up -d >>"$logs_dir/compose-up.log" 2>&1 || compose_failure "up failed" "$logs_dir/compose-up.log"
  (wait_for 180 "nginx in compose" nginx_healthy) || compose_failure "nginx in compose not healthy" "$logs_dir/compose-up.log"
  log "the compose stack is up (started in $((SECONDS - started)) s): http://127.0.0.1:${BALANCE_HTTP_PORT:-8080}/users   (docker-compose -p ${BALANCE_COMPOSE_PROJECT:-balance} -f docker-compose-balance.yml ps)"
  if monitoring_on; then
    log "monitoring: Prometheus http://127.0.0.1:${BALANCE_PROMETHEUS_PORT:-9190}/ (targets: /targets, alerts: /alerts)"
  fi
}

# The Patroni cluster of the compose stack, as Patroni's own tool sees it, run inside a member that answers
patronictl_in_compose() { # patronictl_in_compose ARGS...
  local member
  for member in service-db-1 service-db-2; do
    if [ "$(docker inspect -f '{{.State.Running}} {{.State.Paused}}' "$(compose ps -q "$member")" 2>/dev/null)" = "true false" ]; then
      compose exec -T "$member" patronictl -c /var/lib/postgresql/data/pgdata.patroni.yml "$@"
      return
    fi
  done
  die "no member of service-db is running"
}

compose_status() {
  compose ps
  echo
  patronictl_in_compose list
}

compose_switchover() { # a planned change of leader, to the other member (Patroni's REST API, through patronictl)
  local leader candidate
  leader=$(patronictl_in_compose list -f json | python3 -c 'import json,sys; print(next(m["Member"] for m in json.load(sys.stdin) if m["Role"] == "Leader"))') \
    || die "no leader now"
  candidate=$([ "$leader" = service-db-1 ] && echo service-db-2 || echo service-db-1)
  patronictl_in_compose switchover --leader "$leader" --candidate "$candidate" --force
}

compose_down() {
  if docker info >/dev/null 2>&1; then
    # the monitoring's containers too, whatever BALANCE_MONITORING says now (Compose v2 leaves a profile's alone)
    BALANCE_MONITORING=on compose down --remove-orphans ${1:+"$1"} >/dev/null 2>&1 || true
  fi
  stop_our_dockerd
}

# compose-test's checks of the monitoring (issue #22), once the stack is up: Prometheus answers on the host's loopback
# and scrapes every target (none down within a bound; those down named), stub_status refuses any address but the
# exporter's, and nothing of the monitoring is published (nginx's ports and Prometheus' loopback one alone) or
# answered through nginx (each path a 404 problem+json, over HTTP and HTTPS). Prints what fails; returns 1 then.
compose_prometheus_query() { # compose_prometheus_query QUERY [names]: the result's values, or its series as job/node
  curl -fsS --max-time 2 "http://127.0.0.1:$BALANCE_PROMETHEUS_PORT/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
    python3 -c 'import json, sys
result = json.load(sys.stdin)["data"]["result"]
print(" ".join(r["metric"].get("job", "?") + "/" + r["metric"].get("node", "?") if sys.argv[1:] else r["value"][1]
               for r in result))' "${@:2}"
}
compose_monitoring_check() {
  local prometheus="http://127.0.0.1:$BALANCE_PROMETHEUS_PORT" expected=13 deadline down total problems=0 path code type
  local scheme base id name line
  deadline=$((SECONDS + 90))
  until curl -fsS -o /dev/null --max-time 2 "$prometheus/-/ready" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { log "monitoring: Prometheus does not answer on $prometheus"; return 1; }
    sleep 1
  done
  # every target scraped, none down: 3 instances, HAProxy, the nginx exporter, nginx's own /metrics, 3 postgres_exporters (with
  # pg_up 1: the role logs in), 2 Patroni, etcd, Prometheus itself
  until total=$(compose_prometheus_query 'count(up)') \
        && down=$(compose_prometheus_query 'count(up == 0 or pg_up == 0) or vector(0)') \
        && [ "$total" = "$expected" ] && [ "$down" = 0 ]; do
    if [ $SECONDS -ge $deadline ]; then
      log "monitoring: ${total:-no} targets of $expected scraped; down: $(compose_prometheus_query 'up == 0 or pg_up == 0' names)"
      problems=$((problems + 1)); break
    fi
    sleep 1
  done
  [ "$problems" -gt 0 ] || log "monitoring: Prometheus on $prometheus scrapes $total targets, all up"
  # stub_status answers the nginx exporter alone (nginx_up 1 above), /metrics Prometheus alone (its target up above);
  # another container of the network gets a 403
  for path in /stub_status /metrics; do
    code=$(docker exec "$(compose ps -q service-db-1)" curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
      "http://$BALANCE_NET.30:9191$path" 2>/dev/null)
    [ "$code" = 403 ] || { log "monitoring: nginx's $path answered $code to service-db-1 (403 expected)"; problems=$((problems + 1)); }
  done
  # published: nginx's two ports, and Prometheus' on 127.0.0.1 alone
  for id in $(compose ps -q); do
    name=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$id")
    while read -r line; do
      case "$name: $line" in
        "nginx: 8080/tcp -> "*|"nginx: 8443/tcp -> "*|"prometheus: 9090/tcp -> 127.0.0.1:$BALANCE_PROMETHEUS_PORT"|"$name: ") ;;
        *) log "monitoring: $name publishes $line"; problems=$((problems + 1)) ;;
      esac
    done < <(docker port "$id" 2>/dev/null)
  done
  # through nginx, HTTP and HTTPS: the monitoring's paths are the API's 404 (an instance's problem+json)
  for scheme in http https; do
    base="http://127.0.0.1:$BALANCE_HTTP_PORT"; [ "$scheme" = http ] || base="https://127.0.0.1:$BALANCE_HTTPS_PORT"
    for path in /metrics /stub_status /api/v1/targets '/api/v1/query?query=up' /graph /-/ready /alerts /q/metrics; do
      read -r code type < <(curl -ks -o /dev/null -w '%{http_code} %{content_type}\n' --max-time 5 "$base$path")
      [ "$code" = 404 ] && [[ "$type" == application/problem+json* ]] \
        || { log "monitoring: $base$path answered $code $type (404 problem+json expected)"; problems=$((problems + 1)); }
    done
  done
  [ "$problems" = 0 ] && log "monitoring: nothing of it published but Prometheus on 127.0.0.1, nothing through nginx"
  [ "$problems" = 0 ]
}

# compose-test's own project, port and network (beside anything a developer runs), its Docker data root, and the
# clean-up of all of it when ./balance exits, however it exits
compose_test_setup() {
  export BALANCE_COMPOSE_PROJECT=${BALANCE_COMPOSE_PROJECT:-balance-test} BALANCE_HTTP_PORT=${BALANCE_HTTP_PORT:-18090}
  export BALANCE_HTTPS_PORT=${BALANCE_HTTPS_PORT:-18453} BALANCE_PROMETHEUS_PORT=${BALANCE_PROMETHEUS_PORT:-18190}
  export BALANCE_NET=${BALANCE_NET:-172.31.90} BALANCE_SUBNET=${BALANCE_SUBNET:-172.31.90.0/24}
  # A dockerd of our own gets a throwaway data root: every image is built from nothing, and the host's
  # /var/lib/docker is left as it was. An engine already running is used as it is (with its cache).
  # (Globals: the EXIT trap runs after this function has returned.)
  compose_data_root=""
  docker info >/dev/null 2>&1 || compose_data_root=$(mktemp -d /var/tmp/balance-docker.XXXXXX)
  trap compose_test_cleanup EXIT
}
compose_test_cleanup() {
  if [ -n "${compose_prebuild_pid:-}" ]; then # ./balance test ended before the images were built
    pkill -TERM -P "$compose_prebuild_pid" 2>/dev/null || true
    kill -TERM "$compose_prebuild_pid" 2>/dev/null || true
    wait "$compose_prebuild_pid" 2>/dev/null || true
  fi
  compose_down -v
  [ -z "$compose_data_root" ] || rm -rf "$compose_data_root"
}

# ./balance test: the compose images built in the background while the docs check and the service's Maven suites run
# (minutes, mostly waiting on the mirror, Maven Central and Docker); compose_prebuilt waits for them. Docker's packages are installed
# first, in the foreground: nothing else may hold apt's lock meanwhile (a browser test installs chromium).
compose_prebuild() {
  compose_test_setup
  docker_packages
  mkdir -p "$logs_dir"
  log "building the compose images in the background while the tests run (log: $logs_dir/compose-prebuild.log)"
  compose_prebuild_started=$SECONDS
  ( compose_images "$compose_data_root" ) >"$logs_dir/compose-prebuild.log" 2>&1 &
  compose_prebuild_pid=$!
}

# compose_prebuilt: waits for compose_prebuild's images. ./balance test calls it before the topology suites: a
# topology started beside a heavy build (the service's Maven build and AOT training) failed to come up in CI (its
# standby not named synchronous within 120 s, and every later start the same).
compose_prebuilt() {
  [ -n "${compose_prebuild_pid:-}" ] || return 0
  local started=$SECONDS
  log "waiting for the compose images (built in the background since $((SECONDS - compose_prebuild_started)) s)"
  wait "$compose_prebuild_pid" || { compose_prebuild_pid=""; compose_failure "the compose images' build failed" \
    "$logs_dir/compose-prebuild.log"; }
  compose_prebuild_pid=""
  compose_images_ready=true
  log "compose images built in $((SECONDS - compose_prebuild_started)) s (in the background); $((SECONDS - started)) s waited for"
}

compose_test() {
  local started=$SECONDS failed=0 checks=2 classes
  compose_prebuilt
  if [ "${compose_images_ready:-false}" = true ]; then
    compose down -v --remove-orphans >/dev/null 2>&1 || true
    compose_start
  else
    compose_test_setup
    compose down -v --remove-orphans >/dev/null 2>&1 || true
    compose_up "$compose_data_root"
  fi
  log "compose stack up in $((SECONDS - started)) s; images:"
  docker images --format '  {{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'balance/|debian:(bookworm|trixie)-slim' >&2
  classes=$(load_classes)
  if monitoring_on; then
    checks=3
    log "the monitoring: every target up, nothing published or proxied"
    compose_monitoring_check || failed=$((failed + 1))
  fi
  log "Postman collection against the compose stack"
  "$root/postman/run.sh" "http://127.0.0.1:$BALANCE_HTTP_PORT" || failed=$((failed + 1))
  log "failover scenarios against the compose stack (docker kill / docker pause)"
  # all nine, as the runner's suite (BALANCE_COMPOSE_SCENARIOS=a,b,... for some of them)
  java -cp "$classes" org.acme.balance.scenario.FailoverDemo --compose "$BALANCE_COMPOSE_PROJECT" "$BALANCE_HTTP_PORT" \
    "${BALANCE_COMPOSE_SCENARIOS:-all}" \
    "$BALANCE_HOME/compose-timelines" || failed=$((failed + 1))
  compose logs --no-color > "$logs_dir/compose-services.log" 2>&1 || true
  log "compose path took $((SECONDS - started)) s (the containers' logs: $logs_dir/compose-services.log)"
  # the checks: the monitoring's (unless BALANCE_MONITORING=off), the Postman collection, the failover scenarios
  echo "compose: $((checks - failed)) passed, $failed failed"
  [ "$failed" = 0 ]
}
