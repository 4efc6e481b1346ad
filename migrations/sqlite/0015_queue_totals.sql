-- A closed sale's queue figures for its report (accounts that joined, fans admitted),
-- saved before its line is removed from the queue store (issue 19); removed_at_ms:
-- when the line was removed (NULL: not yet).
CREATE TABLE queue_totals (
    event_id TEXT PRIMARY KEY,
    joined BIGINT NOT NULL,
    admitted BIGINT NOT NULL,
    removed_at_ms BIGINT
);
