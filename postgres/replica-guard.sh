#!/usr/bin/env bash
# The logical replica's guard: makes the subscription follow the primary's leader across a failover, and re-seeds
# the replica when the old leader left it with commits the new leader never had. Runs beside the replica, for as
# long as it runs (the local runner spawns it with the replica; the image starts it before the server).
#
#   replica-guard.sh DATADIR
#
# Why. PostgreSQL 15 ships a commit to the logical subscriber once it is on the leader's disk, not once the
# synchronous standby has it too (PostgreSQL 17's synchronized_standby_slots closes that gap). A leader that dies in
# between leaves the replica with a commit the new leader does not have (a write whose client was never answered;
# a chat message id the new leader then gives to another message: the apply worker stops on the duplicate key for
# good), and the subscription, which resumes from its own position, skips the new leader's first commits up to that
# position. Both are found the same way: the position the replica applied from the old timeline is beyond the point
# where that timeline ended in the new leader's history. Then the replica is re-seeded: its tables emptied and copied
# again from the new leader, the subscription made anew on the same slot.
#
# How. The subscription's connection names the one member that leads (not every member, as the bootstrap writes it).
# Every half second the guard asks that member (IDENTIFY_SYSTEM, as users_replicator, over a connection it keeps)
# whether it still leads on the same timeline. The moment it does not, the guard parks the subscription (its connection
# points nowhere: 127.0.0.1 port 1, which refuses at once), so that the apply worker streams from nobody, not even from
# the same member back on a new timeline, until the guard has looked. When a member leads again on a new timeline, the
# guard compares the positions (TIMELINE_HISTORY), re-seeds if they diverged, and points the subscription at the new
# leader; on the same timeline (a frozen leader thawed, a slow answer) it points it back at once. It never changes the
# subscription's enabled flag but to re-seed (an operator's `replication disable` stays).
#
# Environment: USERS_PRIMARY_HOSTS, USERS_PRIMARY_PORTS (the members, comma-separated, as for pg-node.sh bootstrap),
# USERS_REPLICATOR_PASSWORD, USERS_DB [users]. State (the member followed, its timeline, the last re-seed) in
# DATADIR.guard, beside the data directory, so that a restarted guard still knows the timeline it followed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:?usage: replica-guard.sh DATADIR}
state=$dir.guard
db=${USERS_DB:-users}
IFS=, read -ra hosts <<<"${USERS_PRIMARY_HOSTS:-127.0.0.1}"
IFS=, read -ra ports <<<"${USERS_PRIMARY_PORTS:?USERS_PRIMARY_PORTS missing}"
: "${USERS_REPLICATOR_PASSWORD:?USERS_REPLICATOR_PASSWORD missing}"
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

say() { printf '%s replica-guard: %s\n' "$(date -u '+%F %T')" "$*"; }
member_count() { echo "${#hosts[@]}"; }
member() { # member N: host:port of the Nth member (0-based; one host for every port when only one is given)
  local host=${hosts[$1]:-${hosts[0]}}
  echo "$host:${ports[$1]}"
}
conninfo() { # conninfo HOST:PORT: the subscription's connection to that member alone
  printf 'host=%s port=%s dbname=%s user=users_replicator password=%s connect_timeout=2' \
    "${1%:*}" "${1##*:}" "$db" "$USERS_REPLICATOR_PASSWORD"
}
# on the member, as the replication role over a logical-replication connection (what the subscription itself uses)
member_conninfo() { # member_conninfo HOST:PORT: that member while it leads
  echo "host=${1%:*} port=${1##*:} dbname=$db user=users_replicator replication=database target_session_attrs=read-write"
}
on_member() { # on_member HOST:PORT COMMAND
  PGPASSWORD=$USERS_REPLICATOR_PASSWORD PGCONNECT_TIMEOUT=2 timeout 5 "$PG_BIN/psql" -XAtq "$(member_conninfo "$1")" \
    -c "$2" 2>/dev/null
}
# Whether a member leads, and on which timeline (IDENTIFY_SYSTEM), is asked over one kept connection (a psql
# coprocess) to the member asked last, the one followed: a new psql and a SCRAM authentication every half second cost a
# tenth of a core here, on the replica's host and the leader alike.
trap '' PIPE   # a write to a psql that has ended fails; it must not end the guard
kept="" kept_pid="" kept_now=""
drop_kept() {
  [ -z "$kept_pid" ] || { kill "$kept_pid" 2>/dev/null; wait "$kept_pid" 2>/dev/null; }
  kept="" kept_pid=""
}
# kept_timeline HOST:PORT: the member's timeline in kept_now when it accepts writes (it leads), else fails; over the
# kept connection (made when needed, dropped on any failure and on an answer slower than 3 s: a frozen leader). Not in
# a subshell: the coprocess is ours.
kept_timeline() {
  local system="" timeline=""
  kept_now=""
  if [ "$kept" != "$1" ] || [ -z "${KEPT[1]:-}" ] || ! kill -0 "$kept_pid" 2>/dev/null; then
    drop_kept
    coproc KEPT { PGPASSWORD=$USERS_REPLICATOR_PASSWORD PGCONNECT_TIMEOUT=2 exec "$PG_BIN/psql" -XAtq \
      "$(member_conninfo "$1")" 2>/dev/null; }
    kept=$1 kept_pid=$KEPT_PID
  fi
  { [ -n "${KEPT[1]:-}" ] && printf 'IDENTIFY_SYSTEM;\n' >&"${KEPT[1]}" \
      && IFS='|' read -r -t 3 system timeline _ <&"${KEPT[0]}" && [ -n "$system" ] && [ -n "$timeline" ]; } 2>/dev/null \
    || { drop_kept; return 1; }
  kept_now=$timeline
}
replica() { "$here/pg-node.sh" psql "$dir" -d "$db" -XAtq -v ON_ERROR_STOP=1 "$@"; }
parked_conninfo="host=127.0.0.1 port=1 dbname=$db user=users_replicator connect_timeout=1 application_name=parked_by_replica_guard"

save() {
  printf 'follow=%q\ntimeline=%q\nreseeded=%q\nparked=%q\nreseeding=%q\n' "$follow" "$timeline" "$reseeded" \
    "$parked" "$reseeding" > "$state.tmp" && mv "$state.tmp" "$state"
}
# reseeding: a re-seed begun (the subscription's enabled flag it found), until it has finished
follow="" timeline="" reseeded="" parked="" reseeding=""
# shellcheck disable=SC1090
[ -f "$state" ] && . "$state"

connect_to() { # connect_to CONNINFO: the subscription's connection (its worker restarts when it changes)
  local current
  current=$(replica -c "SELECT subconninfo FROM pg_subscription WHERE subname = 'users_sub'") || return 1
  [ -n "$current" ] || return 1  # no subscription (yet): the bootstrap makes it
  [ "$current" = "$1" ] && return 0
  replica -c "ALTER SUBSCRIPTION users_sub CONNECTION '$1'" >/dev/null
}
point_at() { connect_to "$(conninfo "$1")"; }  # point_at HOST:PORT: the subscription follows that member alone
park() { # the apply worker streams from nobody (see above); the time is kept: its worker has restarted 2 s later
  connect_to "$parked_conninfo" || return 1
  [ -n "$parked" ] || { parked=$EPOCHSECONDS; say "parked the subscription: ${follow:-no member} no longer leads on timeline ${timeline:-?}"; save; }
}
worker_stopped() { # the subscription has no apply worker running now
  [ "$(replica -c "SELECT count(*) FROM pg_stat_subscription WHERE subname = 'users_sub' AND pid IS NOT NULL")" = 0 ]
}

# diverged OLD_TIMELINE NEW_LEADER NEW_TIMELINE: the replica applied, from the old timeline, beyond where that timeline
# ended in the new leader's history (the apply worker stopped first, so the position no longer moves)
diverged() {
  local old=$1 leader=$2 new=$3 history switch applied
  history=$(on_member "$leader" "TIMELINE_HISTORY $new") || { say "no history of timeline $new on $leader"; return 1; }
  switch=$(sed 's/^[^|]*|//' <<<"$history" | awk -v tli="$old" '$1 == tli { print $2 }')
  applied=$(replica -c "SELECT o.remote_lsn FROM pg_replication_origin_status o
                          JOIN pg_subscription s ON o.external_id = 'pg_' || s.oid WHERE s.subname = 'users_sub'")
  [ -n "$switch" ] && [ -n "$applied" ] || return 1
  say "timeline $old ended at $switch in $leader's history; the replica applied up to $applied"
  [ "$(replica -c "SELECT '$applied'::pg_lsn > '$switch'::pg_lsn")" = t ]
}

# reseed LEADER ENABLED: the replica's tables emptied and copied again from LEADER by a new subscription on the same
# slot (Patroni keeps users_sub on every member); the service reads from the primary meanwhile (the subscription is
# new, its tables not all copied: not fresh). Each step may be run again: a re-seed that failed half-way (no
# subscription left) is finished by the next one.
reseed() {
  local leader=$1 enabled=$2 tables
  if [ -n "$(replica -c "SELECT 1 FROM pg_subscription WHERE subname = 'users_sub'")" ]; then
    replica -c "ALTER SUBSCRIPTION users_sub DISABLE" >/dev/null || return 1
    for _ in $(seq 1 100); do worker_stopped && break; sleep 0.1; done
    # the slot stays: it is the leader's, kept by Patroni, and the new subscription takes it over
    replica -c "ALTER SUBSCRIPTION users_sub SET (slot_name = NONE)" >/dev/null || return 1
    replica -c "DROP SUBSCRIPTION users_sub" >/dev/null || return 1
  fi
  # the publication is every table of the schema (postgres/sql/primary.sql)
  tables=$(replica -c "SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') FROM pg_tables WHERE schemaname = 'users'")
  say "re-seeding from $leader: emptying ${tables:-no table}, subscribing again with a copy of the data"
  [ -z "$tables" ] || replica -c "TRUNCATE $tables" >/dev/null || return 1
  replica -c "CREATE SUBSCRIPTION users_sub CONNECTION '$(conninfo "$leader")' PUBLICATION users_pub
              WITH (create_slot = false, slot_name = 'users_sub', copy_data = true, enabled = $enabled)" >/dev/null
}

say "started (state: ${follow:-no member followed yet}${timeline:+, timeline $timeline}${parked:+, parked})"
loops=0
while sleep 0.5; do
  loops=$((loops + 1))
  # the usual case: the member followed still leads, on the same timeline
  if [ -n "$follow" ] && kept_timeline "$follow" && [ "$kept_now" = "$timeline" ]; then
    if [ -n "$parked" ]; then
      point_at "$follow" && { parked=""; say "following $follow on timeline $timeline again"; save; }
    elif [ $((loops % 10)) -eq 0 ]; then
      point_at "$follow" || true  # (every 5 s: a bootstrap run again names every member in the connection)
    fi
    continue
  fi
  drop_kept
  # (a re-seed that failed after it dropped the subscription has nothing to park: it is finished below)
  [ -n "$reseeding" ] || park || continue
  leader="" now=""
  for n in $(seq 0 $(($(member_count) - 1))); do
    kept_timeline "$(member "$n")" && { leader=$(member "$n") now=$kept_now; break; }
  done
  [ -n "$leader" ] || continue   # no leader now: parked until there is one
  if [ -n "$timeline" ] && [ "$now" != "$timeline" ]; then
    # the worker that streamed from the old leader has given up by now: the position it applied is final
    [ $((EPOCHSECONDS - parked)) -ge 2 ] || continue
    say "$leader leads on timeline $now (followed: ${follow:-none} on timeline $timeline)"
    enabled=$(replica -c "SELECT subenabled FROM pg_subscription WHERE subname = 'users_sub'") || continue
    [ -n "$enabled$reseeding" ] || continue  # no subscription (yet): the bootstrap makes it
    if [ -n "$reseeding" ] || diverged "$timeline" "$leader" "$now"; then
      reseeding=${reseeding:-$([ "$enabled" = t ] && echo true || echo false)}; save
      reseed "$leader" "$reseeding" || { say "re-seed failed; again"; continue; }
      reseeded="$(date -u '+%F %T') timeline $timeline -> $now" reseeding=""
    else
      point_at "$leader" || continue
    fi
  else
    point_at "$leader" || continue
  fi
  say "following $leader on timeline $now"
  follow=$leader timeline=$now parked=""
  save
done
