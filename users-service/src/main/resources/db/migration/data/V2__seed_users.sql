-- Data: applied to the primary only; logical replication copies the rows to the replica.
INSERT INTO users.app_user (name, email) VALUES
    ('Ada Lovelace', 'ada@example.org'),
    ('Alan Turing', 'alan@example.org'),
    ('Grace Hopper', 'grace@example.org');
