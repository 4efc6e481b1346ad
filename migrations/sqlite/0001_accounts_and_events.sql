-- Accounts and events (embedded SQLite). Flags are 0/1 integers and times are Unix
-- milliseconds, so the same SQL serves SQLite and PostgreSQL through sqlx's Any driver.
CREATE TABLE users (
    id            TEXT    PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE events (
    id                  TEXT    PRIMARY KEY,
    name                TEXT    NOT NULL,
    starts_at_ms        INTEGER NOT NULL,
    closed              INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
    max_seats_per_order INTEGER NOT NULL,
    hold_ttl_secs       INTEGER NOT NULL,
    rate_per_minute     INTEGER NOT NULL,
    max_active          INTEGER NOT NULL,
    session_ttl_secs    INTEGER NOT NULL,
    paused              INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    grace_secs          INTEGER NOT NULL,
    created_at_ms       INTEGER NOT NULL
);

CREATE TABLE event_sections (
    event_id      TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    rows_count    INTEGER NOT NULL,
    seats_per_row INTEGER NOT NULL,
    price_cents   INTEGER NOT NULL,
    PRIMARY KEY (event_id, name)
);
