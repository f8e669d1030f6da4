-- One row per service instance, written on the primary every heartbeat interval with the instance's own clock,
-- and read back by that instance on the replica: the age of the newest row there is the replica's lag, end to end.
-- It keeps growing when replication stops (a disabled subscription, an apply conflict, a stopped apply worker),
-- which is how a stale replica leaves the read path (org.acme.users.consistency). In the replicated schema on purpose.
CREATE TABLE users.replication_heartbeat (
    instance text PRIMARY KEY,
    beat_at  timestamptz NOT NULL
);
