#!/usr/bin/env bash
# Can this member of the primary's Patroni cluster take over the writes now? The one definition the runner, its
# status, the tests and compose-test use (the image has this file too).
#
#   member-ready.sh NAME API_URL --hold|--now PSQL_COMMAND...
#
# Ready means: NAME leads; or, as Patroni itself will judge it when the leader is lost, NAME is a standby that
#   - is named in etcd as the synchronous standby (Patroni's cluster view says sync_standby: with synchronous_mode,
#     Patroni promotes no other member, since only that one is sure to hold every acknowledged commit),
#   - has caught up: its lag in that view within what Patroni allows before it promotes (maximum_lag_on_failover),
#     and, on the member itself, everything the leader last said it had (pg_stat_wal_receiver.latest_end_lsn) is
#     replayed. Not "lag 0 in Patroni's view": under the instances' heartbeat writes the two positions Patroni
#     subtracts are read by two processes a moment apart, each once a loop, and when their loops keep the wrong order
#     that lag stays a few kB above 0 for minutes (a switchover of a CI run waited 120 s on "lag 3120").
#   - streams from the leader and holds its copy of the logical replica's slot users_sub (PSQL_COMMAND, a superuser
#     psql on the member, is asked; without that copy a failover would strand the subscription).
# --hold (before a failure is caused: the runner's start and up, the tests' scenarios): caught up as above, and still
#   the synchronous standby one Patroni loop (loop_wait) later (a standby named a moment ago may not know yet).
# --now (./balance status): one look at Patroni's view, the member's streaming and slot.
# Prints "leader", "protected: ..." or "not ready: ..." and exits 0 for the first two.
set -uo pipefail
name=${1:?usage: member-ready.sh NAME API_URL --hold|--now PSQL_COMMAND...} api=${2:?API_URL missing} mode=${3:-}
case "$mode" in --hold|--now) ;; *) echo "member-ready.sh: --hold or --now" >&2; exit 2 ;; esac
shift 3

# one look at Patroni's view (etcd's, as the member's REST API reports it): prints the verdict and loop_wait
dcs_view() {
  local cluster config
  cluster=$(curl -fsS --max-time 2 "$api/cluster") || { echo "not ready: $name's Patroni REST API does not answer"; return 1; }
  config=$(curl -fsS --max-time 2 "$api/config") || { echo "not ready: $name's Patroni REST API does not answer"; return 1; }
  python3 - "$name" "$cluster" "$config" <<'PY'
import json, sys
name, cluster, config = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
me = next((m for m in cluster.get("members", []) if m.get("name") == name), None)
print("loop_wait=%s" % config.get("loop_wait", 10))
if me is None:
    print("not ready: %s is not a member in etcd" % name); sys.exit(1)
role, state, lag = me.get("role"), me.get("state"), me.get("lag")
if role == "leader":
    print("leader"); sys.exit(0)
wanted = "sync_standby" if config.get("synchronous_mode") else None
if wanted and role != wanted:
    print("not ready: %s is a %s, not yet named the synchronous standby in etcd (a leader lost now would not fail over)"
          % (name, role)); sys.exit(1)
if state not in ("running", "streaming"):
    print("not ready: %s is %s" % (name, state)); sys.exit(1)
limit = config.get("maximum_lag_on_failover", 1048576)
if not isinstance(lag, int) or lag > limit:
    print("not ready: %s replays with lag %s (bytes)" % (name, lag)); sys.exit(1)
print("protected: %s is the synchronous standby, lag %s" % (name, lag))
PY
}

verdict=$(dcs_view); rc=$?
loop_wait=$(sed -n 's/^loop_wait=//p' <<<"$verdict"); verdict=$(grep -v '^loop_wait=' <<<"$verdict")
if [ $rc -ne 0 ] || [ "$verdict" = leader ]; then echo "$verdict"; exit $rc; fi

streaming=$("$@" -d postgres -At -c "SELECT pg_is_in_recovery()
    AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')
    AND EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'users_sub')" 2>/dev/null)
[ "$streaming" = t ] || { echo "not ready: $name does not stream from the leader, or lacks its copy of the slot users_sub"; exit 1; }

if [ "$mode" = --hold ]; then
  replayed=$("$@" -d postgres -At -c "SELECT pg_last_wal_replay_lsn() >= latest_end_lsn, pg_last_wal_replay_lsn(),
    latest_end_lsn FROM pg_stat_wal_receiver" 2>/dev/null)
  [ "${replayed%%|*}" = t ] || {
    echo "not ready: $name has not replayed all the leader last said it had (replayed|leader's end: ${replayed#*|})"; exit 1; }
  sleep "${loop_wait:-2}"
  again=$(dcs_view) || { grep -v '^loop_wait=' <<<"$again"; exit 1; }
  verdict="$verdict, held for ${loop_wait}s"
fi
echo "$verdict"
