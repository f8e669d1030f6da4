-- Roles, database and app schema that both nodes share. Included by primary.sql and replica.sql.
-- Idempotent: safe to run again on a node that was already bootstrapped.
-- psql variables: db, owner_password, reader_password, monitor_password (empty: the monitoring role gets no password).

SELECT format('CREATE ROLE %I LOGIN', r)
  FROM unnest(ARRAY['users_owner', 'users_reader', 'haproxy_check', 'users_monitor']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)
\gexec

ALTER ROLE users_owner PASSWORD :'owner_password';
ALTER ROLE users_reader PASSWORD :'reader_password';
-- The read path cannot write: SELECT-only grants, and every transaction read-only by default.
ALTER ROLE users_reader SET default_transaction_read_only = on;
-- The health-check role may connect and nothing else.
ALTER ROLE haproxy_check NOINHERIT CONNECTION LIMIT 10;
-- The monitoring role (postgres_exporter, docs/operations.md "Monitoring"): PostgreSQL's statistics views through
-- pg_monitor, read-only, no data; its exporter holds one connection, the budget's reserve counts 5.
GRANT pg_monitor TO users_monitor;
ALTER ROLE users_monitor SET default_transaction_read_only = on;
ALTER ROLE users_monitor CONNECTION LIMIT 5;
SELECT :'monitor_password' <> '' AS monitor_has_password \gset
\if :monitor_has_password
ALTER ROLE users_monitor PASSWORD :'monitor_password';
\endif

SELECT format('CREATE DATABASE %I OWNER users_owner', :'db')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db')
\gexec

REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO users_reader;
GRANT CONNECT ON DATABASE :"db" TO users_monitor;
-- The health-check role reaches its own empty database only (below): not the data, not the maintenance database
-- (pg_hba trusts it without a password from HAProxy's address). REVOKE also for nodes bootstrapped before.
REVOKE CONNECT ON DATABASE :"db" FROM haproxy_check;
REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;

-- HAProxy's pgsql-check names no database, so PostgreSQL takes the role's name: an empty database of
-- that name keeps the server log free of a FATAL line per check (several a second).
SELECT 'CREATE DATABASE haproxy_check'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'haproxy_check')
\gexec
REVOKE ALL ON DATABASE haproxy_check FROM PUBLIC;
GRANT CONNECT ON DATABASE haproxy_check TO haproxy_check;

\connect :db
-- PostgreSQL 15 no longer lets PUBLIC create in schema public; keep it that way.
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- App tables live in their own schema: the publication covers exactly this schema,
-- and Flyway's history (schema "flyway") stays out of replication.
CREATE SCHEMA IF NOT EXISTS users AUTHORIZATION users_owner;
GRANT USAGE ON SCHEMA users TO users_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE users_owner IN SCHEMA users GRANT SELECT ON TABLES TO users_reader;

-- The replica's data age for monitoring, from the instances' heartbeat (users.replication_heartbeat, a migration's
-- table, so plpgsql: checked when called): the monitoring role gets this one figure, not SELECT on the data. It runs
-- as users_reader, which may read the table already.
CREATE SCHEMA IF NOT EXISTS monitoring;
REVOKE ALL ON SCHEMA monitoring FROM PUBLIC;
GRANT USAGE ON SCHEMA monitoring TO users_monitor, users_reader;
CREATE OR REPLACE FUNCTION monitoring.heartbeat_age_seconds() RETURNS double precision
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  -- NaN while there is no heartbeat (no instance has run yet): an alert's comparison is false, not an error
  RETURN coalesce((SELECT extract(epoch FROM now() - max(beat_at))::float8 FROM users.replication_heartbeat), 'NaN');
EXCEPTION WHEN undefined_table THEN
  RETURN 'NaN';
END $$;
ALTER FUNCTION monitoring.heartbeat_age_seconds() OWNER TO users_reader;
REVOKE ALL ON FUNCTION monitoring.heartbeat_age_seconds() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION monitoring.heartbeat_age_seconds() TO users_monitor;
