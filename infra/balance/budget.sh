# The connection budget (sourced by ./balance after local.sh; docs/operations.md, "Connection budget"): the most
# connections the instances can hold on each database node, in whichever failure, against what the node can give them.
# The settings are in infra/balance/budget.env (a value in the environment wins), the one file compose reads too; the
# instance count is the runner's own (BALANCE_INSTANCES). The same sums as the service's own check at start
# (org.acme.users.config.ConnectionBudget), made here before anything starts:
#
#   budget_check [-q] [EXTRA]   dies, naming the settings, when the budget does not hold with EXTRA instances more than
#                               BALANCE_INSTANCES (1: a training or bench instance beside them); also checks each
#                               running node's max_connections and superuser_reserved_connections against the budget's
#   budget_env [EXTRA]          the settings for a service process (service_env passes them)
#   budget_beside               1 when instances of the runner run (an extra instance would run beside them), else 0
#   budget_report               the budget per node and each node's connections now (./balance budget, status)

budget_file=$root/infra/balance/budget.env
# the settings the runner passes on; USERS_BUDGET_INSTANCES is compose's count, the runner's is BALANCE_INSTANCES
budget_names=(USERS_WRITE_POOL_MAX_SIZE USERS_READ_PRIMARY_POOL_MAX_SIZE USERS_READ_POOL_MAX_SIZE USERS_MIGRATE_POOL_MAX_SIZE
              USERS_READ_REACTIVE_POOL_MAX_SIZE
              USERS_BUDGET_PRIMARY_MAX_CONNECTIONS USERS_BUDGET_PRIMARY_RESERVED
              USERS_BUDGET_REPLICA_MAX_CONNECTIONS USERS_BUDGET_REPLICA_RESERVED)
# what each reserve counts of PostgreSQL's superuser_reserved_connections (its default)
budget_superuser_reserved=3
# connections an instance holds on the primary outside its pools: the chat listener and the replication heartbeat
# (ConnectionBudget.OWN_PRIMARY_CONNECTIONS)
budget_own_primary=2

budget_load() { # the file's values, unless the environment has one
  local name value
  while IFS='=' read -r name value; do
    case "$name" in ''|\#*) continue ;; esac
    [ -n "${!name:-}" ] || printf -v "$name" '%s' "$value"
  done < "$budget_file"
}
budget_load
budget_valid() { # each setting a number (checked where they are used: a typo must not stop ./balance down)
  local name
  for name in "${budget_names[@]}"; do
    [[ "${!name:-}" =~ ^[0-9]+$ ]] || die "connection budget: $name is '${!name:-}', not a number (infra/balance/budget.env or the environment)"
  done
}

budget_env() { # budget_env [EXTRA]: the budget's settings for a service process; EXTRA instances beside the runner's
  local name
  budget_valid
  for name in "${budget_names[@]}"; do printf '%s=%s ' "$name" "${!name}"; done
  echo "USERS_BUDGET_INSTANCES=$((instances + ${1:-0}))"
}

budget_beside() { # 1 when an instance of the runner runs (one started now runs beside them all), else 0
  local i
  for i in $(seq 1 "$instances"); do [ "$(state_of "users-backend-$i")" = down ] || { echo 1; return; }; done
  echo 0
}

budget_migrating() { [ "${BALANCE_INSTANCES_MIGRATE:-false}" = true ]; }
budget_each_primary() { # one instance on the leader at worst: every pool, the read pools too (the replica down)
  echo $((USERS_WRITE_POOL_MAX_SIZE + USERS_READ_PRIMARY_POOL_MAX_SIZE + USERS_READ_POOL_MAX_SIZE
          + 2 * USERS_READ_REACTIVE_POOL_MAX_SIZE + budget_own_primary
          + $(budget_migrating && echo "$USERS_MIGRATE_POOL_MAX_SIZE" || echo 0)))
}
budget_each_replica() { echo $((USERS_READ_POOL_MAX_SIZE + USERS_READ_REACTIVE_POOL_MAX_SIZE + $(budget_migrating && echo "$USERS_MIGRATE_POOL_MAX_SIZE" || echo 0))); }

# budget_node_settings NODE: its live max_connections and superuser_reserved_connections ("" when it does not answer)
budget_node_settings() {
  local state
  state=$(state_of "$1")
  [ "$state" = up ] || return 0
  timeout 3 "$pg_node" psql "$(pg_dir "$1")" -d postgres -At -F ' ' -c \
    "SELECT current_setting('max_connections'), current_setting('superuser_reserved_connections')" 2>/dev/null || true
}
budget_node_now() { # the client connections a node has now, or -
  [ "$(state_of "$1")" = up ] || { echo -; return; }
  timeout 3 "$pg_node" psql "$(pg_dir "$1")" -d postgres -At -c \
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()" 2>/dev/null \
    || echo -
}

budget_problems() { # budget_problems EXTRA: one line per problem
  local n=$((instances + $1)) each worst room node live max reserved
  local pools="write pool $USERS_WRITE_POOL_MAX_SIZE (USERS_WRITE_POOL_MAX_SIZE) + read-primary pool $USERS_READ_PRIMARY_POOL_MAX_SIZE (USERS_READ_PRIMARY_POOL_MAX_SIZE) + read pool $USERS_READ_POOL_MAX_SIZE (USERS_READ_POOL_MAX_SIZE), on the leader while the replica is down + 2 reactive pools $USERS_READ_REACTIVE_POOL_MAX_SIZE (USERS_READ_REACTIVE_POOL_MAX_SIZE), read-primary and read + $budget_own_primary of its own: the chat listener and the replication heartbeat"
  budget_migrating && pools="$pools + migration pool $USERS_MIGRATE_POOL_MAX_SIZE (USERS_MIGRATE_POOL_MAX_SIZE, BALANCE_INSTANCES_MIGRATE=true)"
  local count="$n instances (BALANCE_INSTANCES=$instances)"
  [ "$1" = 0 ] || count="$n instances (BALANCE_INSTANCES=$instances, + $1 beside them: an AOT training or bench instance)"
  each=$(budget_each_primary); worst=$((n * each)); room=$((USERS_BUDGET_PRIMARY_MAX_CONNECTIONS - USERS_BUDGET_PRIMARY_RESERVED))
  [ "$worst" -le "$room" ] || echo "service-db (the primary's leader, and the standby after a failover) would hold up to $worst connections of the instances: $count x $each ($pools); it has room for $room: max_connections $USERS_BUDGET_PRIMARY_MAX_CONNECTIONS (USERS_BUDGET_PRIMARY_MAX_CONNECTIONS) - $USERS_BUDGET_PRIMARY_RESERVED reserved (USERS_BUDGET_PRIMARY_RESERVED)"
  each=$(budget_each_replica); worst=$((n * each)); room=$((USERS_BUDGET_REPLICA_MAX_CONNECTIONS - USERS_BUDGET_REPLICA_RESERVED))
  pools="read pool $USERS_READ_POOL_MAX_SIZE (USERS_READ_POOL_MAX_SIZE) + reactive read pool $USERS_READ_REACTIVE_POOL_MAX_SIZE (USERS_READ_REACTIVE_POOL_MAX_SIZE)"
  budget_migrating && pools="$pools + migration pool $USERS_MIGRATE_POOL_MAX_SIZE (USERS_MIGRATE_POOL_MAX_SIZE, BALANCE_INSTANCES_MIGRATE=true)"
  [ "$worst" -le "$room" ] || echo "service-db-replica would hold up to $worst connections of the instances: $count x $each ($pools); it has room for $room: max_connections $USERS_BUDGET_REPLICA_MAX_CONNECTIONS (USERS_BUDGET_REPLICA_MAX_CONNECTIONS) - $USERS_BUDGET_REPLICA_RESERVED reserved (USERS_BUDGET_REPLICA_RESERVED)"
  # the nodes that run: their own settings must be what the budget assumes
  local max_setting reserve_setting
  for node in $(members) service-db-replica; do
    live=$(budget_node_settings "$node")
    [ -n "$live" ] || continue
    read -r max reserved <<<"$live"
    if is_member "$node"; then max_setting=USERS_BUDGET_PRIMARY_MAX_CONNECTIONS reserve_setting=USERS_BUDGET_PRIMARY_RESERVED
    else max_setting=USERS_BUDGET_REPLICA_MAX_CONNECTIONS reserve_setting=USERS_BUDGET_REPLICA_RESERVED; fi
    [ "$max" -ge "${!max_setting}" ] ||
      echo "$node runs with max_connections $max, but the budget counts on ${!max_setting} ($max_setting)"
    [ "$reserved" -le "$budget_superuser_reserved" ] ||
      echo "$node runs with superuser_reserved_connections $reserved, but its reserve ($reserve_setting) counts $budget_superuser_reserved of them"
  done
}

budget_check() { # budget_check [-q] [EXTRA]
  local quiet=false problems
  [ "${1:-}" != -q ] || { quiet=true; shift; }
  budget_valid
  problems=$(budget_problems "${1:-0}")
  if [ -n "$problems" ]; then
    log "connection budget exceeded, not starting (docs/operations.md, \"Connection budget\"; settings: infra/balance/budget.env or the environment):"
    sed 's/^/  - /' <<<"$problems" >&2
    die "Lower the pool sizes or the instance count, or raise max_connections on the node first and then the setting that states it."
  fi
  $quiet || log "connection budget holds: $((instances + ${1:-0})) instances at worst $(((instances + ${1:-0}) * $(budget_each_primary))) connections on the leader (room $((USERS_BUDGET_PRIMARY_MAX_CONNECTIONS - USERS_BUDGET_PRIMARY_RESERVED))), $(((instances + ${1:-0}) * $(budget_each_replica))) on the replica (room $((USERS_BUDGET_REPLICA_MAX_CONNECTIONS - USERS_BUDGET_REPLICA_RESERVED)))"
}

budget_report() { # the budget per node, and what each has now
  local node each worst max reserved
  budget_valid
  echo "Connection budget ($instances instances; settings: infra/balance/budget.env or the environment):"
  echo "  each instance at worst: on the leader write pool $USERS_WRITE_POOL_MAX_SIZE + read-primary pool $USERS_READ_PRIMARY_POOL_MAX_SIZE + read pool $USERS_READ_POOL_MAX_SIZE (while the replica is down) + 2 reactive pools $USERS_READ_REACTIVE_POOL_MAX_SIZE (read-primary, read) + $budget_own_primary (chat listener, heartbeat)$(budget_migrating && echo " + migration pool $USERS_MIGRATE_POOL_MAX_SIZE") = $(budget_each_primary); on the replica $(budget_each_replica)"
  printf '  %-20s %-9s %-8s %-8s %-15s %-9s %s\n' NODE INSTANCES AT_WORST RESERVED MAX_CONNECTIONS ROOM_LEFT NOW
  for node in $(members) service-db-replica; do
    if is_member "$node"; then each=$(budget_each_primary); max=$USERS_BUDGET_PRIMARY_MAX_CONNECTIONS; reserved=$USERS_BUDGET_PRIMARY_RESERVED
    else each=$(budget_each_replica); max=$USERS_BUDGET_REPLICA_MAX_CONNECTIONS; reserved=$USERS_BUDGET_REPLICA_RESERVED; fi
    worst=$((instances * each))
    printf '  %-20s %-9s %-8s %-8s %-15s %-9s %s\n' "$node" "$instances" "$worst" "$reserved" "$max" \
      "$((max - reserved - worst))" "$(budget_node_now "$node")"
  done
  budget_problems 0 | sed 's/^/  PROBLEM: /'
}
