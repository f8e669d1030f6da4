-- Bootstrap of the primary (service-db). Run by pg-node.sh bootstrap DATADIR primary as superuser.
-- psql variables: db, owner_password, reader_password, writer_password, replicator_password.
\ir common.sql

SELECT format('CREATE ROLE %I LOGIN', r)
  FROM unnest(ARRAY['users_writer', 'users_replicator']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)
\gexec
ALTER ROLE users_writer PASSWORD :'writer_password';
ALTER ROLE users_replicator REPLICATION PASSWORD :'replicator_password';
GRANT CONNECT ON DATABASE :"db" TO users_writer, users_replicator;

-- The serving instances write rows, never DDL. The replicator reads rows for the initial table copy.
GRANT USAGE ON SCHEMA users TO users_writer, users_replicator;
ALTER DEFAULT PRIVILEGES FOR ROLE users_owner IN SCHEMA users
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO users_writer;
ALTER DEFAULT PRIVILEGES FOR ROLE users_owner IN SCHEMA users
  GRANT USAGE, SELECT ON SEQUENCES TO users_writer;
ALTER DEFAULT PRIVILEGES FOR ROLE users_owner IN SCHEMA users
  GRANT SELECT ON TABLES TO users_replicator;

-- Every table in the app schema, present and future (PostgreSQL 15+).
SELECT 'CREATE PUBLICATION users_pub FOR TABLES IN SCHEMA users'
 WHERE NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'users_pub')
\gexec

-- A service instance that hangs inside a transaction (SIGSTOP, a long GC) must not hold its locks for long:
-- another instance retrying the same Idempotency-Key waits on them. Under nginx's 5 s read timeout.
ALTER ROLE users_writer SET idle_in_transaction_session_timeout = '3s';

-- The reader's probe is one query for every node the read path may reach (HAProxy sends it to the primary while the
-- replica is down): it names the subscriber's origin view, which then must be readable here too (it is empty here).
GRANT SELECT ON pg_replication_origin_status TO users_reader;
GRANT EXECUTE ON FUNCTION pg_show_replication_origin_status() TO users_reader;

-- The logical replica's slot, made here rather than by CREATE SUBSCRIPTION: on a Patroni cluster it is a permanent
-- slot that Patroni keeps on every member (postgres/patroni.yml), and the subscription only uses it.
SELECT pg_create_logical_replication_slot('users_sub', 'pgoutput')
 WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'users_sub');
