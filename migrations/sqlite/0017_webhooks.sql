-- Signed webhooks (embedded SQLite): the endpoints admins register, the outbox of
-- deliveries (a row per message and endpoint, written in the transaction of the fact it
-- tells where practical), each delivery's attempts, the sale states the poller last
-- told (so that a transition is told once across replicas), and the endpoints' audit.
CREATE TABLE webhook_endpoints (
    id            TEXT    PRIMARY KEY,
    url           TEXT    NOT NULL,
    events_json   TEXT    NOT NULL,
    secret        TEXT    NOT NULL,
    description   TEXT,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id                 TEXT    PRIMARY KEY,
    endpoint_id        TEXT    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id         TEXT    NOT NULL,
    event_type         TEXT    NOT NULL,
    payload            TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    created_at_ms      INTEGER NOT NULL,
    give_up_at_ms      INTEGER NOT NULL,
    next_attempt_at_ms INTEGER NOT NULL,
    lease_until_ms     INTEGER NOT NULL DEFAULT 0,
    last_status_code   INTEGER,
    last_error         TEXT,
    delivered_at_ms    INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at_ms);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at_ms);

CREATE TABLE webhook_attempts (
    delivery_id TEXT    NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    status_code INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

CREATE TABLE webhook_sale_states (
    event_id TEXT    PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    opened   INTEGER NOT NULL,
    sold_out INTEGER NOT NULL,
    paused   INTEGER NOT NULL
);

CREATE TABLE webhook_audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms       INTEGER NOT NULL,
    actor_id    TEXT    NOT NULL REFERENCES users (id),
    actor_email TEXT,
    endpoint_id TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    detail_json TEXT
);
