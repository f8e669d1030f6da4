-- Schema: applied to the replica first, then to the primary (see SchemaMigrator).
-- Idempotency-Key of POST /users: the first request with a key creates the user, every later one with the same
-- key (a client's or nginx's retry) gets that user back instead of creating another. Kept 24 hours.
CREATE TABLE users.idempotency_key (
    key         varchar(255) PRIMARY KEY,
    fingerprint char(64)     NOT NULL,   -- sha-256 of the normalized request: a key reused for another request is refused
    user_id     bigint,                  -- set in the same transaction that creates the user
    created_at  timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_key_created_at ON users.idempotency_key (created_at);
