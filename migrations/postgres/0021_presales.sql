-- Presales with access codes (issue 20 part 2; docs/ARCHITECTURE.md "Presale codes").
-- An event has up to 8 presale groups, each with its own line (`slot` 1..8 in the
-- queue store; 0 is the public line) opening at `opens_at_ms`, before the event's
-- `starts_at_ms`.
CREATE TABLE presale_groups (
    id             TEXT PRIMARY KEY,
    event_id       TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    slot           INTEGER NOT NULL CHECK (slot BETWEEN 1 AND 8),
    name           TEXT NOT NULL,
    opens_at_ms    BIGINT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    UNIQUE (event_id, slot)
);

-- Access codes: `code` normalised (upper case, no spaces or dashes), unique in its
-- event; `label` as shown (generated codes grouped `ABCD-EFGH-JK`). `uses` counts the
-- distinct accounts that redeemed it, never above `max_uses`; a revoked code cannot
-- be redeemed (its accounts keep their group).
CREATE TABLE presale_codes (
    event_id       TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    code           TEXT NOT NULL,
    label          TEXT NOT NULL,
    group_id       TEXT NOT NULL REFERENCES presale_groups (id) ON DELETE CASCADE,
    max_uses       BIGINT NOT NULL CHECK (max_uses >= 1),
    uses           BIGINT NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= max_uses),
    revoked        INTEGER NOT NULL DEFAULT 0,
    created_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (event_id, code)
);
CREATE INDEX presale_codes_by_group ON presale_codes (group_id, code);

-- Who redeemed what: an account holds at most one code (one group) per event, so this
-- is also the account → group binding every join looks up.
CREATE TABLE presale_code_uses (
    event_id       TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code           TEXT NOT NULL,
    group_id       TEXT NOT NULL REFERENCES presale_groups (id) ON DELETE CASCADE,
    at_ms          BIGINT NOT NULL,
    PRIMARY KEY (event_id, user_id),
    UNIQUE (event_id, code, user_id),
    FOREIGN KEY (event_id, code) REFERENCES presale_codes (event_id, code) ON DELETE CASCADE
);
CREATE INDEX presale_code_uses_by_code ON presale_code_uses (event_id, code, at_ms);
CREATE INDEX presale_code_uses_by_group ON presale_code_uses (group_id);

-- Wrong guesses at codes, counted per account (`u:<id>`) and per client address
-- (`ip:<address>`) in fixed windows, shared by every replica.
CREATE TABLE presale_guesses (
    guess_key        TEXT PRIMARY KEY,
    window_start_ms  BIGINT NOT NULL,
    attempts         BIGINT NOT NULL
);
