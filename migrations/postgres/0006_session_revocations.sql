-- Revocable sessions. A session token carries a random `sid` and the account's
-- `session_generation` at sign-in; every replica keeps the rows below in memory
-- (polling those changed since its last look) and refuses a session whose sid is
-- listed, or whose generation is below its account's listed `below_generation`.
-- Sign-out lists the sid; a password change, "sign out everywhere" and a new
-- bootstrap/demo admin password bump the account's generation and list it. Rows are
-- kept until the sessions they end would have expired anyway (`expires_at_ms`).
-- `changed_at_ms` is the database's clock, so replicas' clocks never matter.
ALTER TABLE users ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;

CREATE TABLE session_revocations (
    id               BIGSERIAL PRIMARY KEY,
    user_id          TEXT   NOT NULL,
    sid              TEXT,
    below_generation BIGINT NOT NULL DEFAULT 0,
    expires_at_ms    BIGINT NOT NULL,
    changed_at_ms    BIGINT NOT NULL
);
CREATE UNIQUE INDEX session_revocations_sid ON session_revocations (sid);
CREATE INDEX session_revocations_changed ON session_revocations (changed_at_ms);
CREATE INDEX session_revocations_expires ON session_revocations (expires_at_ms);
