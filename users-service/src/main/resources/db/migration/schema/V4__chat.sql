-- Chat (issue #5). In the app schema, so the publication replicates it and history can be read from the replica.
-- Every message locks its room's row until commit (chat_rooms.last_id + 1): ids within a room are gapless
-- and in commit order, which is the order NOTIFY delivers them in.
CREATE TABLE users.chat_rooms (
    room    text   PRIMARY KEY CHECK (room ~ '^[A-Za-z0-9_-]{1,64}$'),
    last_id bigint NOT NULL
);

CREATE TABLE users.chat_messages (
    room       text        NOT NULL,
    id         bigint      NOT NULL,
    author     text        NOT NULL CHECK (char_length(author) BETWEEN 1 AND 64),
    body       text        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 1000),
    -- the sender's own id for the message: a resend after a lost acknowledgement is stored once
    client_key text,
    sent_at    timestamptz NOT NULL,
    PRIMARY KEY (room, id)
);
CREATE UNIQUE INDEX chat_messages_client_key ON users.chat_messages (room, author, client_key)
    WHERE client_key IS NOT NULL;
