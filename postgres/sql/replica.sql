-- Bootstrap of the logical replica (service-db-replica). Run by pg-node.sh bootstrap DATADIR replica
-- as superuser, after the primary is bootstrapped and reachable.
-- psql variables: db, owner_password, reader_password, primary_conninfo.
\ir common.sql

-- Tables arrive later, from the migrator; it runs ALTER SUBSCRIPTION users_sub REFRESH PUBLICATION
-- after each migration so new tables join (and get their initial copy).
-- CREATE SUBSCRIPTION cannot run inside a transaction block: \gexec sends it on its own.
-- The slot is the primary's (postgres/sql/primary.sql): on a Patroni cluster it exists on every member.
SELECT format('CREATE SUBSCRIPTION users_sub CONNECTION %L PUBLICATION users_pub'
              ' WITH (create_slot = false, slot_name = ''users_sub'')', :'primary_conninfo')
 WHERE NOT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = 'users_sub')
\gexec
-- a node bootstrapped before: the members' addresses and the secret as they are now
ALTER SUBSCRIPTION users_sub CONNECTION :'primary_conninfo';

\connect :db
-- The read path measures how far this subscriber has got, on the subscriber itself: the subscription's replication
-- origin holds the primary's position of the last transaction applied here (org.acme.users.consistency).
GRANT SELECT ON pg_replication_origin_status TO users_reader;
GRANT EXECUTE ON FUNCTION pg_show_replication_origin_status() TO users_reader;
