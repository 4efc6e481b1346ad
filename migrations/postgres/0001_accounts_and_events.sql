-- Accounts and events (PostgreSQL). Flags are 0/1 integers and times are Unix
-- milliseconds, so the same SQL serves SQLite and PostgreSQL through sqlx's Any driver.
CREATE TABLE users (
    id            TEXT   PRIMARY KEY,
    email         TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    is_admin      BIGINT NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE events (
    id                  TEXT   PRIMARY KEY,
    name                TEXT   NOT NULL,
    starts_at_ms        BIGINT NOT NULL,
    closed              BIGINT NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
    max_seats_per_order BIGINT NOT NULL,
    hold_ttl_secs       BIGINT NOT NULL,
    rate_per_minute     BIGINT NOT NULL,
    max_active          BIGINT NOT NULL,
    session_ttl_secs    BIGINT NOT NULL,
    paused              BIGINT NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    grace_secs          BIGINT NOT NULL,
    created_at_ms       BIGINT NOT NULL
);

CREATE TABLE event_sections (
    event_id      TEXT   NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position      BIGINT NOT NULL,
    name          TEXT   NOT NULL,
    rows_count    BIGINT NOT NULL,
    seats_per_row BIGINT NOT NULL,
    price_cents   BIGINT NOT NULL,
    PRIMARY KEY (event_id, name)
);
