-- pgbench script of ./balance bench: the query GET /users/{id} makes, for a random id among the users the bench
-- seeded (pgbench -D low=LO -D high=HIGH -M prepared -f user-by-id.sql). Each line is one transaction's only query.
\set id random(:low, :high)
SELECT id, name, email, created_at, updated_at FROM users.app_user WHERE id = :id;
