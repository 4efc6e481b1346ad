-- Admission that tunes itself (PostgreSQL).
--
-- `event_autotune`: an event's autotune setting (absent: off). Rates are fans per
-- minute; the error-rate target is in basis points (1/10,000 of the checkout's
-- requests), so both databases store an integer.
CREATE TABLE event_autotune (
    event_id           TEXT    PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    enabled            BIGINT  NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    min_rate           BIGINT  NOT NULL,
    max_rate           BIGINT  NOT NULL,
    p99_target_ms      BIGINT  NOT NULL,
    error_target_bp    BIGINT  NOT NULL,
    updated_at_ms      BIGINT  NOT NULL
);

-- Each replica's checkout figures over its recent window (requests, errors and the
-- latency histogram's bucket counts as JSON), rewritten every few seconds; the
-- controller's leader sums the fresh rows.
CREATE TABLE checkout_figures (
    replica      TEXT    PRIMARY KEY,
    at_ms        BIGINT  NOT NULL,
    requests     BIGINT  NOT NULL,
    errors       BIGINT  NOT NULL,
    buckets_json TEXT    NOT NULL
);

-- Who runs the controller: one lease row, taken over once it has expired.
CREATE TABLE autotune_lease (
    name        TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    expires_ms  BIGINT  NOT NULL
);

-- The autotune account: the actor of the rate changes the controller makes, so the
-- audit log names it. It cannot sign in and is no admin (as the system account).
INSERT INTO users (id, email, password_hash, is_admin, created_at_ms)
VALUES ('00000000-0000-0000-0000-00000000a070', 'autotune@floodgate.invalid', '!no-password', 0, 0);
